// Command trellis-render-oracle is a Trellis test helper. It answers questions about upstream
// Crossplane's composition machinery that the TypeScript engine must match exactly, by calling
// the real upstream Go packages (never copies of them):
//
//   - how sigs.k8s.io/yaml marshals a JSON value (used for revision hashes and render output);
//   - the CompositionRevision hash and name of a Composition (apis/apiextensions/v1 Hash());
//   - the XR and claim CRDs generated from an XRD (crossplane-runtime pkg/xcrd);
//   - the request tag of a RunFunctionRequest (deterministic protobuf encoding, sha256).
//
// It reads one JSON request per line on stdin and writes one JSON answer per line on stdout.
//
//	{"op":"yaml","json":{...}}                  -> {"out":"<yaml>"}
//	{"op":"hash","json":<Composition>}          -> {"out":"<sha256 hex>","name":"<revision name>"}
//	{"op":"xcrd","json":<XRD v1 or v2>}         -> {"xr":<CRD>,"claim":<CRD or null>,"err":...}
//	{"op":"tag","json":<RunFunctionRequest in protojson>} -> {"out":"<tag>"}
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xcrd"
	v1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	v2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	fnv1 "github.com/crossplane/crossplane/v2/proto/fn/v1"
)

type request struct {
	Op   string          `json:"op"`
	JSON json.RawMessage `json:"json"`
}

type answer struct {
	Out   string `json:"out,omitempty"`
	Name  string `json:"name,omitempty"`
	XR    any    `json:"xr,omitempty"`
	Claim any    `json:"claim,omitempty"`
	Err   string `json:"err,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = out.Encode(answer{Err: "bad request: " + err.Error()})
			continue
		}
		_ = out.Encode(handle(req))
	}
}

func handle(req request) answer {
	switch req.Op {
	case "yaml":
		// The path upstream takes: an object as the API machinery holds it (integers as int64,
		// other numbers as float64), then sigs.k8s.io/yaml.Marshal (json.Marshal + JSONToYAML).
		v, err := decodeUnstructured(req.JSON)
		if err != nil {
			return answer{Err: err.Error()}
		}
		y, err := yaml.Marshal(v)
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: string(y)}
	case "hash":
		c := &v1.Composition{}
		if err := json.Unmarshal(req.JSON, c); err != nil {
			return answer{Err: err.Error()}
		}
		h := c.Hash()
		return answer{Out: h, Name: fmt.Sprintf("%s-%s", c.GetName(), h[:7])}
	case "xcrd":
		xrd, err := toV1(req.JSON)
		if err != nil {
			return answer{Err: err.Error()}
		}
		a := answer{}
		crd, err := xcrd.ForCompositeResource(xrd)
		if err != nil {
			a.Err = err.Error()
			return a
		}
		a.XR = crd
		if xrd.Spec.ClaimNames != nil {
			claim, err := xcrd.ForCompositeResourceClaim(xrd)
			if err != nil {
				a.Err = err.Error()
				return a
			}
			a.Claim = claim
		}
		return a
	case "tag":
		r := &fnv1.RunFunctionRequest{}
		if err := protojson.Unmarshal(req.JSON, r); err != nil {
			return answer{Err: err.Error()}
		}
		r.Meta = nil
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		if err != nil {
			return answer{Err: err.Error()}
		}
		h := sha256.Sum256(b)
		return answer{Out: hex.EncodeToString(h[:])}
	default:
		return answer{Err: "unknown op " + req.Op}
	}
}

// decodeUnstructured decodes JSON as k8s.io/apimachinery's unstructured JSON decoding does:
// integers that fit become int64, every other number float64.
func decodeUnstructured(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return convertNumbers(v), nil
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = convertNumbers(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = convertNumbers(x)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	default:
		return v
	}
}

// toV1 decodes an XRD of either API version into the v1 type the XRD controller works with.
// A v2 XRD without a scope gets the v2 default (Namespaced), as the API server's defaulting
// would give it before storing it as v1.
func toV1(raw json.RawMessage) (*v1.CompositeResourceDefinition, error) {
	var peek struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(raw, &peek); err != nil {
		return nil, err
	}
	if peek.APIVersion == v2.SchemeGroupVersion.String() {
		x := &v2.CompositeResourceDefinition{}
		if err := json.Unmarshal(raw, x); err != nil {
			return nil, err
		}
		if x.Spec.Scope == "" {
			x.Spec.Scope = v2.CompositeResourceScopeNamespaced
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	x := &v1.CompositeResourceDefinition{}
	if err := json.Unmarshal(raw, x); err != nil {
		return nil, err
	}
	return x, nil
}

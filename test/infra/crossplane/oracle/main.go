// Command trellis-go-oracle is a Trellis test helper: it answers questions about Go semantics
// that the TypeScript re-implementations must match (fmt.Sprintf with Go-typed operands, and
// text/template with the sprig function map as function-go-templating configures it). It reads
// one JSON request per line on stdin and writes one JSON answer per line on stdout.
//
// Requests:
//
//	{"op":"sprintf","format":"%s-%d","args":[{"t":"string","v":"a"},{"t":"int64","v":"5"}]}
//	{"op":"template","template":"{{ .x }}","data":{...},"delims":["[[","]]"]}
//
// Typed args: t is one of string, int, int64, float64, bool, nil, json (v is any JSON value,
// decoded as encoding/json does: numbers are float64), bytes (v is a string).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

type typed struct {
	T string          `json:"t"`
	V json.RawMessage `json:"v"`
}

type request struct {
	Op       string          `json:"op"`
	Format   *string         `json:"format"`
	Args     []typed         `json:"args"`
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	Delims   []string        `json:"delims"`
}

type answer struct {
	Out string `json:"out"`
	Err string `json:"err,omitempty"`
}

func decodeTyped(a typed) (any, error) {
	switch a.T {
	case "nil":
		return nil, nil
	case "string", "bytes":
		var s string
		if err := json.Unmarshal(a.V, &s); err != nil {
			return nil, err
		}
		if a.T == "bytes" {
			return []byte(s), nil
		}
		return s, nil
	case "int", "int64":
		var s string
		if err := json.Unmarshal(a.V, &s); err != nil {
			var n json.Number
			if err2 := json.Unmarshal(a.V, &n); err2 != nil {
				return nil, err
			}
			s = n.String()
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, err
		}
		if a.T == "int" {
			return int(i), nil
		}
		return i, nil
	case "float64":
		var f float64
		if err := json.Unmarshal(a.V, &f); err != nil {
			return nil, err
		}
		return f, nil
	case "bool":
		var b bool
		if err := json.Unmarshal(a.V, &b); err != nil {
			return nil, err
		}
		return b, nil
	case "json":
		var v any
		if err := json.Unmarshal(a.V, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown type %q", a.T)
}

func handle(req request) answer {
	switch req.Op {
	case "sprintf":
		args := make([]any, 0, len(req.Args))
		for _, a := range req.Args {
			v, err := decodeTyped(a)
			if err != nil {
				return answer{Err: err.Error()}
			}
			args = append(args, v)
		}
		f := ""
		if req.Format != nil {
			f = *req.Format
		}
		return answer{Out: fmt.Sprintf(f, args...)}
	case "template":
		tpl := template.New("manifests")
		if len(req.Delims) == 2 {
			tpl = tpl.Delims(req.Delims[0], req.Delims[1])
		}
		funcs := sprig.FuncMap()
		delete(funcs, "env")
		delete(funcs, "expandenv")
		tpl.Funcs(funcs)
		// function-go-templating's YAML helpers, written the same way (gopkg.in/yaml.v3)
		tpl.Funcs(template.FuncMap{
			"toYaml": func(val any) (string, error) {
				res, err := yaml.Marshal(val)
				return string(res), err
			},
			"fromYaml": func(val string) (any, error) {
				var res any
				err := yaml.Unmarshal([]byte(val), &res)
				return res, err
			},
			"setResourceNameAnnotation": func(name string) string {
				return fmt.Sprintf("gotemplating.fn.crossplane.io/composition-resource-name: %s", name)
			},
		})
		t, err := tpl.Parse(req.Template)
		if err != nil {
			return answer{Err: err.Error()}
		}
		var data any
		if len(req.Data) > 0 {
			if err := json.Unmarshal(req.Data, &data); err != nil {
				return answer{Err: err.Error()}
			}
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return answer{Out: b.String(), Err: err.Error()}
		}
		return answer{Out: b.String()}
	}
	return answer{Err: "unknown op " + req.Op}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		var a answer
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			a = answer{Err: "bad request: " + err.Error()}
		} else {
			a = handle(req)
		}
		_ = enc.Encode(a)
		_ = out.Flush()
	}
}

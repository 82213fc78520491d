/**
 * Differential test: our Go text/template + sprig emulation against Go's text/template with
 * sprig v3.3.0 and yaml.v3 (the oracle helper), on templates exercising every action, builtin
 * and the sprig functions real Compositions use, with request-shaped data (JSON numbers are
 * float64, as function-go-templating sees them). Output and error text must match.
 */
import { executeTemplate, newTemplateSet, templateFuncs } from '@trellis/functions';
import { describe, expect, it } from 'vitest';
import { askOracle } from './oracle.ts';

const data = {
  observed: {
    composite: {
      resource: {
        apiVersion: 'example.org/v1alpha1',
        kind: 'XApp',
        metadata: { name: 'my-app', namespace: 'team-a', labels: { 'crossplane.io/claim-name': 'c1', tier: 'gold' } },
        spec: {
          replicas: 3,
          region: 'eu-west-1',
          size: 1000000,
          ratio: 0.25,
          enabled: true,
          tags: { team: 'a', env: 'prod', 'cost-center': '42' },
          zones: ['a', 'b', 'c'],
          subnets: [
            { cidr: '10.0.0.0/24', zone: 'a' },
            { cidr: '10.0.1.0/24', zone: 'b' },
          ],
          empty: '',
          nothing: null,
          nested: { deep: { value: 'x' } },
          text: 'line one\nline two',
        },
      },
    },
    resources: {
      bucket: { resource: { status: { atProvider: { arn: 'arn:aws:s3:::b' }, conditions: [{ type: 'Ready', status: 'True' }] } } },
    },
  },
  context: { 'apiextensions.crossplane.io/environment': { region: 'eu', flags: { a: true } } },
};

const xr = '.observed.composite.resource';
const templates: string[] = [
  'plain text',
  `{{ ${xr}.metadata.name }}`,
  `{{ ${xr}.spec.replicas }} {{ ${xr}.spec.size }} {{ ${xr}.spec.ratio }} {{ ${xr}.spec.enabled }}`,
  `{{ ${xr}.spec.missing }}|{{ ${xr}.spec.nothing }}|{{ ${xr}.spec.tags }}|{{ ${xr}.spec.zones }}`,
  `{{- if ${xr}.spec.enabled }}on{{ else }}off{{ end -}}`,
  `{{ if eq ${xr}.spec.region "eu-west-1" }}eu{{ else if eq ${xr}.spec.region "us" }}us{{ else }}other{{ end }}`,
  `{{ range $i, $z := ${xr}.spec.zones }}{{ $i }}={{ $z }};{{ end }}`,
  `{{ range $k, $v := ${xr}.spec.tags }}{{ $k }}:{{ $v }},{{ end }}`,
  `{{ range ${xr}.spec.subnets }}{{ .cidr }}@{{ .zone }} {{ end }}`,
  `{{ range ${xr}.spec.missing }}x{{ else }}empty{{ end }}`,
  `{{ with ${xr}.spec.nested.deep }}{{ .value }}{{ end }}{{ with ${xr}.spec.missing }}no{{ else }}none{{ end }}`,
  `{{ $x := 1 }}{{ $x = 2 }}{{ $x }}{{ $y := ${xr}.spec.region }}{{ $y }}`,
  '{{ range $i := until 3 }}{{ $i }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ end }}',
  '{{ range $i := until 4 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}',
  '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" "hi" }}{{ template "x" 3 }}',
  '{{ block "b" . }}default{{ end }}',
  '{{/* a comment */}}a {{- /* trimmed */ -}} b',
  '{{ printf "%s-%d-%v-%q" "a" 3 1.5 "q" }}',
  `{{ printf "%d" ${xr}.spec.replicas }}|{{ printf "%s" ${xr}.spec.replicas }}|{{ printf "%v" ${xr}.spec.size }}`,
  `{{ print "a" 1 2 "b" }}|{{ println "x" 3 }}`,
  `{{ len ${xr}.spec.zones }} {{ len ${xr}.spec.tags }} {{ len "héllo" }}`,
  `{{ index ${xr}.spec.zones 1 }} {{ index ${xr}.metadata.labels "crossplane.io/claim-name" }} {{ index ${xr}.spec.tags "nope" }}`,
  `{{ index ${xr}.spec.zones 5 }}`,
  `{{ slice ${xr}.spec.zones 1 }}{{ slice "abcdef" 1 3 }}`,
  `{{ and ${xr}.spec.enabled ${xr}.spec.region }}|{{ or ${xr}.spec.empty "fallback" }}|{{ not ${xr}.spec.empty }}`,
  `{{ eq ${xr}.spec.replicas 3 }}`,
  `{{ eq ${xr}.spec.replicas 3.0 }} {{ ne ${xr}.spec.region "x" }} {{ lt 1 2 }} {{ gt 2.5 1.5 }} {{ le "a" "b" }} {{ ge 2 2 }}`,
  `{{ eq ${xr}.spec.missing "x" }} {{ eq "a" "b" "a" }}`,
  `{{ ${xr}.spec.region.foo }}`,
  `{{ ${xr}.spec.nothing.foo }}`,
  `{{ len ${xr}.spec.missing }}`,
  '{{ undefinedFunc }}',
  '{{ if }}x{{ end }}',
  '{{ range }}',
  '{{ end }}',
  '{{ .a',
  '{{ $undefined }}',
  '{{ "unterminated }}',
  '{{ 3 | printf "%d" }}',
  '{{ "x" | 3 }}',
  '{{ template "nope" }}',
  // sprig
  `{{ default "d" ${xr}.spec.missing }}|{{ default "d" ${xr}.spec.empty }}|{{ default "d" ${xr}.spec.region }}|{{ ${xr}.spec.missing | default "p" }}`,
  `{{ $d := dict "a" 1 "b" (list 1 2) }}{{ $d }}|{{ toJson $d }}|{{ get $d "a" }}|{{ hasKey $d "b" }}|{{ set $d "c" 3 }}`,
  `{{ toJson ${xr}.spec.tags }}|{{ toJson ${xr}.spec.zones }}|{{ toJson "<&>" }}`,
  `{{ quote ${xr}.spec.region }} {{ quote 3 }} {{ squote "x" }} {{ quote ${xr}.spec.replicas }}`,
  `{{ dig "spec" "nested" "deep" "value" "def" ${xr} }}|{{ dig "spec" "nope" "def" ${xr} }}`,
  `{{ list 1 "a" ${xr}.spec.ratio }}|{{ append (list 1) 2 }}|{{ first ${xr}.spec.zones }}|{{ rest ${xr}.spec.zones }}|{{ last ${xr}.spec.zones }}`,
  `{{ indent 2 ${xr}.spec.text }}|{{ nindent 4 "a\\nb" }}`,
  `{{ lower "ABC" }} {{ upper "abc" }} {{ title "hello world" }} {{ trim "  x  " }} {{ trimSuffix "-x" "a-x" }} {{ trimPrefix "a-" "a-x" }}`,
  `{{ replace "." "-" "a.b.c" }} {{ hasSuffix "c" "abc" }} {{ hasPrefix "a" "abc" }} {{ contains "b" "abc" }}`,
  `{{ int ${xr}.spec.replicas }} {{ int "42" }} {{ int64 3.9 }} {{ float64 "2.5" }} {{ toString ${xr}.spec.size }} {{ atoi "12" }}`,
  `{{ add 1 2 ${xr}.spec.replicas }} {{ sub 10 3 }} {{ mul 2 ${xr}.spec.replicas }} {{ div 10 3 }} {{ mod 10 3 }} {{ add1 ${xr}.spec.ratio }}`,
  '{{ div 1 0 }}',
  `{{ printf "%d" (add ${xr}.spec.replicas 1) }} {{ printf "%T" (add 1 1) }} {{ printf "%T" (int 1) }} {{ printf "%T" (len "x") }}`,
  `{{ merge (dict "a" 1 "b" (dict "x" 1)) (dict "b" (dict "y" 2) "c" 3) }}`,
  `{{ until 3 }} {{ join "," ${xr}.spec.zones }} {{ join "-" (list 1 2 nil 3) }} {{ splitList "," "a,b,c" }}`,
  `{{ regexMatch "^eu-" ${xr}.spec.region }} {{ regexReplaceAll "-(\\\\d)" ${xr}.spec.region "_$1" }} {{ regexSplit "-" ${xr}.spec.region -1 }} {{ regexQuoteMeta "a.b*c" }}`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp replacement template, not JS
  '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}|{{ regexReplaceAll "a*" "baaac" "-" }}',
  `{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ sha256sum "x" }}`,
  `{{ ternary "y" "n" ${xr}.spec.enabled }} {{ kindIs "map" ${xr}.spec.tags }} {{ kindIs "slice" ${xr}.spec.zones }} {{ kindOf ${xr}.spec.replicas }} {{ typeOf ${xr}.spec.zones }}`,
  `{{ empty ${xr}.spec.empty }} {{ empty ${xr}.spec.replicas }} {{ coalesce ${xr}.spec.missing "" "c" }}`,
  `{{ kebabcase "MyAppName" }} {{ sortAlpha (list "b" "a" "c") }} {{ uniq (list 1 1 2) }} {{ has "b" ${xr}.spec.zones }}`,
  `{{ fromJson "{\\"a\\":[1,2]}" }} {{ $c := deepCopy ${xr}.spec.tags }}{{ $c.team }}`,
  '{{ fail "stop here" }}',
  `{{ toYaml ${xr}.spec }}`,
  `{{ toYaml ${xr}.spec.tags | nindent 4 }}`,
  '{{ $v := fromYaml "a: 1\\nb: [x, y]\\n" }}{{ $v.a }} {{ $v.b }} {{ printf "%T" $v.a }}',
  `{{ setResourceNameAnnotation "bucket" }}`,
  `{{ range $name, $r := .observed.resources }}{{ $name }}={{ $r.resource.status.atProvider.arn }}{{ end }}`,
  `{{ index .context "apiextensions.crossplane.io/environment" "region" }}`,
  `{{ $env := index .context "apiextensions.crossplane.io/environment" }}{{ $env.flags.a }}`,
  "{{ 0x10 }} {{ 1e3 }} {{ -5 }} {{ 0o17 }} {{ 1_000 }} {{ 'a' }}",
  '{{ "a\\tb\\u00e9" }} {{ `raw\\n` }}',
  '{{ range 3 }}{{ . }}{{ end }}',
  '{{ $a := list }}{{ range $i := until 3 }}{{ $a = append $a $i }}{{ end }}{{ $a }}',
  '{{ with $x := "v" }}{{ $x }}{{ end }}',
  `{{ len (printf "%s" ${xr}.spec.region) }}`,
];

describe('Go text/template + sprig emulation against Go', () => {
  it('renders the same output and errors', async () => {
    const answers = await askOracle(templates.map((template) => ({ op: 'template' as const, template, data })));
    const mismatches: string[] = [];
    templates.forEach((t, i) => {
      const theirs = answers[i];
      let out = '';
      let err: string | undefined;
      try {
        const set = newTemplateSet('manifests', t, templateFuncs());
        out = executeTemplate(set, 'manifests', structuredClone(data));
      } catch (e) {
        err = e instanceof Error ? e.message : String(e);
      }
      const want = theirs?.err === undefined ? theirs?.out : `ERR ${theirs.err}`;
      const got = err === undefined ? out : `ERR ${err}`;
      if (want !== got) mismatches.push(`${JSON.stringify(t)}\n   go:   ${JSON.stringify(want)}\n   ours: ${JSON.stringify(got)}`);
    });
    expect(mismatches.join('\n')).toBe('');
  });
});

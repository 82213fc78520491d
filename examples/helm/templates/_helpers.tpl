{{/* claim.name is the claim's name: <release>-<entry name>. */}}
{{- define "claim.name" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 -}}
{{- if not $entry.name }}{{ fail "every claim entry needs a name" }}{{ end -}}
{{- printf "%s-%s" $root.Release.Name $entry.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* claim.metadata is a claim's metadata: name, namespace and the chart's labels. */}}
{{- define "claim.metadata" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 -}}
name: {{ include "claim.name" (list $root $entry) }}
namespace: {{ $root.Release.Namespace }}
labels:
  app.kubernetes.io/managed-by: {{ $root.Release.Service }}
  app.kubernetes.io/instance: {{ $root.Release.Name }}
  helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version }}
{{- end -}}

{{/* claim.spec is a claim's spec; `defaults` are parameters the entry's own override. */}}
{{- define "claim.spec" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 -}}{{- $defaults := index . 2 -}}
compositeDeletePolicy: {{ $root.Values.compositeDeletePolicy }}
parameters:
{{- toYaml (mergeOverwrite (deepCopy $defaults) (deepCopy ($entry.parameters | default dict))) | nindent 2 }}
{{- end -}}

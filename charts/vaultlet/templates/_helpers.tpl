{{/* The chart's name, e.g. for labels. */}}
{{- define "vaultlet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the Deployment, Service, ServiceAccount...: "<release>-webhook". */}}
{{- define "vaultlet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-webhook" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The value of app.kubernetes.io/name on the webhook's pods (excluded from injection). */}}
{{- define "vaultlet.appName" -}}
{{- printf "%s-webhook" (include "vaultlet.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vaultlet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vaultlet.appName" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vaultlet.labels" -}}
{{ include "vaultlet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "vaultlet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The injected agents' image: agentImage, else the agent-only image. */}}
{{- define "vaultlet.agentImage" -}}
{{- default (printf "%s:%s" .Values.agentImageRepository (default .Chart.AppVersion .Values.image.tag)) .Values.agentImage -}}
{{- end -}}

{{/* The TLS Secret: the existing one, or the one this chart makes. */}}
{{- define "vaultlet.tlsSecret" -}}
{{- if .Values.tls.existingSecret -}}
{{- .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "vaultlet.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* tls.mode=secret: base64 of the CA PEM, for caBundle. */}}
{{- define "vaultlet.caBundle" -}}
{{- if .Values.tls.caBundle -}}
{{- .Values.tls.caBundle -}}
{{- else if .Values.tls.ca -}}
{{- .Values.tls.ca | b64enc -}}
{{- else -}}
{{- fail "vaultlet: tls.mode=secret needs tls.ca (--set-file tls.ca=ca.crt) or tls.caBundle: the API server must trust the webhook's certificate (see docs/chart.md)" -}}
{{- end -}}
{{- end -}}

{{/* The webhook's matchConditions: the values' list when one is given ([]
for none); by default, on Kubernetes 1.28+ (where they are on by default),
only pods that carry the agent-inject annotation. */}}
{{- define "vaultlet.matchConditions" -}}
{{- $mc := .Values.webhook.matchConditions -}}
{{- if kindIs "invalid" $mc -}}
{{- if semverCompare ">=1.28.0-0" .Capabilities.KubeVersion.Version -}}
- name: vault-agent-inject-annotated
  expression: "has(object.metadata.annotations) && 'vault.hashicorp.com/agent-inject' in object.metadata.annotations"
{{- end -}}
{{- else if $mc -}}
{{- toYaml $mc -}}
{{- end -}}
{{- end -}}

{{/*
The webhook's TLS, in three modes (tls.mode): auto, cert-manager, secret.

vaultlet.tls.auto - the material of tls.mode=auto, as YAML with the keys
tls.crt, tls.key and ca.crt (each base64 of PEM, as in a Secret's data).
Argument: (dict "ctx" $ "existing" SECRET), where SECRET is what
`lookup "v1" "Secret"` found for the TLS Secret (an empty map when there is
none, and always under `helm template`). An existing Secret that holds all
three keys is reused as it is, so `helm upgrade` keeps the certificates the
running pods serve and the caBundle that trusts them; otherwise a new CA and a
serving certificate for <svc>, <svc>.<ns> and <svc>.<ns>.svc (server auth)
are generated, valid tls.auto.validityDays days. The lookup is the caller's,
so this logic can be tested with a given Secret (tests/webhook/chart.py).
*/}}
{{- define "vaultlet.tls.auto" -}}
{{- $ctx := .ctx -}}
{{- $data := dict -}}
{{- with .existing -}}
{{- with .data -}}
{{- $data = . -}}
{{- end -}}
{{- end -}}
{{- if and (index $data "tls.crt") (index $data "tls.key") (index $data "ca.crt") -}}
tls.crt: {{ index $data "tls.crt" }}
tls.key: {{ index $data "tls.key" }}
ca.crt: {{ index $data "ca.crt" }}
{{- else -}}
{{- $svc := include "vaultlet.fullname" $ctx -}}
{{- $ns := $ctx.Release.Namespace -}}
{{- $days := int $ctx.Values.tls.auto.validityDays -}}
{{- $ca := genCA (printf "%s-ca" $svc) $days -}}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc $ns) nil $names $days $ca -}}
tls.crt: {{ $cert.Cert | b64enc }}
tls.key: {{ $cert.Key | b64enc }}
ca.crt: {{ $ca.Cert | b64enc }}
{{- end -}}
{{- end -}}

{{/* Fails when values of another TLS mode are set: they would be ignored. */}}
{{- define "vaultlet.tls.check" -}}
{{- $t := .Values.tls -}}
{{- if ne $t.mode "secret" -}}
{{- range $k := list "cert" "key" "existingSecret" "ca" "caBundle" -}}
{{- if index $t $k -}}
{{- fail (printf "vaultlet: tls.%s is used only with tls.mode=secret (tls.mode is %s): add --set tls.mode=secret, or drop tls.%s" $k $t.mode $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (ne $t.mode "cert-manager") $t.certManager.issuerRef -}}
{{- fail (printf "vaultlet: tls.certManager.issuerRef is used only with tls.mode=cert-manager (tls.mode is %s)" $t.mode) -}}
{{- end -}}
{{- end -}}

{{/* The cert-manager Issuer the serving Certificate uses. */}}
{{- define "vaultlet.tls.issuerRef" -}}
{{- with .Values.tls.certManager.issuerRef -}}
name: {{ required "vaultlet: tls.certManager.issuerRef.name is required when issuerRef is set" .name }}
kind: {{ default "Issuer" .kind }}
group: {{ default "cert-manager.io" .group }}
{{- else -}}
name: {{ include "vaultlet.fullname" . }}-ca
kind: Issuer
group: cert-manager.io
{{- end -}}
{{- end -}}

{{/* Chart name, or nameOverride. */}}
{{- define "iec.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every resource name: fullnameOverride, else the release name when it
already contains the chart name, else <release>-<chart>. Kubernetes names of
Services and labels are limited to 63 characters.
*/}}
{{- define "iec.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "iec.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- if eq (int .Values.metrics.port) 9443 }}
{{- fail "metrics.port must differ from 9443, the HTTPS port; set 0 to serve /metrics on the HTTPS port" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "iec.selectorLabels" -}}
app.kubernetes.io/name: {{ include "iec.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "iec.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "iec.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "iec.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the CA Secret that the generated certificates share. */}}
{{- define "iec.caSecretName" -}}
{{- default (printf "%s-ca" (include "iec.fullname" .)) .Values.certificates.caSecretName }}
{{- end }}

{{/* DNS name the API server uses to reach the webhook Service. */}}
{{- define "iec.serviceHost" -}}
{{- printf "%s.%s.svc" (include "iec.fullname" .) .Release.Namespace }}
{{- end }}

{{/* The bundle's CRD names from files/crd-names.yaml, as a YAML list. */}}
{{- define "iec.crdNames" -}}
{{- .Files.Get "files/crd-names.yaml" }}
{{- end }}

{{/*
Milliseconds the pods may spend on API lookups for one admission request:
half the webhook timeout, at most 3000, so they answer before the API server
gives up on them.
*/}}
{{- define "iec.lookupTimeoutMs" -}}
{{- min 3000 (mul .Values.webhook.timeoutSeconds 500) }}
{{- end }}

{{/* Rejects value combinations that the schema cannot express. */}}
{{- define "iec.validate" -}}
{{- $certificates := .Values.certificates }}
{{- if and (eq $certificates.source "existingSecret") (not $certificates.existingSecret.name) }}
{{- fail "certificates.existingSecret.name is required when certificates.source is existingSecret" }}
{{- end }}
{{- if and (eq $certificates.source "generate") $certificates.caBundle }}
{{- fail "certificates.caBundle applies only to certificates.source existingSecret; with generate the pods write the caBundle" }}
{{- end }}
{{- if and $certificates.caBundle $certificates.existingSecret.hasCaCert }}
{{- fail "certificates.caBundle is set while certificates.existingSecret.hasCaCert is true, so the pods would overwrite it with the Secret's ca.crt; set hasCaCert to false to use caBundle" }}
{{- end }}
{{- if eq (int .Values.metrics.port) 9443 }}
{{- fail "metrics.port must differ from 9443, the HTTPS port; set 0 to serve /metrics on the HTTPS port" }}
{{- end }}
{{- if and .Values.metrics.scrapeAnnotations (eq (int .Values.metrics.port) 0) }}
{{- fail "metrics.scrapeAnnotations needs metrics.port above 0, because Prometheus would otherwise scrape the HTTPS port without its CA" }}
{{- end }}
{{- if lt (int $certificates.caValiditySeconds) (int $certificates.servingCertValiditySeconds) }}
{{- fail "certificates.caValiditySeconds must be at least certificates.servingCertValiditySeconds, because a serving certificate never outlives its CA" }}
{{- end }}
{{- end }}

{{/*
Seconds Kubernetes waits for a pod to stop before SIGKILL: the preStop sleep,
then --shutdown-timeout for requests in flight, then the 5 s after which the
process gives up on a stuck shutdown and exits by itself.
*/}}
{{- define "iec.terminationGracePeriodSeconds" -}}
{{- add .Values.preStopSleepSeconds .Values.shutdownTimeoutSeconds 5 }}
{{- end }}

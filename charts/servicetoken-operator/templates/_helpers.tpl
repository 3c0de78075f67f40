{{/* Names, labels and small shared snippets. */}}

{{- define "servicetoken-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "servicetoken-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "servicetoken-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "servicetoken-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "servicetoken-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "servicetoken-operator.labels" -}}
helm.sh/chart: {{ include "servicetoken-operator.chart" . }}
{{ include "servicetoken-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: servicetoken-operator
{{- end }}

{{- define "servicetoken-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "servicetoken-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "servicetoken-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs wherever it watches ServiceTokens: read the
custom resources and patch their status, manage the token Secrets (no delete:
owner references let the garbage collector remove them), and record Events.
Rendered into a ClusterRole (all namespaces) or a Role per watched namespace.
*/}}
{{- define "servicetoken-operator.watchRules" -}}
- apiGroups: [servicetoken.dev]
  resources: [servicetokens, serviceusers]
  verbs: [get, list, watch]
- apiGroups: [servicetoken.dev]
  resources: [servicetokens/status, serviceusers/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/*
What servicetoken-admin (and servicetoken-scim-admin) may do: manage
ServiceTokens and ServiceUsers and read their status. No custom verbs: those
are what the admission policies check.
*/}}
{{- define "servicetoken-operator.userAdminRules" -}}
- apiGroups: [servicetoken.dev]
  resources: [servicetokens, serviceusers]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [servicetoken.dev]
  resources: [servicetokens/status, serviceusers/status]
  verbs: [get]
{{- end }}

{{/* The labels of an admission policy or its binding. */}}
{{- define "servicetoken-operator.admissionLabels" -}}
{{ include "servicetoken-operator.labels" . }}
app.kubernetes.io/component: admission-policy
{{- end }}

{{/*
A ValidatingAdmissionPolicyBinding binding policy servicetoken-<rule> to every
request it matches, with admissionPolicies.validationActions. Call with
(dict "root" $ "rule" "personal-owner").
*/}}
{{- define "servicetoken-operator.admissionBinding" -}}
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: servicetoken-{{ .rule }}
  labels:
    {{- include "servicetoken-operator.admissionLabels" .root | nindent 4 }}
spec:
  policyName: servicetoken-{{ .rule }}
  validationActions: {{ toJson .root.Values.admissionPolicies.validationActions }}
{{- end }}

{{/* The verifier: names, labels, ServiceAccount, and the issuer URL. */}}
{{- define "servicetoken-operator.verifier.fullname" -}}
{{- printf "%s-verifier" (include "servicetoken-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "servicetoken-operator.verifier.selectorLabels" -}}
app.kubernetes.io/name: {{ include "servicetoken-operator.name" . }}-verifier
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "servicetoken-operator.verifier.labels" -}}
helm.sh/chart: {{ include "servicetoken-operator.chart" . }}
{{ include "servicetoken-operator.verifier.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: servicetoken-operator
app.kubernetes.io/component: verifier
{{- end }}

{{- define "servicetoken-operator.verifier.serviceAccountName" -}}
{{- if .Values.verifier.serviceAccount.create }}
{{- default (include "servicetoken-operator.verifier.fullname" .) .Values.verifier.serviceAccount.name }}
{{- else }}
{{- required "verifier.serviceAccount.name is required when verifier.serviceAccount.create is false" .Values.verifier.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The tokens' issuer (iss): token.issuerUrl when set; otherwise, with the
verifier enabled, its Service URL, so OIDC discovery at
<issuer>/.well-known/openid-configuration reaches the verifier; otherwise
https://servicetoken.dev.
*/}}
{{- define "servicetoken-operator.issuerUrl" -}}
{{- if .Values.token.issuerUrl }}
{{- .Values.token.issuerUrl }}
{{- else if .Values.verifier.enabled }}
{{- printf "https://%s.%s.svc" (include "servicetoken-operator.verifier.fullname" .) .Release.Namespace }}
{{- else }}
{{- "https://servicetoken.dev" }}
{{- end }}
{{- end }}

{{/*
What the verifier reads wherever ServiceTokens are watched: the custom
resources, and patch on servicetokens/status for Last Used (a field the
operator never writes). Rendered into a ClusterRole or a Role per watched
namespace.
*/}}
{{- define "servicetoken-operator.verifier.watchRules" -}}
- apiGroups: [servicetoken.dev]
  resources: [servicetokens, serviceusers]
  verbs: [get, list, watch]
- apiGroups: [servicetoken.dev]
  resources: [servicetokens/status]
  verbs: [patch]
{{- end }}

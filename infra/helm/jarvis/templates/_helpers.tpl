{{/* The chart's name. */}}
{{- define "jarvis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects' name. */}}
{{- define "jarvis.fullname" -}}
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

{{- define "jarvis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jarvis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "jarvis.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "jarvis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "jarvis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jarvis.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "jarvis.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The Secret every secret variable is read from by default. */}}
{{- define "jarvis.secretName" -}}
{{- required "secrets.existingSecret: name the Secret that holds Jarvis's secrets (the chart keeps none)" .Values.secrets.existingSecret }}
{{- end }}

{{/* One secret variable as an env entry: (list $ NAME). */}}
{{- define "jarvis.secretEnv" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $ref := index $root.Values.secrets.env $name }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name | default (include "jarvis.secretName" $root) }}
      key: {{ $ref.key }}
      {{- if $ref.optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* The pod's security context: not root, the runtime's seccomp profile. */}}
{{- define "jarvis.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The container's: no privilege, no capability, a read-only root. */}}
{{- define "jarvis.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Jarvis's secret settings: never a plain value in env. */}}
{{- define "jarvis.secretSettings" -}}
JARVIS_DATABASE_URL JARVIS_REDIS_URL JARVIS_JWT_SECRET JARVIS_ENCRYPTION_KEYS GOOGLE_CLIENT_SECRET OPENAI_API_KEY ANTHROPIC_API_KEY
{{- end }}

{{/* Fails when env holds a secret setting: secrets come from secrets.env. */}}
{{- define "jarvis.checkEnv" -}}
{{- $secret := splitList " " (include "jarvis.secretSettings" .) }}
{{- range $name, $_ := .Values.env }}
{{- if has $name $secret }}
{{- fail (printf "env: %s is a secret: name its Secret and key in secrets.env instead" $name) }}
{{- end }}
{{- if hasKey $.Values.secrets.env $name }}
{{- fail (printf "env: %s is also in secrets.env: keep one" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vpn-console.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vpn-console.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vpn-console.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "vpn-console.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "vpn-console.selector" -}}
app.kubernetes.io/name: {{ include "vpn-console.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "vpn-console.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The Secret with the database and Redis URLs: the operator's, or the chart's (a hook, so the migration Job has it). */}}
{{- define "vpn-console.connectionsSecret" -}}
{{- printf "%s-connections" (include "vpn-console.fullname" .) -}}
{{- end -}}

{{- define "vpn-console.keysSecret" -}}
{{- default (printf "%s-keys" (include "vpn-console.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "vpn-console.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "vpn-console.connectionsSecret" .) .Values.postgresql.existingSecret }}
      key: {{ ternary .Values.postgresql.existingSecretKey "database-url" (ne .Values.postgresql.existingSecret "") }}
{{- end -}}

{{/* Settings the API and the worker share (they read the same environment). */}}
{{- define "vpn-console.sharedEnv" -}}
{{ include "vpn-console.databaseEnv" . }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "vpn-console.connectionsSecret" .) .Values.redis.existingSecret }}
      key: {{ ternary .Values.redis.existingSecretKey "redis-url" (ne .Values.redis.existingSecret "") }}
- name: SECRETS_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "vpn-console.keysSecret" . }}, key: secrets-key }
- name: ADMIN_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "vpn-console.keysSecret" . }}, key: admin-api-key }
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- end -}}

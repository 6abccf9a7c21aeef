{{/* Names, labels and the pieces every ZKredit pod shares. */}}

{{- define "zkredit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "zkredit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "zkredit.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "zkredit.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. zkredit-worker. Call with (list $ "worker"). */}}
{{- define "zkredit.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "zkredit.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "zkredit.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: zkredit
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{ include "zkredit.selectorLabels" . }}
{{- end -}}

{{- define "zkredit.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "zkredit.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "zkredit.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The non-secret environment: the ConfigMap's data and the deploy hook's env. */}}
{{- define "zkredit.configData" -}}
ZKREDIT_ENV: {{ .Values.config.env | quote }}
CHAIN_ID: {{ required "config.chainId is required" .Values.config.chainId | toString | quote }}
RPC_URL: {{ required "config.rpcUrl is required" .Values.config.rpcUrl | quote }}
{{- with .Values.config.redisUrl }}
REDIS_URL: {{ . | quote }}
{{- end }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
{{- /* TLS ends at the Ingress; pods speak plain HTTP inside the cluster network. */}}
ZKREDIT_TLS_ENABLED: "false"
ZKREDIT_TLS_PROXY: "true"
ENABLE_TELEMETRY: {{ .Values.config.telemetry.enabled | toString | quote }}
{{- with .Values.config.telemetry.otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- with .Values.config.telemetry.jaegerEndpoint }}
JAEGER_ENDPOINT: {{ . | quote }}
{{- end }}
METRICS_PORT: {{ .Values.prover.metricsPort | toString | quote }}
PORT: {{ .Values.gateway.port | toString | quote }}
GATEWAY_HOST: {{ include "zkredit.componentName" (list . "gateway") | quote }}
{{- range $name, $agent := .Values.agents }}
{{ upper $name }}_AGENT_PORT: {{ $agent.port | toString | quote }}
{{ upper $name }}_AGENT_HOST: {{ include "zkredit.componentName" (list $ $name) | quote }}
{{- end }}
ZKREDIT_DATA_DIR: "/var/lib/zkredit/data"
ZKREDIT_DEPLOYMENTS_DIR: "/var/lib/zkredit/deployments"
ZKREDIT_KEYSTORE_DIR: "/run/zkredit/keystores"
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Secret variables, by reference only. */}}
{{- define "zkredit.secretEnv" -}}
{{- $secret := .Values.secrets.app.existingSecret -}}
- name: JWT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: JWT_SECRET}
- name: ENCRYPTION_KEY
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: ENCRYPTION_KEY}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: DATABASE_URL}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: REDIS_URL, optional: true}
{{- end -}}

{{- define "zkredit.podSecurity" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "zkredit.deploymentRecordVolume" -}}
- name: deployments
{{- if .Values.deploymentRecord.existingConfigMap }}
  configMap:
    name: {{ .Values.deploymentRecord.existingConfigMap }}
{{- else }}
  persistentVolumeClaim:
    claimName: {{ required "deploymentRecord.existingClaim or existingConfigMap is required" .Values.deploymentRecord.existingClaim }}
{{- end }}
{{- end -}}

{{- define "zkredit.httpProbes" -}}
{{- $root := index . 0 -}}
{{- $port := index . 1 -}}
{{- with $root.Values.probes }}
startupProbe:
  httpGet: {path: {{ .startup.path }}, port: {{ $port }}}
  periodSeconds: {{ .startup.periodSeconds }}
  timeoutSeconds: {{ .startup.timeoutSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet: {path: {{ .liveness.path }}, port: {{ $port }}}
  periodSeconds: {{ .liveness.periodSeconds }}
  timeoutSeconds: {{ .liveness.timeoutSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: {{ .readiness.path }}, port: {{ $port }}}
  periodSeconds: {{ .readiness.periodSeconds }}
  timeoutSeconds: {{ .readiness.timeoutSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end }}
{{- end -}}

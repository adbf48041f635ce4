{{/* Chart name. */}}
{{- define "agentcore-identity.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release full name, short enough to take a "-control-plane" style suffix. */}}
{{- define "agentcore-identity.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "agentcore-identity.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "agentcore-identity.fullname" .) }}
{{- end }}

{{- define "agentcore-identity.dataPlane.fullname" -}}
{{- printf "%s-data-plane" (include "agentcore-identity.fullname" .) }}
{{- end }}

{{- define "agentcore-identity.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "agentcore-identity.labels" -}}
helm.sh/chart: {{ include "agentcore-identity.chart" . }}
{{ include "agentcore-identity.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentcore-identity
{{- end }}

{{- define "agentcore-identity.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentcore-identity.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component: include with (dict "root" $ "component" "control-plane"). */}}
{{- define "agentcore-identity.componentSelectorLabels" -}}
{{ include "agentcore-identity.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "agentcore-identity.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agentcore-identity.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* An image reference: include with (dict "root" $ "image" .Values.image.controlPlane). */}}
{{- define "agentcore-identity.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{/* PUBLIC_BASE_URL: the value, else the first Ingress host, else the in-cluster Service URL. */}}
{{- define "agentcore-identity.publicBaseUrl" -}}
{{- if .Values.config.publicBaseUrl }}
{{- .Values.config.publicBaseUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (first .Values.ingress.hosts) }}
{{- else }}
{{- printf "http://%s.%s.svc:%v" (include "agentcore-identity.dataPlane.fullname" .) .Release.Namespace .Values.dataPlane.service.httpPort }}
{{- end }}
{{- end }}

{{/* Where the master key ring Secret is mounted. */}}
{{- define "agentcore-identity.masterKeysDir" -}}
/etc/agentcore-identity/master-keys
{{- end }}

{{/*
Environment both planes and the migrations Job share: the database and the key ring. The schema
requires the two Secret references; `required` repeats the check for --skip-schema-validation.
*/}}
{{- define "agentcore-identity.storageEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.database.existingSecret is required: the name of a Secret holding the Postgres URL" .Values.secrets.database.existingSecret | quote }}
      key: {{ required "secrets.database.key is required" .Values.secrets.database.key | quote }}
- name: DATABASE_MAX_CONNECTIONS
  value: {{ .Values.config.databaseMaxConnections | quote }}
- name: IDENTITY_MASTER_KEY_FILE
  value: {{ printf "%s/%s" (include "agentcore-identity.masterKeysDir" .) .Values.secrets.masterKeys.key | quote }}
- name: IDENTITY_REGION
  value: {{ .Values.config.region | quote }}
- name: IDENTITY_DATA_DIR
  value: /tmp/agentcore-identity
- name: RUST_LOG
  value: {{ .Values.config.logLevel | quote }}
- name: LOG_FORMAT
  value: {{ .Values.config.logFormat | quote }}
{{- end }}

{{/* Settings of a serving plane: include with (dict "root" $ "service" "identity-data-plane"). */}}
{{- define "agentcore-identity.serveEnv" -}}
{{- $root := .root -}}
- name: PUBLIC_BASE_URL
  value: {{ include "agentcore-identity.publicBaseUrl" $root | quote }}
- name: OUTBOUND_ALLOWED_NETWORKS
  value: {{ join "," $root.Values.config.outboundAllowedNetworks | quote }}
{{- with $root.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ $.service | quote }}
{{- end }}
{{- with $root.Values.telemetry.resourceAttributes }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ include "agentcore-identity.resourceAttributes" . | quote }}
{{- end }}
{{- end }}

{{- define "agentcore-identity.resourceAttributes" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%v" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* The key ring volume and the writable /tmp (the root file system is read-only). */}}
{{- define "agentcore-identity.volumes" -}}
- name: master-keys
  secret:
    secretName: {{ required "secrets.masterKeys.existingSecret is required: the name of a Secret holding the master key ring" .Values.secrets.masterKeys.existingSecret | quote }}
    defaultMode: 0440
    items:
      - key: {{ required "secrets.masterKeys.key is required" .Values.secrets.masterKeys.key | quote }}
        path: {{ .Values.secrets.masterKeys.key | quote }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "agentcore-identity.volumeMounts" -}}
- name: master-keys
  mountPath: {{ include "agentcore-identity.masterKeysDir" . }}
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
Pod-level settings both Deployments and the Job share. The Job runs before the chart's
ServiceAccount exists (pre-install hook), so the Deployments name it themselves.
*/}}
{{- define "agentcore-identity.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Request hardening of a serving plane (config.hardening). */}}
{{- define "agentcore-identity.hardeningEnv" -}}
- name: MAX_MESSAGE_BYTES
  value: {{ .Values.config.hardening.maxMessageBytes | int64 | quote }}
- name: REQUEST_TIMEOUT
  value: {{ .Values.config.hardening.requestTimeoutSeconds | int64 | quote }}
- name: MAX_CONCURRENT_REQUESTS
  value: {{ .Values.config.hardening.maxConcurrentRequests | int64 | quote }}
{{- end }}

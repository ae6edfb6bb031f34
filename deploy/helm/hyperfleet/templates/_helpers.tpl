{{/* Labels of every object: the component's selector labels plus the release's. */}}
{{- define "hyperfleet.labels" -}}
app.kubernetes.io/name: hyperfleet
app.kubernetes.io/part-of: hyperfleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The image of every HyperFleet container, and of the adapters' Jobs. */}}
{{- define "hyperfleet.image" -}}
{{ printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}

{{/* Where the tickers and the adapters reach the API: its Service, on its port, over HTTPS. */}}
{{- define "hyperfleet.apiUrl" -}}
https://hyperfleet-api:8000
{{- end }}

{{/*
Pod-level settings of every HyperFleet pod. Service links would inject HYPERFLEET_*_PORT=tcp://…
variables that the binary reads as settings. Argument: dict "root" $ "component" NAME
"selector" (extra selector labels, a dict).
*/}}
{{- define "hyperfleet.podSpecCommon" -}}
{{- $root := .root -}}
enableServiceLinks: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    topologyKey: {{ $root.Values.topologySpread.topologyKey }}
    whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "hyperfleet.selector" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* Selector labels of one component. Argument: dict "component" NAME "selector" DICT. */}}
{{- define "hyperfleet.selector" -}}
app.kubernetes.io/name: hyperfleet
app.kubernetes.io/component: {{ .component }}
{{- range $k, $v := .selector }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/* Container-level security: no privilege escalation, no capabilities, read-only root. */}}
{{- define "hyperfleet.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end }}

{{/*
Ports and probes of a long-running HyperFleet container: health 8080 (/healthz, /readyz) and
metrics 9090, the binary's defaults. hyperfleet.probes takes a dict with optional
"readinessPeriod" and "readinessFailures" (default 10 s and 3).
*/}}
{{- define "hyperfleet.opsPorts" -}}
- name: health
  containerPort: 8080
- name: metrics
  containerPort: 9090
{{- end }}
{{- define "hyperfleet.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: health
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: health
  periodSeconds: {{ .readinessPeriod | default 10 }}
  failureThreshold: {{ .readinessFailures | default 3 }}
{{- end }}

{{/* Environment of the components that reach the database: its URL from a file. */}}
{{- define "hyperfleet.dbEnv" -}}
- name: HYPERFLEET_DB_FILE
  value: /etc/hyperfleet/db/url
{{- end }}
{{- define "hyperfleet.dbMount" -}}
- name: db
  mountPath: /etc/hyperfleet/db
  readOnly: true
{{- end }}
{{- define "hyperfleet.dbVolume" -}}
- name: db
  secret:
    secretName: {{ .Values.database.existingSecret }}
    items:
      - key: {{ .Values.database.key }}
        path: url
{{- end }}

{{/* The outbox's and the adapters' broker: the RabbitMQ URL from a file of its Secret. */}}
{{- define "hyperfleet.brokerEnv" -}}
{{- if eq .Values.broker.type "rabbitmq" }}
- name: HYPERFLEET_RABBITMQ_URL_FILE
  value: /etc/hyperfleet/rabbitmq/url
{{- end }}
{{- end }}
{{- define "hyperfleet.brokerMount" -}}
{{- if eq .Values.broker.type "rabbitmq" }}
- name: rabbitmq
  mountPath: /etc/hyperfleet/rabbitmq
  readOnly: true
{{- end }}
{{- end }}
{{- define "hyperfleet.brokerVolume" -}}
{{- if eq .Values.broker.type "rabbitmq" }}
- name: rabbitmq
  secret:
    secretName: {{ .Values.broker.rabbitmq.existingSecret }}
    items:
      - key: {{ .Values.broker.rabbitmq.key }}
        path: url
{{- end }}
{{- end }}

{{/*
The tickers and the adapters call the API with a projected service-account token for the API's
audience (rotated by the kubelet, re-read by the binary) and trust ca.crt of the API's TLS
Secret, mounted alone (never the private key).
*/}}
{{- define "hyperfleet.apiClientEnv" -}}
- name: HYPERFLEET_TOKEN_FILE
  value: /var/run/secrets/hyperfleet/token
- name: HYPERFLEET_CA_FILE
  value: /etc/hyperfleet/api-ca/ca.crt
{{- end }}
{{- define "hyperfleet.apiClientMounts" -}}
- name: hyperfleet-token
  mountPath: /var/run/secrets/hyperfleet
  readOnly: true
- name: api-ca
  mountPath: /etc/hyperfleet/api-ca
  readOnly: true
{{- end }}
{{- define "hyperfleet.apiClientVolumes" -}}
- name: hyperfleet-token
  projected:
    sources:
      - serviceAccountToken:
          audience: {{ .Values.api.auth.audience }}
          expirationSeconds: 3600
          path: token
- name: api-ca
  secret:
    secretName: {{ .Values.api.tls.secretName }}
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}

{{/* The parsed config of adapter `.adapter` (its `config`, else files/adapters/NAME.yaml). */}}
{{- define "hyperfleet.adapterConfigText" -}}
{{- if .adapter.config -}}
{{ toYaml .adapter.config }}
{{- else -}}
{{- $file := printf "files/adapters/%s.yaml" .adapter.name -}}
{{- $text := .root.Files.Get $file -}}
{{- if not $text -}}
{{- fail (printf "adapter %s: no `config` in values and no %s in the chart" .adapter.name $file) -}}
{{- end -}}
{{ $text }}
{{- end -}}
{{- end }}

{{/* The resource type an adapter reconciles: its config's `resource`, default clusters. */}}
{{- define "hyperfleet.adapterResource" -}}
{{- $config := include "hyperfleet.adapterConfigText" . | fromYaml -}}
{{- $config.resource | default "clusters" -}}
{{- end }}

{{/* The adapters required for `.resource`, comma-separated. */}}
{{- define "hyperfleet.requiredAdapters" -}}
{{- $root := .root -}}
{{- $names := list -}}
{{- range $root.Values.adapters -}}
{{- if eq (include "hyperfleet.adapterResource" (dict "root" $root "adapter" .)) $.resource -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- end -}}
{{- join "," $names -}}
{{- end }}

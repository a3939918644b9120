package infra

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/jarvis-hq/jarvis/internal/config"
)

const chartDir = "helm/jarvis"

// rendered is one document of `helm template`, decoded into its type.
type rendered struct {
	source string
	kind   string
	hook   bool
	obj    any
}

// render runs `helm template` on the chart with values (as YAML), as a
// client-only install does: the values are checked against
// values.schema.json first. Every document is decoded strictly into the
// Kubernetes type of its kind: a field the API does not know, a kind the
// chart should not make or a wrong type fails the test.
func render(t *testing.T, values ...string) ([]rendered, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	// Each values file over the ones before, as helm -f a.yaml -f b.yaml.
	vals := map[string]any{}
	for _, v := range values {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(v), &m); err != nil {
			t.Fatal(err)
		}
		mergeValues(vals, m)
	}
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName, install.Namespace, install.Replace = "jarvis", "assistant", true
	ri, err := install.Run(chrt, vals)
	if err != nil {
		return nil, err
	}
	rel, ok := ri.(*release.Release)
	if !ok {
		t.Fatalf("release is a %T", ri)
	}
	var out []rendered
	for _, doc := range splitYAML(rel.Manifest) {
		out = append(out, decode(t, doc, false))
	}
	for _, h := range rel.Hooks {
		out = append(out, decode(t, h.Manifest, true))
	}
	return out, nil
}

func mergeValues(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func splitYAML(s string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+s, "\n---") {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// decode decodes one manifest into the typed object of its apiVersion and
// kind, refusing unknown fields.
func decode(t *testing.T, doc string, hook bool) rendered {
	t.Helper()
	source := "?"
	for _, l := range strings.Split(doc, "\n") {
		if s, ok := strings.CutPrefix(l, "# Source: "); ok {
			source = s
		}
	}
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("%s: not YAML: %v\n%s", source, err, doc)
	}
	var meta struct{ APIVersion, Kind string }
	if err := json.Unmarshal(js, &meta); err != nil {
		t.Fatal(err)
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 ServiceAccount":
		obj = &corev1.ServiceAccount{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "networking.k8s.io/v1 Ingress":
		obj = &networkingv1.Ingress{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "autoscaling/v2 HorizontalPodAutoscaler":
		obj = &autoscalingv2.HorizontalPodAutoscaler{}
	case "monitoring.coreos.com/v1 ServiceMonitor":
		obj = &monitoringv1.ServiceMonitor{}
	default:
		t.Fatalf("%s: unexpected %s %s", source, meta.APIVersion, meta.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("%s: not a valid %s: %v\n%s", source, meta.Kind, err, doc)
	}
	return rendered{source: source, kind: meta.Kind, hook: hook, obj: obj}
}

func find[T any](t *testing.T, docs []rendered) T {
	t.Helper()
	for _, d := range docs {
		if o, ok := d.obj.(T); ok {
			return o
		}
	}
	var zero T
	t.Fatalf("no %T rendered", zero)
	return zero
}

func kinds(docs []rendered) []string {
	var ks []string
	for _, d := range docs {
		k := d.kind
		if d.hook {
			k += " (hook)"
		}
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

const minimalValues = `
secrets:
  existingSecret: jarvis-secrets
publicURL: https://jarvis.example.com
`

// The chart with only the one value it requires: a Deployment with probes on
// /livez and /readyz, hardened, reading every secret from the Secret; the
// migration Job as a pre-install/pre-upgrade hook; the Service and the
// PodDisruptionBudget. No secret value anywhere.
func TestHelmChartDefaults(t *testing.T) {
	docs, err := render(t, minimalValues)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Deployment", "Job (hook)", "PodDisruptionBudget", "Service"}
	if got := kinds(docs); !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	d := find[*appsv1.Deployment](t, docs)
	if *d.Spec.Replicas != 2 || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("replicas %d, rolling update %+v", *d.Spec.Replicas, d.Spec.Strategy.RollingUpdate)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers = %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args = %v: the replicas must not migrate (the Job does)", c.Args)
	}
	checkHardened(t, "deployment", pod, c)
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/livez" || c.StartupProbe.HTTPGet.Path != "/livez" ||
		c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probes: liveness %+v readiness %+v startup %+v", c.LivenessProbe, c.ReadinessProbe, c.StartupProbe)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p.HTTPGet.Port.String() != "http" {
			t.Errorf("probe on port %s, want http", p.HTTPGet.Port.String())
		}
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != 8080 || ports["metrics"] != 9090 {
		t.Errorf("ports = %v", ports)
	}
	env := envOf(t, c, config.Options)
	if env["JARVIS_ADDR"] != "0.0.0.0:8080" || env["JARVIS_METRICS_ADDR"] != "0.0.0.0:9090" || env["JARVIS_PUBLIC_URL"] != "https://jarvis.example.com" {
		t.Errorf("env = %v", env)
	}

	// SIGTERM: the delay, the grace, and the margin for cancelled jobs fit
	// in the kill timeout; the readiness probe notices the drain within the delay.
	delay, grace := duration(t, env["JARVIS_SHUTDOWN_DELAY"]), duration(t, env["JARVIS_SHUTDOWN_GRACE"])
	kill := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	if kill < delay+grace+5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %v < delay %v + grace %v + 5 s for cancelled jobs", kill, delay, grace)
	}
	r := c.ReadinessProbe
	if noticed := time.Duration(r.PeriodSeconds*r.FailureThreshold) * time.Second; noticed > delay {
		t.Errorf("readiness notices a drain after %v, longer than the shutdown delay %v", noticed, delay)
	}

	secretRefs := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			secretRefs[e.Name] = ref.Name + "/" + ref.Key
			if (ref.Optional != nil && *ref.Optional) != slices.Contains([]string{"JARVIS_REDIS_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"}, e.Name) {
				t.Errorf("%s: optional = %v", e.Name, ref.Optional)
			}
		}
	}
	wantRefs := map[string]string{
		"JARVIS_DATABASE_URL": "jarvis-secrets/database-url", "JARVIS_JWT_SECRET": "jarvis-secrets/jwt-secret",
		"JARVIS_ENCRYPTION_KEYS": "jarvis-secrets/encryption-keys", "GOOGLE_CLIENT_ID": "jarvis-secrets/google-client-id",
		"GOOGLE_CLIENT_SECRET": "jarvis-secrets/google-client-secret", "JARVIS_REDIS_URL": "jarvis-secrets/redis-url",
		"OPENAI_API_KEY": "jarvis-secrets/openai-api-key", "ANTHROPIC_API_KEY": "jarvis-secrets/anthropic-api-key",
	}
	if !maps.Equal(secretRefs, wantRefs) {
		t.Errorf("secret references = %v, want %v", secretRefs, wantRefs)
	}

	job := find[*batchv1.Job](t, docs)
	hooks := job.Annotations["helm.sh/hook"]
	if hooks != "pre-install,pre-upgrade" || !strings.Contains(job.Annotations["helm.sh/hook-delete-policy"], "before-hook-creation") {
		t.Errorf("job annotations = %v", job.Annotations)
	}
	jc := job.Spec.Template.Spec.Containers[0]
	if !slices.Equal(jc.Args, []string{"migrate", "up"}) || job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || jc.Image != c.Image {
		t.Errorf("job: args %v restart %s image %s (deployment %s)", jc.Args, job.Spec.Template.Spec.RestartPolicy, jc.Image, c.Image)
	}
	checkHardened(t, "migration job", job.Spec.Template.Spec, jc)
	if env := envOf(t, jc, config.Options); len(env) != 1 || env["JARVIS_LOG_FORMAT"] != "json" {
		t.Errorf("job env = %v", env)
	}
	if ref := jc.Env[len(jc.Env)-1]; ref.Name != "JARVIS_DATABASE_URL" || ref.ValueFrom.SecretKeyRef.Key != "database-url" {
		t.Errorf("job's database URL = %+v", ref)
	}

	svc := find[*corev1.Service](t, docs)
	if !maps.Equal(svc.Spec.Selector, d.Spec.Selector.MatchLabels) || !maps.Equal(d.Spec.Selector.MatchLabels, pickLabels(d.Spec.Template.Labels, d.Spec.Selector.MatchLabels)) {
		t.Errorf("service selector %v, deployment selector %v, pod labels %v", svc.Spec.Selector, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	pdb := find[*policyv1.PodDisruptionBudget](t, docs)
	if pdb.Spec.MaxUnavailable.IntValue() != 1 || !maps.Equal(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("pdb = %+v", pdb.Spec)
	}
}

// Everything optional on: the Ingress, the HorizontalPodAutoscaler (which
// then owns the replica count), the ServiceMonitor on the metrics port, a
// ServiceAccount, a second Secret for the database URL, extra settings.
func TestHelmChartEverything(t *testing.T) {
	docs, err := render(t, minimalValues, `
secrets:
  env:
    JARVIS_DATABASE_URL: {name: pg-app, key: uri}
env:
  JARVIS_ALLOWED_DOMAINS: example.com
  JARVIS_SYNC_WORKERS: 8
metrics:
  port: 9102
  serviceMonitor: {enabled: true, labels: {release: prometheus}}
ingress:
  enabled: true
  className: nginx
  annotations: {nginx.ingress.kubernetes.io/proxy-buffering: "off"}
  hosts: [{host: jarvis.example.com}]
  tls: [{secretName: jarvis-tls, hosts: [jarvis.example.com]}]
autoscaling: {enabled: true, minReplicas: 3, maxReplicas: 12, targetMemoryUtilizationPercentage: 80}
serviceAccount: {create: true, annotations: {iam.gke.io/gcp-service-account: jarvis@p.iam.gserviceaccount.com}}
shutdown: {delaySeconds: 15, graceSeconds: 45, marginSeconds: 10}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Deployment", "HorizontalPodAutoscaler", "Ingress", "Job (hook)", "PodDisruptionBudget", "Service", "ServiceAccount", "ServiceMonitor"}
	if got := kinds(docs); !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	d := find[*appsv1.Deployment](t, docs)
	if d.Spec.Replicas != nil {
		t.Errorf("replicas = %d with the autoscaler on", *d.Spec.Replicas)
	}
	pod := d.Spec.Template.Spec
	if *pod.TerminationGracePeriodSeconds != 70 || pod.ServiceAccountName != "jarvis" {
		t.Errorf("terminationGracePeriodSeconds %d, service account %q", *pod.TerminationGracePeriodSeconds, pod.ServiceAccountName)
	}
	env := envOf(t, pod.Containers[0], config.Options)
	if env["JARVIS_SHUTDOWN_DELAY"] != "15s" || env["JARVIS_SHUTDOWN_GRACE"] != "45s" || env["JARVIS_SYNC_WORKERS"] != "8" ||
		env["JARVIS_ALLOWED_DOMAINS"] != "example.com" || env["JARVIS_METRICS_ADDR"] != "0.0.0.0:9102" {
		t.Errorf("env = %v", env)
	}
	for _, e := range pod.Containers[0].Env {
		if e.Name == "JARVIS_DATABASE_URL" && (e.ValueFrom.SecretKeyRef.Name != "pg-app" || e.ValueFrom.SecretKeyRef.Key != "uri") {
			t.Errorf("database URL from %+v", e.ValueFrom.SecretKeyRef)
		}
	}
	hpa := find[*autoscalingv2.HorizontalPodAutoscaler](t, docs)
	if hpa.Spec.ScaleTargetRef.Name != d.Name || hpa.Spec.ScaleTargetRef.Kind != "Deployment" || *hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas != 12 || len(hpa.Spec.Metrics) != 2 {
		t.Errorf("hpa = %+v", hpa.Spec)
	}
	ing := find[*networkingv1.Ingress](t, docs)
	rule := ing.Spec.Rules[0]
	if rule.Host != "jarvis.example.com" || rule.HTTP.Paths[0].Backend.Service.Name != "jarvis" || rule.HTTP.Paths[0].Backend.Service.Port.Name != "http" ||
		*ing.Spec.IngressClassName != "nginx" || ing.Spec.TLS[0].SecretName != "jarvis-tls" {
		t.Errorf("ingress = %+v", ing.Spec)
	}
	svc := find[*corev1.Service](t, docs)
	sm := find[*monitoringv1.ServiceMonitor](t, docs)
	var metricsPort *corev1.ServicePort
	for i, p := range svc.Spec.Ports {
		if p.Name == "metrics" {
			metricsPort = &svc.Spec.Ports[i]
		}
	}
	if metricsPort == nil || metricsPort.Port != 9102 || metricsPort.TargetPort.String() != "metrics" {
		t.Fatalf("service ports = %+v", svc.Spec.Ports)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" ||
		!maps.Equal(sm.Spec.Selector.MatchLabels, svc.Labels) && !maps.Equal(sm.Spec.Selector.MatchLabels, pickLabels(svc.Labels, sm.Spec.Selector.MatchLabels)) ||
		sm.Labels["release"] != "prometheus" {
		t.Errorf("service monitor = %+v %+v", sm.Labels, sm.Spec)
	}
	sa := find[*corev1.ServiceAccount](t, docs)
	if sa.Name != "jarvis" || *sa.AutomountServiceAccountToken {
		t.Errorf("service account = %+v", sa)
	}
}

// What the chart refuses: no Secret named (the chart keeps no secret of its
// own), a secret given as a plain setting, and values its schema rejects.
func TestHelmChartRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ values, want string }{
		"no secret":           {"secrets: {existingSecret: ''}", "secrets.existingSecret"},
		"secret as a setting": {"env: {JARVIS_JWT_SECRET: hunter2hunter2hunter2hunter2hunter2}", "JARVIS_JWT_SECRET is a secret"},
		"setting twice":       {"env: {GOOGLE_CLIENT_ID: x.apps.googleusercontent.com}", "GOOGLE_CLIENT_ID is also in secrets.env"},
		"misspelt value":      {"replicas: 3", "replicas"},
		"wrong type":          {"shutdown: {delaySeconds: 5s}", "delaySeconds"},
		"relative public URL": {"publicURL: jarvis.example.com", "publicURL"},
		"no database URL":     {"secrets: {env: {JARVIS_DATABASE_URL: null}}", "JARVIS_DATABASE_URL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, minimalValues, tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// The chart's list of secret settings, which env refuses, is Jarvis's.
func TestHelmChartKnowsTheSecrets(t *testing.T) {
	b, err := os.ReadFile(chartDir + "/templates/_helpers.tpl")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), `define "jarvis.secretSettings" -}}`)
	list, _, _ := strings.Cut(rest, "{{")
	var want []string
	for _, o := range config.Options {
		if o.Secret {
			want = append(want, o.Env)
		}
	}
	got := strings.Fields(list)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("jarvis.secretSettings = %v, Jarvis's secrets are %v", got, want)
	}
}

// checkHardened checks a pod and its container run as non-root, on a
// read-only root, with no capability or privilege escalation, under the
// runtime's seccomp profile, without a Kubernetes API token.
func checkHardened(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	ps, cs := pod.SecurityContext, c.SecurityContext
	if ps == nil || cs == nil {
		t.Fatalf("%s: no security context", what)
	}
	if !*ps.RunAsNonRoot || *ps.RunAsUser == 0 || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v", what, ps)
	}
	if *cs.AllowPrivilegeEscalation || !*cs.ReadOnlyRootFilesystem || !*cs.RunAsNonRoot || *cs.Privileged ||
		!slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) != 0 ||
		cs.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: container security context %+v", what, cs)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: the service account token is mounted", what)
	}
	var tmp bool
	for _, m := range c.VolumeMounts {
		tmp = tmp || m.MountPath == "/tmp"
	}
	if !tmp {
		t.Errorf("%s: no writable /tmp beside the read-only root", what)
	}
}

// envOf returns a container's plain environment, checking that every name
// is one of Jarvis's options and that no secret option has a plain value.
func envOf(t *testing.T, c corev1.Container, options []config.Option) map[string]string {
	t.Helper()
	known := map[string]config.Option{}
	for _, o := range options {
		known[o.Env] = o
	}
	env := map[string]string{}
	for _, e := range c.Env {
		o, ok := known[e.Name]
		if !ok {
			t.Errorf("%s: %s is not a Jarvis setting", c.Name, e.Name)
		}
		if e.ValueFrom == nil {
			if o.Secret {
				t.Errorf("%s: the secret %s has a value in the manifest", c.Name, e.Name)
			}
			env[e.Name] = e.Value
		} else if e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: %s comes from %+v, not a Secret", c.Name, e.Name, e.ValueFrom)
		}
	}
	return env
}

func duration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func pickLabels(labels, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := labels[k]; ok {
			out[k] = v
		}
	}
	return out
}

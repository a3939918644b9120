package infra

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"

	"github.com/jarvis-hq/jarvis/internal/config"
)

var replicas = []string{"jarvis-1", "jarvis-2", "jarvis-3"}

// loadCompose loads docker-compose.yml as `docker compose config` does:
// checked against the Compose specification's schema, interpolated (with an
// empty environment: every variable has a default), merge keys resolved.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	content, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "docker-compose.yml"), Content: content}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("jarvis", true) })
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func envValue(s types.ServiceConfig, name string) string {
	if v, ok := s.Environment[name]; ok && v != nil {
		return *v
	}
	return ""
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The Compose stack: three replicas of one image that start after the
// one-shot migration and once PostgreSQL and Redis are healthy, hardened and
// given time to drain; every dependency a health condition waits for has a
// health check; every file mounted exists.
func TestComposeStack(t *testing.T) {
	p := loadCompose(t)
	names := p.ServiceNames()
	slices.Sort(names)
	want := []string{"grafana", "jarvis-1", "jarvis-2", "jarvis-3", "lb", "migrate", "postgres", "prometheus", "redis"}
	if !slices.Equal(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}
	known := map[string]bool{}
	for _, o := range config.Options {
		known[o.Env] = true
	}
	migrate := service(t, p, "migrate")
	if !slices.Equal([]string(migrate.Command), []string{"migrate", "up"}) || migrate.Restart != "no" {
		t.Errorf("migrate: command %v, restart %q", migrate.Command, migrate.Restart)
	}
	for _, name := range replicas {
		s := service(t, p, name)
		if s.Image != migrate.Image || s.Build == nil {
			t.Errorf("%s: image %q, the migration's %q", name, s.Image, migrate.Image)
		}
		if !slices.Equal([]string(s.Command), []string{"serve"}) {
			t.Errorf("%s: command %v: replicas must not migrate (the migrate service does, once)", name, s.Command)
		}
		for dep, cond := range map[string]string{"migrate": types.ServiceConditionCompletedSuccessfully,
			"postgres": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy} {
			if s.DependsOn[dep].Condition != cond {
				t.Errorf("%s: depends on %s with %q, want %q", name, dep, s.DependsOn[dep].Condition, cond)
			}
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a Jarvis setting", name, k)
			}
		}
		if !strings.HasPrefix(envValue(s, "JARVIS_DATABASE_URL"), "postgres://") || !strings.HasPrefix(envValue(s, "JARVIS_REDIS_URL"), "redis://") {
			t.Errorf("%s: database %q, redis %q", name, envValue(s, "JARVIS_DATABASE_URL"), envValue(s, "JARVIS_REDIS_URL"))
		}
		delay, grace := duration(t, envValue(s, "JARVIS_SHUTDOWN_DELAY")), duration(t, envValue(s, "JARVIS_SHUTDOWN_GRACE"))
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < delay+grace+5*time.Second {
			t.Errorf("%s: stop_grace_period %v shorter than delay %v + grace %v + 5 s", name, s.StopGracePeriod, delay, grace)
		}
		if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: read_only %v, cap_drop %v, security_opt %v", name, s.ReadOnly, s.CapDrop, s.SecurityOpt)
		}
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes ports: only the load balancer should", name)
		}
	}
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			target := service(t, p, dep)
			if d.Condition == types.ServiceConditionHealthy && (target.HealthCheck == nil || len(target.HealthCheck.Test) == 0) {
				t.Errorf("%s waits for %s to be healthy, which has no health check", s.Name, dep)
			}
			if d.Condition == types.ServiceConditionCompletedSuccessfully && target.Restart != "no" {
				t.Errorf("%s waits for %s to complete, which restarts (%q)", s.Name, dep, target.Restart)
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s: %v", s.Name, v.Source, err)
			}
			if !v.ReadOnly {
				t.Errorf("%s mounts %s writable", s.Name, v.Source)
			}
		}
	}
}

// HAProxy balances the three replicas, each in rotation while /readyz
// answers, and takes a draining one out before its listener closes; the
// configuration is valid for haproxy -c when HAProxy is installed.
func TestComposeLoadBalancer(t *testing.T) {
	p := loadCompose(t)
	cfgPath := filepath.Join("haproxy", "haproxy.cfg")
	lb := service(t, p, "lb")
	mounted := false
	for _, v := range lb.Volumes {
		mounted = mounted || strings.HasSuffix(v.Source, cfgPath)
	}
	if !mounted {
		t.Fatalf("lb does not mount %s", cfgPath)
	}
	f, err := os.Open(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var servers []string
	var check, inter string
	fall := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch {
		case fields[0] == "server":
			servers = append(servers, fields[2])
		case fields[0] == "http-check" && fields[1] == "send":
			check = strings.Join(fields[2:], " ")
		case fields[0] == "default-server":
			for i := 1; i+1 < len(fields); i++ {
				switch fields[i] {
				case "inter":
					inter = fields[i+1]
				case "fall":
					fall, _ = strconv.Atoi(fields[i+1])
				}
			}
		}
	}
	var want []string
	for _, name := range replicas {
		s := service(t, p, name)
		want = append(want, name+":"+strconv.Itoa(port(t, envValue(s, "JARVIS_ADDR"))))
	}
	if !slices.Equal(servers, want) {
		t.Errorf("haproxy servers = %v, want %v", servers, want)
	}
	if check != "meth GET uri /readyz" {
		t.Errorf("health check = %q, want GET /readyz", check)
	}
	delay := duration(t, envValue(service(t, p, "jarvis-1"), "JARVIS_SHUTDOWN_DELAY"))
	if out := duration(t, inter) * time.Duration(fall); fall == 0 || out >= delay {
		t.Errorf("a draining replica leaves rotation after %v (inter %s × fall %d), not before JARVIS_SHUTDOWN_DELAY %v", out, inter, fall, delay)
	}

	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (apt-get install -y haproxy): its own check of the configuration is skipped")
	}
	// The replicas' names resolve only inside Compose: HAProxy warns, and
	// still says whether the configuration is valid.
	out, err := exec.Command(haproxy, "-c", "-f", cfgPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Configuration file is valid") {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
}

// Prometheus scrapes each replica's metrics listener, and Grafana is
// provisioned with Prometheus and the Jarvis dashboard.
func TestComposeMonitoring(t *testing.T) {
	p := loadCompose(t)
	b, err := os.ReadFile(filepath.Join("prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			MetricsPath   string `json:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName != "jarvis" {
			continue
		}
		if sc.MetricsPath != "/metrics" {
			t.Errorf("metrics_path = %q", sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	var want []string
	for _, name := range replicas {
		want = append(want, name+":"+strconv.Itoa(port(t, envValue(service(t, p, name), "JARVIS_METRICS_ADDR"))))
	}
	if !slices.Equal(targets, want) {
		t.Errorf("prometheus targets = %v, want each replica's JARVIS_METRICS_ADDR %v", targets, want)
	}
	if v := envValue(service(t, p, "jarvis-1"), "JARVIS_METRICS_ADDR"); port(t, v) == port(t, envValue(service(t, p, "jarvis-1"), "JARVIS_ADDR")) {
		t.Errorf("metrics on the API's port: %s", v)
	}

	// Grafana: the data source is the prometheus service; the dashboard is
	// mounted where the dashboard provider looks, and is valid JSON whose
	// panels ask for a Prometheus data source.
	grafana := service(t, p, "grafana")
	mounts := map[string]string{}
	for _, v := range grafana.Volumes {
		if v.Type == types.VolumeTypeBind {
			mounts[v.Target] = v.Source
		}
	}
	prov, ok := mounts["/etc/grafana/provisioning"]
	if !ok {
		t.Fatalf("grafana mounts = %v", mounts)
	}
	var ds struct {
		Datasources []struct{ Type, URL string } `json:"datasources"`
	}
	readYAML(t, filepath.Join(prov, "datasources", "prometheus.yml"), &ds)
	promPort := service(t, p, "prometheus").Ports[0].Target
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:"+strconv.Itoa(int(promPort)) {
		t.Errorf("grafana data sources = %+v", ds)
	}
	var dash struct {
		Providers []struct {
			Options struct{ Path string } `json:"options"`
		} `json:"providers"`
	}
	readYAML(t, filepath.Join(prov, "dashboards", "jarvis.yml"), &dash)
	if len(dash.Providers) != 1 {
		t.Fatalf("dashboard providers = %+v", dash)
	}
	src, ok := mounts[dash.Providers[0].Options.Path+"/jarvis.json"]
	if !ok || filepath.Base(src) != "jarvis.json" {
		t.Fatalf("the dashboard is not mounted in the provider's folder %s: %v", dash.Providers[0].Options.Path, mounts)
	}
	var board struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	b, err = os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &board); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	prometheusSource := false
	for _, v := range board.Templating.List {
		prometheusSource = prometheusSource || v.Type == "datasource" && string(v.Query) == `"prometheus"`
	}
	if board.UID == "" || !prometheusSource {
		t.Errorf("dashboard uid %q, no Prometheus data source variable", board.UID)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

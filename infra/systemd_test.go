package infra

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
)

const unitPath = "systemd/jarvis.service"

// unitSettings reads a unit file's Key=Value lines, every value of a key.
func unitSettings(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: %q is not Key=Value", unitPath, l)
		}
		out[k] = append(out[k], v)
	}
	return out
}

// The unit runs Jarvis as a notify service with a watchdog, sandboxed, its
// stop timeout above the drain, and systemd-analyze accepts it.
func TestSystemdUnit(t *testing.T) {
	u := unitSettings(t)
	one := func(k string) string {
		if len(u[k]) != 1 {
			t.Errorf("%s set %d times", k, len(u[k]))
			return ""
		}
		return u[k][0]
	}
	for k, want := range map[string]string{
		"Type": "notify", "NotifyAccess": "main", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "MemoryDenyWriteExecute": "yes", "DynamicUser": "yes", "StateDirectory": "jarvis",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "EnvironmentFile": "/etc/jarvis/jarvis.env", "Restart": "on-failure",
	} {
		if got := one(k); got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	if u["SystemCallFilter"][0] != "@system-service" {
		t.Errorf("SystemCallFilter = %v", u["SystemCallFilter"])
	}
	if !strings.HasPrefix(one("ExecStart"), "/usr/local/bin/jarvis serve") {
		t.Errorf("ExecStart = %q", one("ExecStart"))
	}
	watchdog := duration(t, one("WatchdogSec")+"s")
	if watchdog < 10*time.Second {
		t.Errorf("WatchdogSec %v: Jarvis pings at half of it, after asking its own /livez (which may take a few seconds under load)", watchdog)
	}

	// Environment= lines name Jarvis's settings, none of them a secret
	// (those belong in the EnvironmentFile, readable by root only).
	options := map[string]config.Option{}
	for _, o := range config.Options {
		options[o.Env] = o
	}
	delay, grace := 5*time.Second, 20*time.Second // the defaults
	for _, e := range u["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		o, ok := options[k]
		if !ok {
			t.Errorf("Environment=%s: not a Jarvis setting", k)
		}
		if o.Secret && !strings.HasPrefix(v, "sqlite:") {
			t.Errorf("Environment=%s: a secret in the unit file", k)
		}
		switch k {
		case "JARVIS_SHUTDOWN_DELAY":
			delay = duration(t, v)
		case "JARVIS_SHUTDOWN_GRACE":
			grace = duration(t, v)
		case "JARVIS_DATABASE_URL":
			if !strings.HasPrefix(v, "sqlite:/var/lib/"+one("StateDirectory")+"/") {
				t.Errorf("the SQLite database %s is outside the state directory", v)
			}
		}
	}
	if stop := duration(t, one("TimeoutStopSec")+"s"); stop < delay+grace+5*time.Second {
		t.Errorf("TimeoutStopSec %v < delay %v + grace %v + 5 s for cancelled jobs", stop, delay, grace)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: systemd's own check of the unit is skipped")
	}
	// verify wants ExecStart's program to exist: any executable does.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "jarvis.service")
	if err := os.WriteFile(unit, []byte(strings.Replace(string(b), "ExecStart=/usr/local/bin/jarvis", "ExecStart="+self, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The exposure score of systemd-analyze security (0 is the most
	// confined, 10 the least; --threshold counts tenths): at most 2.
	// --offline needs systemd 252 or later.
	out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", unit).CombinedOutput()
	if strings.Contains(string(out), "unrecognized option") {
		t.Logf("systemd-analyze security --offline is not supported here:\n%s", out)
		return
	}
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}

package metrics

import (
	"testing"
	"time"
)

// TestRequestAllocatesNothing: after a series' first request, recording a
// request costs no allocation (the API's budget is sub-millisecond).
func TestRequestAllocatesNothing(t *testing.T) {
	m := New()
	m.Request("GET", "GET /me", 200, time.Millisecond)
	if n := testing.AllocsPerRun(100, func() { m.Request("GET", "GET /me", 200, time.Millisecond) }); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}

// TestRequestLabelsAreBounded: a method a client invents is "other", and a
// request no pattern served is "unmatched".
func TestRequestLabelsAreBounded(t *testing.T) {
	m := New()
	m.Request("BREW", "", 405, time.Millisecond)
	m.Request("GET", "GET /me", 200, time.Millisecond)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fams {
		if f.GetName() != "jarvis_http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range s.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got[l["method"]+" "+l["route"]+" "+l["status"]] = true
		}
	}
	if len(got) != 2 || !got["other unmatched 405"] || !got["GET GET /me 200"] {
		t.Fatalf("series %v", got)
	}
}

// BenchmarkRequest is what the metrics add to each API request.
func BenchmarkRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("GET", "GET /me", 200, time.Millisecond)
		}
	})
}

package push

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlushDeliversReorderedLastAndCancelAndExpiry(t *testing.T) {
	var mu sync.Mutex
	var order []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		order = append(order, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	start := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // the dispatcher's loop reads the clock from its own goroutine
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	held := map[string]bool{"a": true} // the reorder draw says yes for "a" only
	var next string
	d := New(Config{Now: now, Draw: func(p float64) bool { return p == 0.5 && held[next] }})
	defer d.Close()
	d.SetFaults(Faults{Reorder: 0.5, Delay: time.Hour}) // the delay keeps the loop from delivering first
	for _, id := range []string{"a", "b", "c", "gone"} {
		next = id
		dl := Delivery{Kind: "pubsub", Source: "s", ID: id, URL: srv.URL, Body: []byte(id)}
		if id == "gone" {
			dl.Source = "other"
		}
		if id == "c" {
			dl.Expires = start.Add(time.Minute)
		}
		d.Enqueue(dl)
	}
	d.Cancel("other")
	clock.Store(start.Add(2 * time.Minute).UnixNano()) // c has expired
	got := d.Flush()
	var outcomes []string
	for _, e := range got {
		outcomes = append(outcomes, e.ID+":"+e.Outcome)
	}
	if want := []string{"b:delivered", "c:expired", "a:delivered"}; !slices.Equal(outcomes, want) {
		t.Fatalf("flush %v, want %v", outcomes, want)
	}
	if !slices.Equal(order, []string{"b", "a"}) {
		t.Fatalf("arrival %v", order)
	}
	if l := d.Log(); l[0].ID != "gone" || l[0].Outcome != Cancelled || !got[2].Reordered {
		t.Fatalf("log %+v", l)
	}
	if d.Pending() != 0 {
		t.Fatalf("%d pending", d.Pending())
	}
}

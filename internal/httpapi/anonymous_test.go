package httpapi

import "testing"

// Rate-limit buckets: one per IPv4 address, one per IPv6 /64.
func TestClientBucket(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not an address":       "not an address",
	} {
		if got := clientBucket(in); got != want {
			t.Errorf("clientBucket(%q) = %q, want %q", in, got, want)
		}
	}
}

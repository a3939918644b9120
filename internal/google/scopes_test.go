package google

import (
	"slices"
	"testing"
)

// A token answer's scope: read when given; when missing or empty, the
// scopes granted before are kept (or, at first consent, those asked for);
// never the text "<nil>".
func TestGrantedScopes(t *testing.T) {
	before := []string{"openid", "https://www.googleapis.com/auth/gmail.readonly"}
	for _, c := range []struct {
		name     string
		scope    any
		previous []string
		want     []string
	}{
		{"given", "openid email", before, []string{"openid", "email"}},
		{"missing, granted before", nil, before, before},
		{"empty, granted before", "  ", before, before},
		{"not a string", 42.0, before, before},
		{"missing, first consent", nil, nil, Scopes},
	} {
		got := grantedScopes(c.scope, c.previous)
		if !slices.Equal(got, c.want) || slices.Contains(got, "<nil>") {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

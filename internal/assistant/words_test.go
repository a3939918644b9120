package assistant

import (
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
)

// A failed tool call's summary, which the user reads, says what went wrong
// in words, never as an error code.
func TestServiceErrorSummaryInWords(t *testing.T) {
	o := serviceError(&jarvis.Error{Code: jarvis.EREAUTH, Message: "Your Google account is not connected."}, "Search")
	if o.summary != "Search failed: Google is not connected" || o.code != jarvis.EREAUTH {
		t.Fatalf("outcome = %+v", o)
	}
	for _, code := range []string{jarvis.EREAUTH, jarvis.ESCOPEMISSING, jarvis.EUPSTREAM, jarvis.EUPSTREAMTIMEOUT, jarvis.ERATELIMITED, jarvis.ENOTFOUND, jarvis.EINVALID, jarvis.EINTERNAL} {
		if w := codeWords(code); strings.Contains(w, "_") || w == "" {
			t.Errorf("codeWords(%s) = %q", code, w)
		}
	}
}

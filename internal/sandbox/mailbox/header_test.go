package mailbox

import (
	"testing"
)

func TestHeaderValuesAreDecodedAsGmailShowsThem(t *testing.T) {
	raw := "Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_cr=C3=A8me?=\r\n" +
		"X-Folded: first\r\n\tsecond\r\n  third\r\n" +
		"Content-Type: application/pdf;\r\n name*0*=UTF-8''r%C3%A9sum%C3%A9;\r\n name*1*=%20final.pdf\r\n" +
		"Content-Disposition: attachment; filename=\"=?UTF-8?Q?caf=C3=A9.pdf?=\"\r\n" +
		"X-Latin1: caf\xe9\r\n" +
		"\r\nbody"
	p := ParseEntity([]byte(raw))
	for name, want := range map[string]string{
		"Subject":             "Café crème",
		"X-Folded":            "first second  third",
		"Content-Type":        `application/pdf; name="résumé final.pdf"`,
		"Content-Disposition": `attachment; filename="café.pdf"`,
		"X-Latin1":            "café",
	} {
		if got := p.Headers.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if p.Filename != "café.pdf" || p.MimeType != "application/pdf" || !p.Attachment() || string(p.Data) != "body" {
		t.Errorf("part = %+v", p)
	}
}

func TestNormalizeSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Re: RE: Fwd: Budget":     "budget",
		"AW: SV: [team] Budget  ": "budget",
		"回复：预算":                   "预算",
		"Budget":                  "budget",
	} {
		if got := NormalizeSubject(in); got != want {
			t.Errorf("NormalizeSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitMbox(t *testing.T) {
	data := "From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From the start\n\nFrom b@c Mon Jan 1 00:00:00 2024\nSubject: two\n\nbody\n"
	msgs, err := SplitMbox([]byte(data))
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if string(msgs[0]) != "Subject: one\n\nFrom the start\n" || string(msgs[1]) != "Subject: two\n\nbody\n" {
		t.Errorf("messages = %q", msgs)
	}
	if _, err := SplitMbox([]byte("Subject: x\n\n")); err == nil {
		t.Errorf("no From line accepted")
	}
}

func TestQueryParsing(t *testing.T) {
	q := parseQuery(`from:ada -is:unread "two words" a OR b subject:(x)`)
	if len(q.clauses) != 5 {
		t.Fatalf("clauses = %+v", q.clauses)
	}
	if c := q.clauses[1][0]; !c.neg || c.op != "is" || c.value != "unread" {
		t.Errorf("negation = %+v", c)
	}
	if c := q.clauses[2][0]; c.op != "" || c.value != "two words" {
		t.Errorf("phrase = %+v", c)
	}
	if len(q.clauses[3]) != 2 {
		t.Errorf("OR = %+v", q.clauses[3])
	}
	if c := q.clauses[4][0]; c.op != "subject" || c.value != "x" {
		t.Errorf("parenthesised = %+v", c)
	}
	if !parseQuery("in:anywhere").spamTrash || parseQuery("foo").spamTrash {
		t.Errorf("spam/trash detection")
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type authenticationJSON struct {
	VerifiedBy     string `json:"verified_by"`
	SPF            string `json:"spf"`
	DKIM           string `json:"dkim"`
	DMARC          string `json:"dmarc"`
	FromDomain     string `json:"from_domain"`
	DKIMDomain     string `json:"dkim_domain"`
	SenderVerified bool   `json:"sender_verified"`
}

// TestMailAuthentication: get_thread and the API's thread show Gmail's own
// check of each sender: DMARC pass for the demo's real senders, fail for
// the phishing mail whose From is forged (even though it carries a forged
// pass header of its own below Gmail's), nothing checked for the user's
// own sent mail; the OpenAPI document describes the field.
func TestMailAuthentication(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	var tok createdToken
	e.json("POST", "/settings/tokens", ada, map[string]any{"name": "Desktop", "scopes": []string{"mail.read"}}, 201, &tok)
	cs := mcpClient(t, e, tok.Token, "", nil)

	// A forged mail that also carries a forged "pass" of its own.
	forged := "Authentication-Results: mx.google.com; dkim=pass header.i=@northwind-bank.example; spf=pass smtp.mailfrom=alerts@northwind-bank.example; dmarc=pass header.from=northwind-bank.example\r\n" +
		"From: Northwind Bank <alerts@northwind-bank.example>\r\nTo: ada@example.com\r\nSubject: Your card is blocked\r\n\r\nCall us now.\r\n"
	if _, _, err := e.Sandbox.Google.DeliverSpoofed("ada@example.com", []byte(forged)); err != nil {
		t.Fatal(err)
	}

	type thread struct {
		ID       string `json:"id"`
		Messages []struct {
			From           struct{ Email string }
			Labels         []string           `json:"labels"`
			Authentication authenticationJSON `json:"authentication"`
		} `json:"messages"`
	}
	get := func(query string) thread {
		t.Helper()
		var threads struct {
			Threads []struct{ ID string }
		}
		callTool(t, cs, "search_threads", map[string]any{"query": query}, &threads)
		if len(threads.Threads) == 0 {
			t.Fatalf("%s: nothing found", query)
		}
		var th thread
		callTool(t, cs, "get_thread", map[string]any{"thread_id": threads.Threads[0].ID}, &th)
		if len(th.Messages) == 0 {
			t.Fatalf("%s: no messages", query)
		}
		return th
	}
	pass := authenticationJSON{VerifiedBy: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass", FromDomain: "example.org", DKIMDomain: "example.org", SenderVerified: true}
	if got := get("subject:(Dinner Friday)").Messages[0].Authentication; got != pass {
		t.Errorf("Mary's mail: %+v, want %+v", got, pass)
	}
	fail := authenticationJSON{VerifiedBy: "mx.google.com", SPF: "softfail", DKIM: "none", DMARC: "fail", FromDomain: "northwind-bank.example"}
	if got := get("subject:(confirm your account details)").Messages[0].Authentication; got != fail {
		t.Errorf("the demo's phishing mail: %+v, want %+v", got, fail)
	}
	blocked := get("subject:(Your card is blocked)")
	if got := blocked.Messages[0].Authentication; got != fail {
		t.Errorf("forged mail with a forged pass below Gmail's header: %+v, want %+v", got, fail)
	}
	none := authenticationJSON{SPF: "none", DKIM: "none", DMARC: "none"}
	for _, m := range get("subject:(Laptop refresh)").Messages {
		isSent := false
		for _, l := range m.Labels {
			isSent = isSent || l == "SENT"
		}
		if isSent && m.Authentication != none {
			t.Errorf("Ada's own mail: %+v, want nothing checked", m.Authentication)
		}
		if !isSent && (m.Authentication.DMARC != "pass" || !m.Authentication.SenderVerified) {
			t.Errorf("the helpdesk's mail: %+v", m.Authentication)
		}
	}

	// The API's thread carries the same field, and the spec says what it is.
	var api struct {
		Messages []struct {
			Authentication authenticationJSON `json:"authentication"`
		} `json:"messages"`
	}
	e.json("GET", "/gmail/thread/"+blocked.ID, ada, nil, 200, &api)
	if len(api.Messages) != 1 || api.Messages[0].Authentication != fail {
		t.Errorf("API thread: %+v", api)
	}
	resp, raw := e.do("GET", "/openapi.json", "", nil)
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil || resp.StatusCode != 200 || !strings.Contains(body.String(), `"authentication":{"description":"What Gmail's own check of the sender found`) ||
		!strings.Contains(body.String(), `"sender_verified":{"description":"True when Gmail's DMARC check passed`) {
		t.Errorf("the OpenAPI document does not describe a message's authentication")
	}
}

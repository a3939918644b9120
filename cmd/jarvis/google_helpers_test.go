package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// consent drives the sandbox's consent page as a person would: it opens the
// authorization URL, picks the account, leaves only the scopes kept ticked,
// and submits. It returns the redirect back to Jarvis.
func (e *testEnv) consent(authURL, email string, keep func(scope string) bool) *url.URL {
	e.t.Helper()
	resp, body := e.do("GET", authURL, "", nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("consent page: %d %s", resp.StatusCode, body)
	}
	action, fields := parseForm(e.t, string(body))
	form := url.Values{"account": {email}, "decision": {"allow"}}
	for k, vs := range fields {
		if k == "scope" {
			for _, v := range vs {
				if keep(v) {
					form.Add("scope", v)
				}
			}
			continue
		}
		if k != "account" && k != "decision" {
			form[k] = vs
		}
	}
	target, _ := url.Parse(authURL)
	act, _ := target.Parse(action)
	req, _ := http.NewRequest("POST", act.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || r.StatusCode/100 != 3 {
		e.t.Fatalf("consent submit: %d", r.StatusCode)
	}
	return loc
}

// parseForm returns the first form's action and its inputs' values.
func parseForm(t testing.TB, page string) (string, url.Values) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	action := ""
	vals := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "form":
				if action == "" {
					action = attr["action"]
				}
			case "input":
				if attr["name"] != "" {
					vals.Add(attr["name"], attr["value"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return action, vals
}

// startURL asks Jarvis to start a sign-in and returns the authorization URL.
func (e *testEnv) startURL(extra string) (string, string) {
	e.t.Helper()
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
		State            string `json:"state"`
	}
	e.json("GET", "/auth/google/start"+extra, "", nil, 200, &start, "Accept", "application/json")
	return start.AuthorizationURL, start.State
}

// countRows counts the rows of a table.
func (e *testEnv) countRows(table string) int {
	e.t.Helper()
	var n int
	if err := e.Main.DB.SQL().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// browserStart starts a sign-in as a browser does and returns the
// authorization URL and the binding cookie ("name=value") the start set.
func (e *testEnv) browserStart(extra string) (string, string) {
	e.t.Helper()
	resp, body := e.do("GET", "/auth/google/start"+extra, "", nil, "Accept", "text/html")
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("browser start: %d %s", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "jarvis_signin") && c.Value != "" {
			return resp.Header.Get("Location"), c.Name + "=" + c.Value
		}
	}
	e.t.Fatalf("browser start set no binding cookie: %v", resp.Header.Values("Set-Cookie"))
	return "", ""
}

// findCookie returns the cookie a response sets by that name, or nil.
func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

// `jarvis sandbox`, started as a process the way a person starts it, serves
// an ordinary x/oauth2 + go-oidc + gmail/v1 program.
func TestSandboxCommandServesOfficialClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "jarvis")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "sandbox", "--addr", addr, "--log-format", "json")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "openid-configuration") {
			break
		}
	}
	base := "http://" + addr
	for _, want := range []string{base, "sandbox-client-id.apps.googleusercontent.com", "sandbox-client-secret", "ada@example.com"} {
		if !strings.Contains(banner.String(), want) {
			t.Fatalf("banner lacks %q:\n%s", want, banner.String())
		}
	}

	// An ordinary program: discovery, PKCE, a scripted consent, the exchange.
	provider, err := oidc.NewProvider(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: "sandbox-client-id.apps.googleusercontent.com", ClientSecret: "sandbox-client-secret",
		RedirectURL: "http://127.0.0.1:1/callback", Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "email", gmail.GmailReadonlyScope}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", "ada@example.com"), oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("nonce", "n1"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil || idt.Nonce != "n1" {
		t.Fatalf("id_token: %v", err)
	}
	svc, err := gmail.NewService(ctx, option.WithEndpoint(base+"/"), option.WithTokenSource(conf.TokenSource(ctx, tok)))
	if err != nil {
		t.Fatal(err)
	}
	threads, err := svc.Users.Threads.List("me").Q("is:unread").MaxResults(5).Do()
	if err != nil || len(threads.Threads) == 0 {
		t.Fatalf("threads.list: %v", err)
	}
	th, err := svc.Users.Threads.Get("me", threads.Threads[0].Id).Format("full").Do()
	if err != nil || len(th.Messages) == 0 || th.Messages[0].Payload == nil {
		t.Fatalf("threads.get: %v", err)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
)

// User is a sandbox user signed in to Jarvis through the real OAuth flow.
type User struct {
	Email   string
	Token   string // Jarvis's access token
	Account string // the Google account's id in Jarvis
	Threads []string
}

// SignInAll signs in the first n sandbox users through the load balancer
// (Jarvis's sign-in, the sandbox's consent skipped by login_hint and
// prompt=none, as the README's curl session does), a few at a time.
func SignInAll(ctx context.Context, base string, n int, log io.Writer) ([]*User, error) {
	users := make([]*User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// A sign-in is retried: the first sync of many accounts at once
			// keeps the replicas busy.
			for attempt := 0; ; attempt++ {
				users[i], errs[i] = signIn(ctx, base, UserEmail(i))
				if errs[i] == nil || attempt == 2 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%d users signed in\n", n)
	return users, nil
}

var noFollow = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func signIn(ctx context.Context, base, email string) (*User, error) {
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	if err := getJSON(ctx, noFollow, base+"/auth/google/start", "", &start); err != nil {
		return nil, fmt.Errorf("sign in %s: start: %w", email, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, start.AuthorizationURL+"&login_hint="+url.QueryEscape(email)+"&prompt=none", nil)
	resp, err := noFollow.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in %s: consent: %w", email, err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || callback == "" {
		return nil, fmt.Errorf("sign in %s: consent answered %s", email, resp.Status)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := getJSON(ctx, noFollow, callback, "", &tok); err != nil {
		return nil, fmt.Errorf("sign in %s: callback: %w", email, err)
	}
	u := &User{Email: email, Token: tok.AccessToken}
	var accts struct {
		Accounts []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"accounts"`
	}
	if err := getJSON(ctx, noFollow, base+"/accounts", u.Token, &accts); err != nil {
		return nil, fmt.Errorf("sign in %s: accounts: %w", email, err)
	}
	if len(accts.Accounts) == 0 {
		return nil, fmt.Errorf("sign in %s: no account", email)
	}
	u.Account = accts.Accounts[0].ID
	return u, nil
}

// WaitSynced waits until every user's first mail sync is over (the index
// serves their inbox), then reads each one's first inbox page for the
// thread ids the workload reads.
func WaitSynced(ctx context.Context, base string, users []*User, limit time.Duration, log io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	for _, u := range users {
		for {
			var st struct {
				Phase string `json:"phase"`
			}
			err := getJSON(ctx, noFollow, base+"/accounts/"+u.Account+"/sync", u.Token, &st)
			if err == nil && st.Phase == "incremental" {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s: first sync not over within %s (phase %q, %v)", u.Email, limit, st.Phase, err)
			}
			_ = sleepCtx(ctx, 200*time.Millisecond)
		}
		var page threadPage
		if err := getJSON(ctx, noFollow, base+"/gmail/threads?max_results=50", u.Token, &page); err != nil {
			return fmt.Errorf("%s: inbox: %w", u.Email, err)
		}
		for _, t := range page.Threads {
			u.Threads = append(u.Threads, t.ID)
		}
		if len(u.Threads) == 0 {
			return fmt.Errorf("%s: empty inbox", u.Email)
		}
	}
	fmt.Fprintf(log, "first syncs over in %s\n", time.Since(start).Round(time.Second))
	return nil
}

type threadPage struct {
	Threads []struct {
		ID string `json:"id"`
	} `json:"threads"`
	NextPageToken string `json:"next_page_token"`
	Source        string `json:"source"`
}

// gmailOf is a Gmail client of the user's own at the sandbox (its own
// grant, not Jarvis's), to check what Jarvis wrote there.
func gmailOf(ctx context.Context, sandboxURL, email string) (*gmail.Service, error) {
	conf := &oauth2.Config{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURL: "http://127.0.0.1:1/callback",
		Endpoint:    oauth2.Endpoint{AuthURL: sandboxURL + "/o/oauth2/v2/auth", TokenURL: sandboxURL + "/token"},
		Scopes:      []string{"openid", "email", gmail.GmailReadonlyScope}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", email), oauth2.SetAuthURLParam("prompt", "none"))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := noFollow.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return nil, fmt.Errorf("sandbox grant for %s: consent answered %s %s", email, resp.Status, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("sandbox grant for %s: %w", email, err)
	}
	return gmail.NewService(ctx, option.WithEndpoint(sandboxURL+"/"), option.WithHTTPClient(conf.Client(ctx, tok)))
}

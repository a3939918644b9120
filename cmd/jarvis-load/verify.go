package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// Check is what a verification found: acknowledged writes and changes
// that are there, and those missing.
type Check struct {
	Drafts, DraftsMissing       int
	Delivered, DeliveredMissing int
	Problems                    []string
}

// Lost is how many acknowledged things are missing.
func (c *Check) Lost() int { return c.DraftsMissing + c.DeliveredMissing }

func (c *Check) String() string {
	return fmt.Sprintf("%d of %d acknowledged drafts in Gmail, %d of %d delivered messages in Jarvis's index",
		c.Drafts-c.DraftsMissing, c.Drafts, c.Delivered-c.DeliveredMissing, c.Delivered)
}

// Verify checks that nothing acknowledged was lost: every draft Jarvis
// answered 201 for is in the user's Gmail (read with a grant of the
// user's own), and every message the sandbox delivered reached Jarvis's
// index through pushes and sync (waiting up to settle for the last ones).
func (w *Workload) Verify(ctx context.Context, settle time.Duration) (*Check, error) {
	w.ackMu.Lock()
	drafts := map[string][]string{}
	for k, v := range w.Drafts {
		drafts[k] = append([]string(nil), v...)
	}
	delivered := map[string][]string{}
	for k, v := range w.Delivered {
		delivered[k] = append([]string(nil), v...)
	}
	w.ackMu.Unlock()
	c := &Check{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for acct, ids := range drafts {
		u := w.byAccount[acct]
		if u == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			svc, err := gmailOf(ctx, w.Sandbox, u.Email)
			if err != nil {
				fail(err)
				return
			}
			missing := 0
			for _, id := range ids {
				if _, err := svc.Users.Drafts.Get("me", id).Format("minimal").Context(ctx).Do(); err != nil {
					missing++
					mu.Lock()
					c.Problems = append(c.Problems, fmt.Sprintf("draft %s of %s: %v", id, u.Email, err))
					mu.Unlock()
				}
			}
			mu.Lock()
			c.Drafts += len(ids)
			c.DraftsMissing += missing
			mu.Unlock()
		}()
	}
	deadline := time.Now().Add(settle)
	byEmail := map[string]*User{}
	for _, u := range w.Users {
		byEmail[u.Email] = u
	}
	for email, ids := range delivered {
		u := byEmail[email]
		if u == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var missing []string
			for {
				var err error
				missing, err = w.missingThreads(ctx, u, ids)
				if err == nil && len(missing) == 0 || time.Now().After(deadline) {
					if err != nil {
						fail(err)
					}
					break
				}
				_ = sleepCtx(ctx, 500*time.Millisecond)
			}
			mu.Lock()
			c.Delivered += len(ids)
			c.DeliveredMissing += len(missing)
			for _, id := range missing {
				c.Problems = append(c.Problems, fmt.Sprintf("delivered thread %s of %s not in Jarvis's index", id, email))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return c, firstErr
}

// missingThreads lists the user's inbox from Jarvis (the index) and
// answers which of ids it does not hold.
func (w *Workload) missingThreads(ctx context.Context, u *User, ids []string) ([]string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	tok := ""
	for range 50 {
		var page threadPage
		q := "/gmail/threads?max_results=100&account=" + url.QueryEscape(u.Account)
		if tok != "" {
			q += "&page_token=" + url.QueryEscape(tok)
		}
		if err := getJSON(ctx, noFollow, w.LB+q, u.Token, &page); err != nil {
			return nil, err
		}
		if page.Source != "index" {
			return nil, fmt.Errorf("%s: inbox read from %q, not the index", u.Email, page.Source)
		}
		for _, t := range page.Threads {
			delete(want, t.ID)
		}
		if len(want) == 0 || page.NextPageToken == "" {
			break
		}
		tok = page.NextPageToken
	}
	var out []string
	for id := range want {
		out = append(out, id)
	}
	return out, nil
}

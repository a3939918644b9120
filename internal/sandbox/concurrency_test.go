package sandbox

import (
	"encoding/base64"
	"sync"
	"testing"

	"google.golang.org/api/gmail/v1"
)

// TestConcurrentClients runs 120 clients at once, reading thread pages
// while others create drafts, refresh tokens and change faults; with -race
// it checks the sandbox's locking.
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com", gmail.GmailModifyScope, gmail.GmailComposeScope))
	page, err := svc.Users.Threads.List("me").MaxResults(50).Do()
	if err != nil {
		t.Fatal(err)
	}
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	raw := base64.URLEncoding.EncodeToString([]byte("From: ada@example.com\r\nTo: mary@example.org\r\nSubject: busy\r\n\r\nbusy\r\n"))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 120 {
		wg.Go(func() {
			var err error
			switch i % 6 {
			case 0:
				_, err = svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: raw}}).Do()
			case 1:
				_, err = svc.Users.Threads.List("me").Q("is:unread").Do()
			case 2:
				_, err = svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do()
			case 3:
				_ = e.srv.Stats()
				_, err = e.srv.ExpireAccount("grace@example.com")
			default:
				for _, th := range page.Threads[:10] {
					if _, err = svc.Users.Threads.Get("me", th.Id).Format("metadata").Do(); err != nil {
						break
					}
				}
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	drafts, err := svc.Users.Drafts.List("me").Do()
	if err != nil || len(drafts.Drafts) != 20 {
		t.Errorf("drafts = %v, %v", drafts, err)
	}
}

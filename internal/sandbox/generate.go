package sandbox

import (
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
)

// generate fills every account's mailbox with n synthetic messages, except
// the mailboxes a saved state will restore. Their bodies are indexed in
// the background; the log says when that is done.
func (s *Server) generate(n int, seed uint64, saved *State) {
	start := time.Now()
	var stores []*mailbox.Store
	for _, a := range s.accounts {
		if saved != nil {
			if _, ok := saved.Accounts[a.email]; ok {
				continue
			}
		}
		a.mail.Generate(mailbox.GenerateOptions{Owner: a.email, Name: a.name, Count: n, Seed: seed})
		stores = append(stores, a.mail)
	}
	s.log.Info("sandbox: generated mailboxes listed; indexing their bodies", "accounts", len(stores), "messages_each", n, "took", time.Since(start).Round(time.Millisecond))
	go func() {
		for _, st := range stores {
			st.WaitIndexed()
		}
		s.log.Info("sandbox: generated mailboxes indexed", "took", time.Since(start).Round(time.Millisecond))
	}()
}

// waitIndexed waits until the generated mailboxes are indexed.
func (s *Server) waitIndexed() {
	for _, a := range s.accounts {
		a.mail.WaitIndexed()
	}
}

package sandbox

import "github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"

// generate fills every account's mailbox with n synthetic messages, except
// the mailboxes a saved state will restore.
func (s *Server) generate(n int, seed uint64, saved *State) {
	for _, a := range s.accounts {
		if saved != nil {
			if _, ok := saved.Accounts[a.email]; ok {
				continue
			}
		}
		a.mail.Generate(mailbox.GenerateOptions{Owner: a.email, Name: a.name, Count: n, Seed: seed})
	}
}

package mailbox

import (
	"testing"
	"time"
)

func TestOnChangeAnnouncesEveryChange(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC) }
	s := NewStore(now)
	var got []uint64
	s.OnChange(func(id uint64) {
		_, _, cur := s.Profile() // the store is unlocked: reading is allowed
		if cur != id {
			t.Errorf("hook id %d, profile %d", id, cur)
		}
		got = append(got, id)
	})
	v := s.Deliver([]byte("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"))
	if _, err := s.Modify(v.ID, []string{Starred}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(v.ID, []string{Starred}, nil); err != nil { // no change, no announcement
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] >= got[1] {
		t.Fatalf("announced %v", got)
	}
}

package demo

import "time"

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// Gmail label sets as Takeout writes them.
const (
	read    = "Inbox,Opened"
	unread  = "Inbox,Unread"
	sent    = "Sent"
	starred = "Inbox,Opened,Starred"
	urgent  = "Inbox,Unread,Important"
)

var (
	ada       = person{"Ada Lovelace", "ada@example.com"}
	grace     = person{"Grace Hopper", "grace@example.com"}
	charles   = person{"Charles Babbage", "charles@example.com"}
	mary      = person{"Mary Somerville", "mary@example.org"}
	alan      = person{"Alan Turing", "alan@example.net"}
	katherine = person{"Katherine Johnson", "katherine@example.com"}
	margaret  = person{"Margaret Hamilton", "margaret@example.com"}
	juergen   = person{"Jürgen Weber", "juergen.weber@example.de"}
	tanaka    = person{"田中 由紀", "tanaka@example.jp"}
	ivan      = person{"Иван Соколов", "ivan@example.ru"}
	wangLi    = person{"王丽", "wang.li@example.cn"}
	attacker  = person{"IT Support Desk", "it-support@evil.example"}
	weekly    = person{"The Engine Weekly", "newsletter@engine-weekly.example"}
	shop      = person{"Brass & Gears Supply", "orders@brassgears.example"}
	bank      = person{"Northwind Bank", "alerts@northwind-bank.example"}
	airline   = person{"SkyWays", "bookings@skyways.example"}
	people    = person{"People Team", "people@example.com"}
	helpdesk  = person{"IT Helpdesk", "helpdesk@example.com"}
	prize     = person{"Prize Center", "winner@lottery.example"}
)

// Accounts returns the demo accounts, the primary (Ada) first, with their
// messages dated relative to now.
func Accounts(now time.Time) []Account {
	return []Account{
		{Email: ada.email, Name: ada.name, Messages: adaMail(now)},
		{Email: grace.email, Name: grace.name, Messages: graceMail(now)},
	}
}

func graceMail(now time.Time) [][]byte {
	w := &writer{now: now, host: "example.com"}
	w.thread("COBOL standards committee: agenda",
		msg{from: katherine, to: []person{grace}, ago: 3 * day, labels: read,
			text: "Grace,\n\nDraft agenda for Thursday: data division naming, the report writer, and portability tests.\nAnything to add?\n\nKatherine"},
		msg{from: grace, to: []person{katherine}, ago: 3*day - 2*hour, labels: sent,
			text: "Add a slot for the compiler validation suite. Ten minutes is enough.\n\nGrace"},
		msg{from: katherine, to: []person{grace}, ago: 2 * day, labels: unread,
			text: "Added. Room 2B, 10:00.\n\nKatherine"},
	)
	w.thread("Talk request: nanoseconds for the new hires",
		msg{from: people, to: []person{grace}, ago: 5 * day, labels: starred,
			text: "Hi Grace,\n\nWould you give your nanoseconds talk to the new engineers next month? Forty minutes, questions after.\n\nPeople Team"},
	)
	w.thread("Bug: relay 70 in panel F",
		msg{from: margaret, to: []person{grace}, ago: 20 * hour, labels: urgent,
			text: "We found a moth trapped in relay 70, panel F. Taped it into the log book. First actual case of a bug being found!\n\nMargaret"},
	)
	w.thread("Analytical Engine: board review prep",
		msg{from: ada, to: []person{charles, grace}, ago: 6 * day, labels: read,
			text: "Grace, could you review the loop section of the notes before the board meets? You know more about repeating instructions than anyone.\n\nAda"},
		msg{from: grace, to: []person{ada, charles}, ago: 6*day - 3*hour, labels: sent,
			text: "Happy to. Send me the latest draft and I'll mark it up by Friday.\n\nGrace"},
	)
	return w.out
}

package main

import (
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// The assistant of a user with two Google accounts: searches and calendars
// cover both, each result naming its account; a reply is proposed, and made
// when approved, in the account of its thread and only there; free time
// counts both calendars.
func TestAssistantWithSeveralAccounts(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ada := e.signIn("ada@example.com")
		grace := e.connect(ada, "grace@example.com")
		var found struct{ Threads []struct{ ID string } }
		e.json("GET", "/gmail/threads?q=subject:COBOL&account="+grace.ID, ada, nil, 200, &found)
		thread := found.Threads[0].ID
		adaDrafts, _ := gmailClient(t, e, "ada@example.com").Users.Drafts.List("me").Do()
		graceDrafts, _ := gmailClient(t, e, "grace@example.com").Users.Drafts.List("me").Do()

		e.Sandbox.Model.Script(
			model.Turn{ToolCalls: []model.ToolCall{
				{Name: "search_threads", Arguments: `{"query":"in:inbox","max_results":25}`},
				{Name: "search_threads", Arguments: `{"query":"in:inbox","account":"grace@example.com"}`},
				{Name: "search_threads", Arguments: `{"account":"nobody@example.com"}`},
			}},
			model.Turn{ToolCalls: []model.ToolCall{
				{Name: "get_thread", Arguments: `{"thread_id":"` + thread + `"}`},
				{Name: "list_upcoming_events", Arguments: `{"days":14,"max_results":50}`},
				{Name: "find_free_time", Arguments: `{"duration_minutes":30,"days":5}`},
			}},
			model.Turn{ToolCalls: []model.ToolCall{{Name: "create_draft",
				Arguments: `{"subject":"","body_text":"Ten minutes is plenty.","reply_to_thread_id":"` + thread + `"}`}}},
			model.Turn{Text: "Proposed."},
		)
		turn := summarizeTurn(e.chat(ada, "", "Reply to Katherine about the agenda"))
		if len(turn.results) != 7 || len(turn.approvals) != 1 {
			t.Fatalf("turn %+v", turn)
		}
		first := toolResultsSent(t, e.Sandbox.Model, 1)
		if all := first[0].Content; !strings.Contains(all, `"account":"ada@example.com"`) || !strings.Contains(all, `"account":"grace@example.com"`) {
			t.Fatalf("a search of both accounts: %s", all)
		}
		if one := first[1].Content; strings.Contains(one, `"account":"ada@example.com"`) || !strings.Contains(one, `"account":"grace@example.com"`) {
			t.Fatalf("a search of grace's account: %s", one)
		}
		if bad := first[2].Content; !strings.Contains(bad, "invalid_arguments") || !strings.Contains(bad, "grace@example.com") {
			t.Fatalf("an unknown account: %s", bad)
		}
		second := toolResultsSent(t, e.Sandbox.Model, 2)
		got := second[len(second)-3:]
		if !strings.Contains(got[0].Content, `"account":"grace@example.com"`) || !strings.Contains(got[0].Content, "Room 2B") {
			t.Fatalf("grace's thread, read without naming the account: %s", got[0].Content)
		}
		if ev := got[1].Content; !strings.Contains(ev, `"account":"ada@example.com"`) || !strings.Contains(ev, `"account":"grace@example.com"`) {
			t.Fatalf("both calendars: %s", ev)
		}
		if free := got[2].Content; !strings.Contains(free, `"accounts":["ada@example.com","grace@example.com"]`) {
			t.Fatalf("free time of both calendars: %s", free)
		}
		p := turn.approvals[0].Data
		if acct, _ := p["account"].(map[string]any); acct["id"] != grace.ID || acct["email"] != "grace@example.com" {
			t.Fatalf("the proposal names %v, want grace's account", p["account"])
		}
		if to := p["proposal"].(map[string]any)["to"].([]any); len(to) != 1 || to[0] != "katherine@example.com" {
			t.Fatalf("proposal to %v", to)
		}

		var dec decision
		e.json("POST", "/chat/approvals/"+turn.approvals[0].str("approval_id"), ada, map[string]string{"decision": "approve"}, 200, &dec)
		if dec.Result == nil || dec.Result.ThreadID != thread || dec.Result.Account == nil || dec.Result.Account.ID != grace.ID {
			t.Fatalf("approved: %+v", dec)
		}
		adaAfter, _ := gmailClient(t, e, "ada@example.com").Users.Drafts.List("me").Do()
		graceAfter, _ := gmailClient(t, e, "grace@example.com").Users.Drafts.List("me").Do()
		if len(adaAfter.Drafts) != len(adaDrafts.Drafts) || len(graceAfter.Drafts) != len(graceDrafts.Drafts)+1 {
			t.Fatalf("drafts: ada %d → %d, grace %d → %d", len(adaDrafts.Drafts), len(adaAfter.Drafts), len(graceDrafts.Drafts), len(graceAfter.Drafts))
		}

		// Disconnecting grace's account takes the proposals made for it along.
		e.json("DELETE", "/accounts/"+grace.ID, ada, nil, 204, nil)
		var left int
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM actions WHERE account_id = $1`, grace.ID).Scan(&left)
		if left != 0 {
			t.Fatalf("%d proposals of grace's account left", left)
		}
	})
}

package sandbox

import (
	"flag"
	"strings"
)

// listFlag is a repeatable string flag.
type listFlag struct{ list *[]string }

func (l listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l listFlag) Set(v string) error {
	*l.list = append(*l.list, v)
	return nil
}

// RegisterFlags registers the sandbox's flags on fs, writing into cfg:
// --client-id, --client-secret, --redirect-uri (repeatable), --data,
// --latency, --token-ttl, --fail (repeatable), --history-retention,
// --gmail-quota, --gmail-max-concurrent, --state, --pubsub-push
// (repeatable), --push-drop, --push-duplicate, --push-reorder,
// --push-delay, --push-refuse, --push-backoff-min, --push-backoff-max,
// --rotate-refresh-tokens, --generate, --seed, --sync-token-ttl.
// Fault rules are checked by New, which names a bad one.
func RegisterFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.ClientID, "client-id", cfg.ClientID, "sandbox OAuth client id (default "+DefaultClientID+")")
	fs.StringVar(&cfg.ClientSecret, "client-secret", cfg.ClientSecret, "sandbox OAuth client secret (default "+DefaultClientSecret+")")
	fs.Var(listFlag{&cfg.RedirectURIs}, "redirect-uri", "extra registered redirect URI, repeatable (loopback URIs are always accepted)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "sandbox data directory: one folder per account address with .eml, .mbox and .ics files (empty: built-in demo)")
	fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "sandbox latency added to every API call")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", cfg.TokenTTL, "sandbox access-token lifetime (default 1h)")
	fs.Var(listFlag{&cfg.Fail}, "fail", "sandbox fault METHOD=STATUS:RATE, repeatable, e.g. gmail.threads.get=429:0.2")
	fs.StringVar(&cfg.HistoryRetention, "history-retention", cfg.HistoryRetention, "sandbox Gmail history kept per mailbox: a duration (168h) or a record count (5000); older start ids get 404 (default 168h)")
	fs.IntVar(&cfg.GmailQuota, "gmail-quota", cfg.GmailQuota, "sandbox per-user Gmail quota in units per minute, Google's per-method costs (Gmail's is 15000; 0: unlimited)")
	fs.IntVar(&cfg.GmailMaxConcurrent, "gmail-max-concurrent", cfg.GmailMaxConcurrent, "sandbox Gmail calls a user may have in flight before 429 (0: unlimited)")
	fs.StringVar(&cfg.StateFile, "state", cfg.StateFile, "sandbox state file: grants, mailboxes, drafts and history survive a restart (serve --sandbox: jarvis-sandbox.json beside the SQLite database, or in the working directory for PostgreSQL; sandbox: empty keeps state in memory)")
	fs.Var(listFlag{&cfg.PubSubPush}, "pubsub-push", "sandbox Pub/Sub push subscription URL[,audience=A][,topic=projects/P/topics/T][,email=E], repeatable: projects/sandbox/subscriptions/push-N on topic "+DefaultPushTopic+" unless topic= names another (created either way); watch that topic with users.watch")
	fs.Float64Var(&cfg.PushDrop, "push-drop", cfg.PushDrop, "sandbox probability that a Pub/Sub push or Calendar notification is lost")
	fs.Float64Var(&cfg.PushDuplicate, "push-duplicate", cfg.PushDuplicate, "sandbox probability that a push or notification is delivered twice")
	fs.Float64Var(&cfg.PushReorder, "push-reorder", cfg.PushReorder, "sandbox probability that a push or notification is held back 2s so that later ones overtake it")
	fs.DurationVar(&cfg.PushDelay, "push-delay", cfg.PushDelay, "sandbox delay before every push or notification")
	fs.DurationVar(&cfg.PushRefuse, "push-refuse", cfg.PushRefuse, "sandbox refuses every push and notification for this long after start (retried with backoff after)")
	fs.DurationVar(&cfg.PushBackoffMin, "push-backoff-min", cfg.PushBackoffMin, "sandbox first retry delay of a failed push or notification, doubled each time (default 10s)")
	fs.DurationVar(&cfg.PushBackoffMax, "push-backoff-max", cfg.PushBackoffMax, "sandbox longest retry delay of a failed push or notification (default 10m)")
	fs.IntVar(&cfg.Generate, "generate", cfg.Generate, "sandbox adds N synthetic messages to every account's mailbox (threads, labels, unread, attachments, HTML, several charsets), the same for the same --seed")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "sandbox seed for --generate")
	fs.DurationVar(&cfg.SyncTokenTTL, "sync-token-ttl", cfg.SyncTokenTTL, "sandbox Calendar sync tokens older than this answer 410 fullSyncRequired (0: never expire)")
	fs.BoolVar(&cfg.RotateRefreshTokens, "rotate-refresh-tokens", cfg.RotateRefreshTokens, "sandbox returns a new refresh token on every refresh and invalidates the old one")
}

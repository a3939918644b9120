package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/audit"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/jwtauth"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

func runVersion(stdout io.Writer) error {
	v, commit := jarvis.Version, jarvis.Commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && commit == "" {
				commit = s.Value
			}
		}
	}
	if commit != "" {
		fmt.Fprintf(stdout, "jarvis %s (%s)\n", v, commit)
	} else {
		fmt.Fprintf(stdout, "jarvis %s\n", v)
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("migrate", "JARVIS_DATABASE_URL")
	const synopsis = "Usage: jarvis migrate up|down|status [flags]\n\nApplies (up), rolls back one (down) or lists (status) the database migrations."
	if err := parseFlags(flags, args, synopsis, stdout); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return errors.New("migrate needs one of: up, down, status (jarvis migrate -h for help)")
	}
	cfg, err := loadConfig(flags, lookup, false, nil, func(string, ...any) {})
	if err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	switch flags.Arg(0) {
	case "up":
		n, err := db.MigrateUp(ctx)
		if err != nil {
			return err
		}
		if err := jobs.Migrate(ctx, db.SQL(), db.Dialect() == sqldb.SQLite); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
	case "down":
		if err := db.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rolled back one migration")
	case "status":
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d  %-8s %s\n", s.Version, state, s.Name)
		}
	default:
		return fmt.Errorf("unknown migrate command %q: use up, down or status", flags.Arg(0))
	}
	return nil
}

// runToken creates the user (and their personal org) if needed and prints a
// token for them, for scripts and operators.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("token", "JARVIS_DATABASE_URL", "JARVIS_JWT_SECRET", "JARVIS_JWT_ISSUER", "JARVIS_JWT_TTL")
	email := flags.String("email", "", "the user's email (created, with a personal org, if new)")
	ttl := flags.Duration("ttl", 0, "token lifetime, at most 720h (default JARVIS_JWT_TTL)")
	const synopsis = "Usage: jarvis token --email EMAIL [--ttl 1h] [flags]\n\nPrints an access token for the user, for scripts and operators."
	if err := parseFlags(flags, args, synopsis, stdout); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return errors.New("token needs --email EMAIL (jarvis token -h for help)")
	}
	if a, err := mail.ParseAddress(*email); err != nil || a.Address != strings.TrimSpace(*email) || !strings.Contains(a.Address, "@") {
		return fmt.Errorf("--email: %q is not an email address", *email)
	}
	if *ttl < 0 || *ttl > 30*24*time.Hour {
		return fmt.Errorf("--ttl: %s is not between 0 and 720h", *ttl)
	}
	cfg, err := loadConfig(flags, lookup, false, nil, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) })
	if err != nil {
		return err
	}
	if err := cfg.ValidateJWT(); err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if pending, err := db.HasPendingMigrations(ctx); err != nil {
		return err
	} else if pending {
		return errors.New("the database schema is out of date: run `jarvis migrate up` first")
	}
	u, err := db.EnsureUser(ctx, *email, "")
	if err != nil {
		return err
	}
	authority, err := jwtauth.New(cfg.JWTSecret, cfg.JWTIssuer, cfg.JWTTTL, nil)
	if err != nil {
		return err
	}
	tok, err := authority.Mint(u.ID, u.TokenVersion, *ttl)
	if err != nil {
		return err
	}
	rec := audit.New(db, audit.Options{})
	rec.Record(jarvis.NewContextWithUser(ctx, u), jarvis.AuditEntry{Action: jarvis.AuditTokenIssued, TargetType: "token", TargetID: tok.ID,
		UserAgent: "jarvis token", Metadata: map[string]any{"via": "cli"}})
	fmt.Fprintln(stdout, tok.Token)
	return nil
}

const keysUsage = `Usage: jarvis keys generate [--id ID] | rotate [flags]

  generate   print a new token encryption key, id:base64key
  rotate     re-encrypt every stored token under the first key of JARVIS_ENCRYPTION_KEYS

jarvis keys generate -h and jarvis keys rotate -h list their flags.
`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys needs a command: generate or rotate")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, keysUsage)
		return errHelpShown
	case "generate":
		flags := newFlagSet("keys generate")
		id := flags.String("id", "", "key id (default k + today's date, e.g. k20260101)")
		if err := parseFlags(flags, args[1:], "Usage: jarvis keys generate [--id ID]\n\nPrints a new token encryption key, id:base64key.", stdout); err != nil {
			return err
		}
		if *id == "" {
			*id = "k" + time.Now().UTC().Format("20060102")
		}
		k, err := vault.GenerateKey(*id)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k)
		fmt.Fprintln(stderr, "Put it first in JARVIS_ENCRYPTION_KEYS (keep the old keys after it), restart, then run `jarvis keys rotate`.")
		return nil
	case "rotate":
		flags := newFlagSet("keys rotate", "JARVIS_DATABASE_URL", "JARVIS_ENCRYPTION_KEYS")
		if err := parseFlags(flags, args[1:], "Usage: jarvis keys rotate [flags]\n\nRe-encrypts every stored token under the first key of JARVIS_ENCRYPTION_KEYS.", stdout); err != nil {
			return err
		}
		cfg, err := loadConfig(flags, lookup, false, nil, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) })
		if err != nil {
			return err
		}
		keys, err := vault.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return fmt.Errorf("JARVIS_ENCRYPTION_KEYS: %w", err)
		}
		db, err := sqldb.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keys})
		fmt.Fprintf(stderr, "re-encrypting tokens under key %q\n", keys.Primary())
		rotated, failed, err := store.RotateKeys(ctx, func(done, total int) {
			fmt.Fprintf(stderr, "\r%d/%d rows", done, total)
		})
		fmt.Fprintln(stderr)
		if err != nil {
			return fmt.Errorf("rotation stopped after %d rows (run it again to resume): %w", rotated, err)
		}
		fmt.Fprintf(stdout, "rotated %d row(s); %d could not be decrypted with any configured key and were left as they are\n", rotated, failed)
		if counts, err := store.CountIntegrationsByKey(ctx); err == nil {
			for k, n := range counts {
				fmt.Fprintf(stdout, "  key %s: %d row(s)\n", k, n)
			}
		}
		if failed > 0 {
			return fmt.Errorf("%d row(s) could not be rotated", failed)
		}
		return nil
	}
	return fmt.Errorf("unknown keys command %q: use generate or rotate (jarvis keys -h for help)", args[0])
}

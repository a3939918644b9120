package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/audit"
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
	flags := newFlagSet("migrate", stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, "Usage: jarvis migrate up|down|status [flags]") }
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		flags.Usage()
		return errors.New("migrate needs one of: up, down, status")
	}
	cfg, err := loadConfig(flags, lookup, false, func(string, ...any) {})
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
	flags := newFlagSet("token", stderr)
	email := flags.String("email", "", "the user's email (created if new)")
	ttl := flags.Duration("ttl", 0, "token lifetime (default JARVIS_JWT_TTL)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" || !strings.Contains(*email, "@") {
		return errors.New("token needs --email EMAIL")
	}
	if *ttl < 0 || *ttl > 30*24*time.Hour {
		return errors.New("--ttl must be between 0 and 720h")
	}
	cfg, err := loadConfig(flags, lookup, false, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) })
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

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	if len(args) == 0 {
		return errors.New("keys needs a command: generate [--id ID] or rotate")
	}
	switch args[0] {
	case "generate":
		flags := newFlagSet("keys generate", stderr)
		id := flags.String("id", "", "key id (default k + today's date)")
		if err := flags.Parse(args[1:]); err != nil {
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
		flags := newFlagSet("keys rotate", stderr)
		if err := flags.Parse(args[1:]); err != nil {
			return err
		}
		cfg, err := loadConfig(flags, lookup, false, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) })
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
	return fmt.Errorf("unknown keys command %q: use generate or rotate", args[0])
}

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// The README's key rotation, end to end: generate a key, put it first,
// restart with both, (a refresh happens), rotate, drop the old key,
// restart: the user's Gmail works, refresh token included.
func TestKeyRotationProcedure(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		a := startEnv(t, envOptions{dialect: d})
		tok := a.signIn("ada@example.com")
		a.json("GET", "/gmail/labels", tok, nil, 200, nil)
		oldKey := a.Main.Config.EncryptionKeys

		// jarvis keys generate --id k2
		err, out, _ := runCLI(t, nil, "keys", "generate", "--id", "k2")
		if err != nil || !strings.HasPrefix(out, "k2:") {
			t.Fatalf("keys generate: %v %q", err, out)
		}
		newKey := strings.TrimSpace(out)

		// Put it first, keep the old one after it, restart.
		restart := func(keys string) *testEnv {
			secrets := &config.Config{JWTSecret: a.Main.Config.JWTSecret, EncryptionKeys: keys}
			return startEnv(t, envOptions{dialect: d, dbURL: a.Main.Config.DatabaseURL, secrets: secrets, sandbox: a.Sandbox})
		}
		a.Main.Close()
		both := restart(newKey + "," + oldKey)

		// A refresh between adding the key and rotating.
		read := both.liveRead(tok)
		if _, err := both.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		both.Sandbox.Google.ResetStats()
		both.json("GET", read, tok, nil, 200, nil)
		if n := both.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
			t.Fatalf("%d refreshes, want 1", n)
		}

		// jarvis keys rotate
		env := map[string]string{"JARVIS_DATABASE_URL": a.Main.Config.DatabaseURL, "JARVIS_ENCRYPTION_KEYS": newKey + "," + oldKey}
		err, out, _ = runCLI(t, env, "keys", "rotate")
		if err != nil || !strings.Contains(out, "key k2: 1 row(s)") || strings.Contains(out, "key test1") {
			t.Fatalf("keys rotate: %v\n%s", err, out)
		}

		// Drop the old key, restart.
		both.Main.Close()
		only := restart(newKey)
		only.json("GET", "/gmail/labels", tok, nil, 200, nil)
		// The refresh token was re-sealed too: a refresh still works.
		if _, err := only.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		only.Sandbox.Google.ResetStats()
		only.json("GET", read, tok, nil, 200, nil)
		if n := only.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
			t.Fatalf("%d refreshes under the new key alone, want 1", n)
		}
		if st := only.me(tok).Google.Status; st != "active" {
			t.Fatalf("google status %q after rotation", st)
		}
	})
}

// Tokens sealed before they were bound to their user are re-sealed, bound,
// when the server starts, and the user keeps working.
func TestServeResealsLegacyTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		a := startEnv(t, envOptions{dialect: d})
		tok := a.signIn("ada@example.com")
		keys, err := vault.ParseKeys(a.Main.Config.EncryptionKeys)
		if err != nil {
			t.Fatal(err)
		}
		g, err := a.Main.Integrations.FindGoogleIntegration(context.Background(), a.me(tok).User.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		legacy := func(field, tok string) string {
			ct, err := keys.Encrypt([]byte(tok), vault.AD("integrations_google", g.ID, field))
			if err != nil {
				t.Fatal(err)
			}
			return ct
		}
		if _, err := a.Main.DB.SQL().Exec(`UPDATE integrations_google SET access_token_ciphertext = $1, refresh_token_ciphertext = $2, ad_version = 1 WHERE id = $3`,
			legacy("access_token", g.AccessToken), legacy("refresh_token", g.RefreshToken), g.ID); err != nil {
			t.Fatal(err)
		}
		a.Main.Close()
		b := startEnv(t, envOptions{dialect: d, dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox})
		var adVersion int
		if err := b.Main.DB.SQL().QueryRow(`SELECT ad_version FROM integrations_google WHERE id = $1`, g.ID).Scan(&adVersion); err != nil || adVersion != 2 {
			t.Fatalf("ad_version after restart = %d, %v; want 2", adVersion, err)
		}
		if _, err := b.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		b.json("GET", "/gmail/labels", tok, nil, 200, nil)
	})
}

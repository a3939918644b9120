package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	jarvis "github.com/jarvis-hq/jarvis"
)

// testKey returns a spec entry whose key is fill repeated.
func testKey(id string, fill byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, KeySize))
}

func mustKeys(tb testing.TB, spec string) *Keyring {
	tb.Helper()
	k, err := ParseKeys(spec)
	if err != nil {
		tb.Fatalf("ParseKeys: %v", err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1))
	ad := AD("google_integrations", "row-1", "refresh_token")
	for _, pt := range [][]byte{nil, []byte(""), []byte("ya29.a0AfH6SMBx"), bytes.Repeat([]byte("1//x"), 1000)} {
		ct, err := k.Encrypt(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ct, "v1:k1:") {
			t.Errorf("ciphertext %q lacks its header", ct)
		}
		if len(pt) > 4 && strings.Contains(ct, string(pt[:5])) {
			t.Errorf("ciphertext shows plaintext")
		}
		got, err := k.Decrypt(ct, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("round trip: got %q, want %q", got, pt)
		}
	}
}

func TestNoncesDiffer(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1))
	a, _ := k.Encrypt([]byte("same"), nil)
	b, _ := k.Encrypt([]byte("same"), nil)
	if a == b {
		t.Fatal("two encryptions of the same plaintext are equal")
	}
}

func TestWithRandIsDeterministic(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1))
	zero := k.WithRand(bytes.NewReader(make([]byte, 2*nonceSize)))
	a, _ := zero.Encrypt([]byte("x"), nil)
	b, _ := zero.Encrypt([]byte("x"), nil)
	if a != b {
		t.Fatal("same nonce source gave different ciphertexts")
	}
	if _, err := zero.Encrypt([]byte("x"), nil); err == nil {
		t.Fatal("Encrypt succeeded with an exhausted random source")
	}
	if _, err := k.Decrypt(a, nil); err != nil {
		t.Fatalf("the original keyring cannot read the copy's ciphertext: %v", err)
	}
}

func TestWrongAD(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1))
	ctA, _ := k.Encrypt([]byte("ya29.user-a"), AD("google_integrations", "user-a", "access_token"))
	for _, ad := range [][]byte{
		AD("google_integrations", "user-b", "access_token"),  // A's row copied into B's
		AD("google_integrations", "user-a", "refresh_token"), // another field
		AD("other_table", "user-a", "access_token"),
		nil,
	} {
		_, err := k.Decrypt(ctA, ad)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt with ad %q: err = %v, want ErrDecrypt", ad, err)
		}
	}
}

func TestADIsUnambiguous(t *testing.T) {
	seen := map[string][3]string{}
	for _, tr := range [][3]string{
		{"ab", "c", "d"}, {"a", "bc", "d"}, {"a", "b", "cd"}, {"abc", "", "d"},
		{"", "", ""}, {"a\x00", "b", "c"}, {"a", "\x00b", "c"},
		{"a\x00\x00\x00\x01b", "", ""},
	} {
		k := string(AD(tr[0], tr[1], tr[2]))
		if prev, dup := seen[k]; dup {
			t.Errorf("AD%q and AD%q collide", prev, tr)
		}
		seen[k] = tr
	}
}

// Every single changed byte of a ciphertext, in its text or in the binary
// data under the base64, must fail to decrypt, and never yield plaintext.
func TestTamperingFails(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1)+","+testKey("k2", 2))
	ad := AD("t", "r", "f")
	ct, err := k.Encrypt([]byte("ya29.secret-token"), ad)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(ct); i++ {
		for _, mask := range []byte{0x01, 0x02, 0x20, 0x80} {
			b := []byte(ct)
			b[i] ^= mask
			if _, err := k.Decrypt(string(b), ad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("flipping byte %d with %#x: err = %v, want ErrDecrypt", i, mask, err)
			}
		}
	}
	h := len("v1:k1:")
	raw, err := b64.DecodeString(ct[h:])
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for bit := 0; bit < 8; bit++ {
			b := bytes.Clone(raw)
			b[i] ^= 1 << bit
			if _, err := k.Decrypt(ct[:h]+b64.EncodeToString(b), ad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("flipping bit %d of byte %d: err = %v", bit, i, err)
			}
		}
	}
	// Relabelling the ciphertext with the other key's id fails too.
	if _, err := k.Decrypt("v1:k2:"+ct[h:], ad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("relabelled ciphertext: err = %v", err)
	}
	// Truncation, extension and inserted line breaks fail.
	for _, bad := range []string{ct[:len(ct)-1], ct + "A", ct[:h+10] + "\n" + ct[h+10:], ct[:h+16]} {
		if _, err := k.Decrypt(bad, ad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Decrypt(%q): err = %v", bad, err)
		}
	}
}

func TestMalformedAndUnknown(t *testing.T) {
	k := mustKeys(t, testKey("k1", 1))
	other := mustKeys(t, testKey("k9", 9))
	ct9, _ := other.Encrypt([]byte("x"), nil)
	_, err := k.Decrypt(ct9, nil)
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrDecrypt) {
		t.Errorf("unknown key id: err = %v", err)
	}
	for _, bad := range []string{"", "ya29.plaintext-token", "v1:", "v1:k1", "v1:k1:", "v2:k1:AAAA", "v1:k 1:AAAA", "v1:k1:!!!!"} {
		if _, err := k.Decrypt(bad, nil); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt(%q): err = %v, want ErrDecrypt", bad, err)
		}
	}
	// Text whose key id cannot be read needs a look by the rotation pass.
	for _, bad := range []string{"", "ya29.plaintext-token", "v1:", "v1:k1", "v2:k1:AAAA", "v1:k 1:AAAA"} {
		if !k.NeedsRotation(bad) {
			t.Errorf("NeedsRotation(%q) = false", bad)
		}
	}
	if _, err := KeyID("plaintext"); !errors.Is(err, ErrMalformed) {
		t.Errorf("KeyID(plaintext): err = %v", err)
	}
}

func TestRotation(t *testing.T) {
	old := mustKeys(t, testKey("2025", 1))
	ad := AD("google_integrations", "u1", "refresh_token")
	ct, _ := old.Encrypt([]byte("1//refresh"), ad)
	if old.NeedsRotation(ct) {
		t.Fatal("fresh ciphertext needs rotation")
	}

	next := mustKeys(t, testKey("2026", 2)+","+testKey("2025", 1))
	if next.Primary() != "2026" {
		t.Fatalf("Primary = %q", next.Primary())
	}
	if id, _ := next.KeyID(ct); id != "2025" {
		t.Fatalf("KeyID = %q", id)
	}
	if !next.NeedsRotation(ct) {
		t.Fatal("old ciphertext does not need rotation")
	}
	if pt, err := next.Decrypt(ct, ad); err != nil || string(pt) != "1//refresh" {
		t.Fatalf("new keyring cannot read old ciphertext: %q, %v", pt, err)
	}
	rotated, changed, err := next.Reencrypt(ct, ad)
	if err != nil || !changed {
		t.Fatalf("Reencrypt: changed=%v err=%v", changed, err)
	}
	if next.NeedsRotation(rotated) {
		t.Fatal("rotated ciphertext still needs rotation")
	}
	if again, changed, _ := next.Reencrypt(rotated, ad); changed || again != rotated {
		t.Fatal("Reencrypt changed a current ciphertext")
	}
	// Retire the old key: the rotated row still reads, the old one does not.
	retired := mustKeys(t, testKey("2026", 2))
	if pt, err := retired.Decrypt(rotated, ad); err != nil || string(pt) != "1//refresh" {
		t.Fatalf("after retiring: %q, %v", pt, err)
	}
	if _, err := retired.Decrypt(ct, ad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ciphertext after retiring: %v", err)
	}
	if _, _, err := retired.Reencrypt(ct, ad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Reencrypt of an unreadable ciphertext: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	k1 := testKey("k1", 1)
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, KeySize))
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := base64.StdEncoding.EncodeToString(make([]byte, 33))
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"empty", "", "no encryption keys"},
		{"blank", "  ", "no encryption keys"},
		{"empty entry", k1 + ",", "entry 2 is empty"},
		{"no id", secret, "not of the form"},
		{"empty id", ":" + secret, "invalid id"},
		{"bad id", "a.b:" + secret, "invalid id"},
		{"long id", strings.Repeat("a", 33) + ":" + secret, "invalid id"},
		{"duplicate", k1 + "," + testKey("k1", 2), `"k1" appears more than once`},
		{"short key", "k2:" + short, "must be 32 bytes, got 16"},
		{"long key", "k2:" + long, "must be 32 bytes, got 33"},
		{"bad base64", "k2:" + secret[:10] + "*" + secret[11:], "not valid standard base64"},
		{"url base64", "k2:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, KeySize)), "not valid standard base64"},
		{"empty key", "k2:", "key is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeys(tc.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
				t.Errorf("error %q shows key material", err)
			}
		})
	}

	k, err := ParseKeys(" a-1:" + strings.TrimRight(secret, "=") + " , B_2:" + secret)
	if err != nil {
		t.Fatalf("spaces and unpadded base64: %v", err)
	}
	if got := fmt.Sprint(k.IDs()); got != "[a-1 B_2]" || k.Primary() != "a-1" {
		t.Errorf("ids %s, primary %s", got, k.Primary())
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey("k2")
	k := mustKeys(t, a+","+b)
	if k.Primary() != "k1" {
		t.Fatal(k.Primary())
	}
	if a[3:] == b[3:] {
		t.Fatal("two generated keys are equal")
	}
	if _, err := GenerateKey("bad id"); err == nil {
		t.Fatal("GenerateKey accepted a bad id")
	}
}

func TestPrintingHidesKeys(t *testing.T) {
	keyBytes := bytes.Repeat([]byte{0xAB}, KeySize)
	enc := base64.StdEncoding.EncodeToString(keyBytes)
	k := mustKeys(t, "main:"+enc)

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("t", "k", k, "v", *k)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("t", "k", k, "v", *k)
	js, _ := json.Marshal(struct{ K *Keyring }{k})

	outs := []string{logs.String(), string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, []*Keyring{k}),
			fmt.Sprintf(verb, struct{ K *Keyring }{k}), fmt.Sprintf(verb, map[string]Keyring{"a": *k}))
	}
	forbidden := []string{enc, enc[:16], "abab", "ABAB", "171, 171", "171 171", "\xab\xab"}
	for _, out := range outs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("output %q contains %q", out, f)
			}
		}
		if !strings.Contains(out, "main") {
			t.Errorf("output %q does not name the key id", out)
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	k := mustKeys(b, testKey("k1", 1))
	pt := bytes.Repeat([]byte("t"), 2048)
	ad := AD("google_integrations", "0190d1e4-7a3b-7c00-8000-000000000001", "access_token")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Encrypt(pt, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	k := mustKeys(b, testKey("k1", 1))
	pt := bytes.Repeat([]byte("t"), 2048)
	ad := AD("google_integrations", "0190d1e4-7a3b-7c00-8000-000000000001", "access_token")
	ct, _ := k.Encrypt(pt, ad)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Decrypt(ct, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCipherBinding(t *testing.T) {
	c := Cipher{Keys: mustKeys(t, testKey("k1", 1))}
	a := jarvis.CipherBinding{Table: "integrations_google", RowID: "a", Field: "refresh_token"}
	ct, err := c.Encrypt([]byte("1//a"), a)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := c.Decrypt(ct, a); err != nil || string(pt) != "1//a" {
		t.Fatalf("round trip: %q, %v", pt, err)
	}
	b := a
	b.RowID = "b"
	if _, err := c.Decrypt(ct, b); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("another row: %v", err)
	}
	if id, _ := c.KeyID(ct); id != "k1" || c.PrimaryKeyID() != "k1" {
		t.Fatalf("KeyID %q, primary %q", id, c.PrimaryKeyID())
	}
}

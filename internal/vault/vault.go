// Package vault encrypts secrets at rest — OAuth tokens above all — with
// AES-256-GCM under named keys, so that keys can rotate without downtime.
//
// A ciphertext is the printable string
//
//	v1:<key id>:<base64url, unpadded, of nonce(12) || sealed data || tag(16)>
//
// which fits TEXT columns on SQLite and PostgreSQL alike. The version and the
// key id are authenticated together with the caller's associated data, which
// should name the row and field the ciphertext belongs to, and its owner
// (see AD and ADUser): a ciphertext copied into another row, or relabelled
// with another key id, fails to decrypt.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// MaxKeyIDLength is the longest key id ParseKeys accepts.
const MaxKeyIDLength = 32

const (
	version   = "v1"
	nonceSize = 12
	tagSize   = 16
)

// b64 is the body encoding of a ciphertext. Strict, so that the unused
// trailing bits of the last character cannot be changed without notice.
var b64 = base64.RawURLEncoding.Strict()

// ErrDecrypt is matched (errors.Is) by every error of Decrypt: tampering,
// wrong associated data, an unknown key id or a malformed ciphertext. A
// caller must treat it as "this secret is gone", never fall back to the
// stored text.
var ErrDecrypt = errors.New("vault: cannot decrypt")

// ErrMalformed is returned when a ciphertext is not in the vault's format.
// It matches ErrDecrypt too.
var ErrMalformed = fmt.Errorf("%w: malformed ciphertext", ErrDecrypt)

// ErrUnknownKey is returned when a ciphertext names a key the keyring does
// not hold. It matches ErrDecrypt too.
var ErrUnknownKey = fmt.Errorf("%w: unknown key id", ErrDecrypt)

// Keyring holds the keys that decrypt and the primary key that encrypts.
// It is safe for concurrent use. Printing it in any way (fmt verbs, slog,
// JSON) shows the key ids only, never key material.
type Keyring struct {
	primary string
	ids     []string // in the order given, primary first
	aeads   map[string]cipher.AEAD
	rand    io.Reader
}

// ParseKeys parses a key specification such as JARVIS_ENCRYPTION_KEYS:
// comma-separated id:base64key entries, each key 32 bytes in standard
// base64 (padding optional), each id matching [A-Za-z0-9_-]{1,32} and
// unique. The first entry is the primary key. Spaces around entries are
// ignored. Error messages name entries by position and id, never by content,
// so they are safe to log.
func ParseKeys(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("vault: no encryption keys given (want id:base64key[,id:base64key...])")
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD), rand: rand.Reader}
	for i, entry := range strings.Split(spec, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("vault: key entry %d is empty", n)
		}
		id, enc, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("vault: key entry %d is not of the form id:base64key", n)
		}
		if !validKeyID(id) {
			// The id is not shown: a malformed entry may be key material.
			return nil, fmt.Errorf("vault: key entry %d has an invalid id (want 1 to %d of A-Z a-z 0-9 _ -)", n, MaxKeyIDLength)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("vault: key id %q appears more than once", id)
		}
		key, err := decodeKey(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("vault: key %q: %w", id, err)
		}
		aead, err := newAEAD(key)
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("vault: key %q: %w", id, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	k.primary = k.ids[0]
	return k, nil
}

// decodeKey decodes a standard base64 key of KeySize bytes. Its errors never
// include the input.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("key is empty")
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") {
		enc = base64.RawStdEncoding
	}
	key, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("key is not valid standard base64")
	}
	if len(key) != KeySize {
		n := len(key)
		clear(key)
		return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, n)
	}
	return key, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > MaxKeyIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// GenerateKey returns a new key specification entry, id:base64key, with 32
// bytes from crypto/rand. It fails if id is not a valid key id.
func GenerateKey(id string) (string, error) {
	if !validKeyID(id) {
		return "", fmt.Errorf("vault: invalid key id (want 1 to %d of A-Z a-z 0-9 _ -)", MaxKeyIDLength)
	}
	key := make([]byte, KeySize)
	defer clear(key)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return "", fmt.Errorf("vault: generate key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// WithRand returns a copy of the keyring that draws nonces from r instead of
// crypto/rand. It is meant for tests; never reuse a nonce source in production.
func (k *Keyring) WithRand(r io.Reader) *Keyring {
	c := *k
	c.rand = r
	return &c
}

// Primary returns the id of the key that Encrypt uses.
func (k *Keyring) Primary() string { return k.primary }

// IDs returns the ids of all keys, the primary first.
func (k Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// header is the authenticated prefix of a ciphertext. It cannot be a prefix
// of another key's header, since ids hold no ':', so header || ad is an
// unambiguous GCM additional data.
func header(id string) string { return version + ":" + id + ":" }

// Encrypt seals plaintext under the primary key, bound to ad (use AD to
// build it), and returns the printable ciphertext. It fails only if the
// random source fails.
func (k *Keyring) Encrypt(plaintext, ad []byte) (string, error) {
	aead := k.aeads[k.primary]
	h := header(k.primary)
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	if _, err := io.ReadFull(k.rand, buf); err != nil {
		return "", fmt.Errorf("vault: nonce: %w", err)
	}
	sealed := aead.Seal(buf, buf[:nonceSize], plaintext, gcmAD(h, ad))
	return h + b64.EncodeToString(sealed), nil
}

// Decrypt opens a ciphertext made by Encrypt with the same ad. Every failure
// matches ErrDecrypt: a changed byte anywhere, another ad (another row or
// field), a key id this keyring does not hold (ErrUnknownKey), or text that
// is not a ciphertext at all (ErrMalformed).
func (k *Keyring) Decrypt(ciphertext string, ad []byte) ([]byte, error) {
	id, body, err := split(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	if !onlyAlphabet(body) {
		return nil, ErrMalformed
	}
	raw, err := b64.DecodeString(body)
	if err != nil || len(raw) < nonceSize+tagSize {
		return nil, ErrMalformed
	}
	pt, err := aead.Open(nil, raw[:nonceSize], raw[nonceSize:], gcmAD(header(id), ad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered, wrong key or wrong associated data)", ErrDecrypt)
	}
	return pt, nil
}

// Reencrypt decrypts ciphertext and, if it is not under the primary key,
// encrypts it again under the primary key with the same ad. It returns the
// ciphertext to store and whether it changed. Errors are those of Decrypt
// and Encrypt.
func (k *Keyring) Reencrypt(ciphertext string, ad []byte) (string, bool, error) {
	pt, err := k.Decrypt(ciphertext, ad)
	if err != nil {
		return "", false, err
	}
	defer clear(pt)
	if !k.NeedsRotation(ciphertext) {
		return ciphertext, false, nil
	}
	out, err := k.Encrypt(pt, ad)
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

// KeyID returns the id of the key a ciphertext was made with, without
// decrypting it (so without proving it genuine). ErrMalformed if the text is
// not a vault ciphertext.
func KeyID(ciphertext string) (string, error) {
	id, _, err := split(ciphertext)
	return id, err
}

// KeyID is the package function KeyID, for callers that hold a keyring.
func (k *Keyring) KeyID(ciphertext string) (string, error) { return KeyID(ciphertext) }

// NeedsRotation reports whether ciphertext is not under the primary key.
// It is also true for text whose key id cannot be read, so that a rotation
// pass looks at it (and reports the Decrypt error) rather than skipping it.
func (k *Keyring) NeedsRotation(ciphertext string) bool {
	id, err := KeyID(ciphertext)
	return err != nil || id != k.primary
}

func split(ciphertext string) (id, body string, err error) {
	rest, ok := strings.CutPrefix(ciphertext, version+":")
	if !ok {
		return "", "", ErrMalformed
	}
	id, body, ok = strings.Cut(rest, ":")
	if !ok || !validKeyID(id) {
		return "", "", ErrMalformed
	}
	return id, body, nil
}

// onlyAlphabet reports whether s holds base64url characters only: the
// decoder would otherwise skip CR and LF silently.
func onlyAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func gcmAD(header string, ad []byte) []byte {
	b := make([]byte, 0, len(header)+len(ad))
	return append(append(b, header...), ad...)
}

// AD returns the canonical associated data that binds a ciphertext to the
// field of a row of a table. Each part is length-prefixed (4 bytes, big
// endian), so no two different triples share an encoding: ("ab","c","d")
// and ("a","bc","d") differ.
func AD(table, rowID, field string) []byte {
	return ad("jarvis/vault/ad/v1", table, rowID, field)
}

// ADUser is AD that also binds the user who owns the row, under its own
// tag, so that no ADUser equals any AD: a ciphertext whose row is handed to
// another user fails to decrypt.
func ADUser(table, rowID, field, userID string) []byte {
	return ad("jarvis/vault/ad/v2", table, rowID, field, userID)
}

func ad(tag string, parts ...string) []byte {
	n := len(tag)
	for _, s := range parts {
		n += 4 + len(s)
	}
	b := make([]byte, 0, n)
	b = append(b, tag...)
	for _, s := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// String describes the keyring by its key ids only. The printing methods
// have value receivers so that a copied Keyring prints safely too.
func (k Keyring) String() string {
	return fmt.Sprintf("vault.Keyring{primary: %q, ids: %q}", k.primary, k.ids)
}

// GoString is String: %#v must not dump key schedules.
func (k Keyring) GoString() string { return k.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x …) print String.
func (k Keyring) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue makes slog print the key ids only.
func (k Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.String("primary", k.primary), slog.Any("ids", k.IDs()))
}

// MarshalJSON shows the key ids only.
func (k Keyring) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `{"primary":%q,"ids":[`, k.primary)
	for i, id := range k.ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", id)
	}
	b.WriteString("]}")
	return []byte(b.String()), nil
}

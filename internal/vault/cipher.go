package vault

import "github.com/jarvis-hq/jarvis"

// Cipher adapts a Keyring to jarvis.TokenCipher: the binding (table, row,
// field) becomes the associated data of every ciphertext.
type Cipher struct{ Keys *Keyring }

var _ jarvis.TokenCipher = Cipher{}

// Encrypt seals plaintext under the primary key, bound to b.
func (c Cipher) Encrypt(plaintext []byte, b jarvis.CipherBinding) (string, error) {
	return c.Keys.Encrypt(plaintext, AD(b.Table, b.RowID, b.Field))
}

// Decrypt opens a ciphertext bound to b; errors.Is(err, ErrDecrypt) when it
// was altered, moved or sealed with an unknown key.
func (c Cipher) Decrypt(ciphertext string, b jarvis.CipherBinding) ([]byte, error) {
	return c.Keys.Decrypt(ciphertext, AD(b.Table, b.RowID, b.Field))
}

// KeyID returns the id of the key a ciphertext was sealed with.
func (c Cipher) KeyID(ciphertext string) (string, error) { return KeyID(ciphertext) }

// PrimaryKeyID is the id of the key new ciphertexts are sealed with.
func (c Cipher) PrimaryKeyID() string { return c.Keys.Primary() }

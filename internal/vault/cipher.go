package vault

import "github.com/jarvis-hq/jarvis"

// Cipher adapts a Keyring to jarvis.TokenCipher: the binding (table, row,
// field, and the owning user when given) becomes the associated data of
// every ciphertext.
type Cipher struct{ Keys *Keyring }

var _ jarvis.TokenCipher = Cipher{}

// Encrypt seals plaintext under the primary key, bound to b.
func (c Cipher) Encrypt(plaintext []byte, b jarvis.CipherBinding) (string, error) {
	return c.Keys.Encrypt(plaintext, bindingAD(b))
}

// Decrypt opens a ciphertext bound to b; errors.Is(err, ErrDecrypt) when it
// was altered, moved or sealed with an unknown key.
func (c Cipher) Decrypt(ciphertext string, b jarvis.CipherBinding) ([]byte, error) {
	return c.Keys.Decrypt(ciphertext, bindingAD(b))
}

// KeyID returns the id of the key a ciphertext was sealed with.
func (c Cipher) KeyID(ciphertext string) (string, error) { return KeyID(ciphertext) }

// PrimaryKeyID is the id of the key new ciphertexts are sealed with.
func (c Cipher) PrimaryKeyID() string { return c.Keys.Primary() }

// bindingAD is ADUser when the binding names a user, AD otherwise.
func bindingAD(b jarvis.CipherBinding) []byte {
	if b.UserID != "" {
		return ADUser(b.Table, b.RowID, b.Field, b.UserID)
	}
	return AD(b.Table, b.RowID, b.Field)
}

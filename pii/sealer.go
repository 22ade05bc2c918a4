package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Sealer turns an ID number into what the store keeps: a keyed hash
// (HMAC-SHA256) to match on, and an AES-256-GCM ciphertext for the rare
// authorized unmask. The two keys are derived from one 32-byte master key so
// that neither reveals the other. A Sealer is safe for concurrent use.
type Sealer struct {
	hashKey []byte
	aead    cipher.AEAD
}

// NewSealer builds a Sealer from a 32-byte master key.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("pii: sealer key must be 32 bytes, got %d", len(master))
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("gridcast id-number encryption v1"))
	if err != nil {
		return nil, fmt.Errorf("pii: sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: sealer: %w", err)
	}
	return &Sealer{hashKey: derive("gridcast id-number hash v1"), aead: aead}, nil
}

// ParseKey decodes a base64 master key (standard or URL alphabet, padded or
// not) and checks its length.
func ParseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("pii: key must decode to 32 bytes, got %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("pii: key is not valid base64")
}

// NewKey returns a fresh random master key, base64-encoded.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic("pii: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Hash is the keyed hash of id, hex-encoded: equal IDs hash equal under
// one key, and the hash reveals nothing without the key.
func (s *Sealer) Hash(id IDNumber) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts id with a random nonce; the result is nonce||ciphertext.
func (s *Sealer) Seal(id IDNumber) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(id)+s.aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic("pii: no randomness: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, []byte(id), nil)
}

// Open decrypts what Seal produced. Callers must have checked that the
// person asking is allowed to see the clear number, and should log the
// unmask (masked) on the audit trail.
func (s *Sealer) Open(sealed []byte) (IDNumber, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("pii: sealed ID number too short")
	}
	b, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", fmt.Errorf("pii: open sealed ID number: %w", err)
	}
	return IDNumber(b), nil
}

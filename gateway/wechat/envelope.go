package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
)

// This file is WeChat's published message-envelope algorithm written out
// from the specification, independent of silenceper/wechat: the emulator
// seals its pushes with it and the tests open them with it, while the
// callback handler decrypts with the SDK, so the SDK is checked against
// the specification rather than against itself.

// padBlock is the PKCS#7 block size WeChat uses: 32 bytes, not AES's 16.
const padBlock = 32

// Errors returned by Decrypt and the key helpers.
var (
	// ErrAESKey means the EncodingAESKey is not 43 base64 characters
	// decoding to 32 bytes.
	ErrAESKey = errors.New("wechat: EncodingAESKey must be 43 base64 characters (32 bytes)")
	// ErrEnvelope means the ciphertext is not a well-formed envelope:
	// bad base64, bad length, bad padding or a bad inner length.
	ErrEnvelope = errors.New("wechat: malformed encrypted envelope")
	// ErrAppID means the envelope decrypted but names another AppID.
	ErrAppID = errors.New("wechat: envelope AppID does not match")
)

// Signature is WeChat's callback signature: the hex SHA-1 of token,
// timestamp, nonce and any extra strings (the Encrypt field for
// msg_signature), sorted and concatenated. It is safe for concurrent use.
func Signature(token, timestamp, nonce string, extra ...string) string {
	parts := make([]string, 0, 3+len(extra))
	parts = append(parts, token, timestamp, nonce)
	parts = append(parts, extra...)
	sort.Strings(parts)
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VerifySignature reports whether got equals Signature(token, timestamp,
// nonce, extra...), comparing in constant time. An empty got never
// verifies.
func VerifySignature(got, token, timestamp, nonce string, extra ...string) bool {
	if got == "" {
		return false
	}
	want := Signature(token, timestamp, nonce, extra...)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// AESKey decodes a 43-character EncodingAESKey into the 32-byte AES key
// (base64 of key + "=").
func AESKey(aesKey43 string) ([]byte, error) {
	if len(aesKey43) != 43 {
		return nil, ErrAESKey
	}
	key, err := base64.StdEncoding.DecodeString(aesKey43 + "=")
	if err != nil || len(key) != 32 {
		return nil, ErrAESKey
	}
	return key, nil
}

// Encrypt seals plaintext (the message XML) in WeChat's safe-mode envelope:
// AES-256-CBC with IV = key[:16] over random16 + 4-byte big-endian length +
// plaintext + appID, PKCS#7-padded to 32 bytes, base64-encoded. random16
// must be 16 bytes, or nil to draw them from crypto/rand.
func Encrypt(aesKey43, appID string, plaintext []byte, random16 []byte) (string, error) {
	key, err := AESKey(aesKey43)
	if err != nil {
		return "", err
	}
	if random16 == nil {
		random16 = make([]byte, 16)
		if _, err := rand.Read(random16); err != nil {
			return "", fmt.Errorf("wechat: encrypt: %w", err)
		}
	}
	if len(random16) != 16 {
		return "", fmt.Errorf("wechat: encrypt: random prefix must be 16 bytes, got %d", len(random16))
	}
	n := 20 + len(plaintext) + len(appID)
	pad := padBlock - n%padBlock
	buf := make([]byte, n+pad)
	copy(buf, random16)
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(plaintext)))
	copy(buf[20:], plaintext)
	copy(buf[20+len(plaintext):], appID)
	for i := n; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("wechat: encrypt: %w", err)
	}
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt opens a safe-mode envelope produced by Encrypt (or by WeChat) and
// returns the inner XML. It checks the padding, the inner length and that
// the trailing AppID equals appID. It never panics on hostile input.
func Decrypt(aesKey43, appID, b64 string) ([]byte, error) {
	key, err := AESKey(aesKey43)
	if err != nil {
		return nil, err
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, ErrEnvelope
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wechat: decrypt: %w", err)
	}
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > padBlock || pad > len(buf) {
		return nil, ErrEnvelope
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, ErrEnvelope
		}
	}
	buf = buf[:len(buf)-pad]
	if len(buf) < 20 {
		return nil, ErrEnvelope
	}
	size := binary.BigEndian.Uint32(buf[16:20])
	if uint64(size) > uint64(len(buf)-20) {
		return nil, ErrEnvelope
	}
	end := 20 + int(size)
	if !bytes.Equal(buf[end:], []byte(appID)) {
		return nil, ErrAppID
	}
	return bytes.Clone(buf[20:end]), nil
}

package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/gridcast/gridcast/fault"
)

// Passwords are kept as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so that the parameters travel
// with each hash and can be raised later without invalidating old ones.
// The parameters are OWASP's first recommended set for argon2id (19 MiB,
// two passes, one lane): a sign-in costs tens of milliseconds on the
// server, a guess as much to an attacker holding the table.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLen and MaxPasswordLen bound a password, in characters. The
// upper bound keeps a sign-in from being a way to make the server hash
// megabytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// ErrWeakPassword is a password the policy refuses.
var ErrWeakPassword = fault.Refuse(fault.ErrInvalid, "the password is too weak", "密码强度不够", nil)

// weak is ErrWeakPassword with the rule that refused it.
func weak(en, zh string) error { return fault.Refuse(fault.ErrInvalid, en, zh, ErrWeakPassword) }

// CheckPassword refuses a password shorter than MinPasswordLen or longer
// than MaxPasswordLen characters, one that contains the user's name, or
// one made of a single repeated character; the error names the rule.
func CheckPassword(name, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return weak(fmt.Sprintf("the password needs at least %d characters", MinPasswordLen), fmt.Sprintf("密码至少需要 %d 个字符", MinPasswordLen))
	case n > MaxPasswordLen:
		return weak(fmt.Sprintf("the password may have at most %d characters", MaxPasswordLen), fmt.Sprintf("密码最多 %d 个字符", MaxPasswordLen))
	case strings.TrimSpace(name) != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(strings.TrimSpace(name))):
		return weak("the password must not contain the user name", "密码不能包含用户名")
	case strings.Count(pw, string([]rune(pw)[0])) == n:
		return weak("the password must not be one character repeated", "密码不能是同一个字符的重复")
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in the PHC string format,
// with a fresh random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("access: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches encoded, a hash made by
// HashPassword (with whatever parameters it records). An empty encoded
// (a user who has no password) matches nothing; a malformed one is an
// error. The comparison takes constant time.
func VerifyPassword(encoded, pw string) (bool, error) {
	if encoded == "" {
		// Spend the time a real check takes, so that the answer's timing
		// does not tell a user without a password from a wrong guess.
		argon2.IDKey([]byte(pw), make([]byte, argonSaltLen), argonTime, argonMemory, argonThreads, argonKeyLen)
		return false, nil
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("access: not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("access: argon2id version %q", parts[2])
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 16 {
		return false, fmt.Errorf("access: argon2id parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("access: argon2id salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("access: argon2id hash: %v", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// DummyPasswordHash is a hash no password is known to match: a sign-in as
// an unknown user is checked against it, so that it takes as long as one
// as a known user and the answer's timing does not tell which names exist.
var DummyPasswordHash = func() string {
	h, err := HashPassword(rand.Text())
	if err != nil {
		panic(err)
	}
	return h
}()

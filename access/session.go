package access

import (
	"crypto/rand"
	"crypto/sha256"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// A Session is a browser's sign-in: the console keeps its secret in a
// cookie the page's scripts cannot read, the server only its SHA-256.
// Every change the browser asks for must also carry CSRF, which the page
// holds and a cross-site form cannot know.
type Session struct {
	// IDSHA256 is the SHA-256 of the cookie's secret.
	IDSHA256 [sha256.Size]byte
	UserID   int64
	// CSRF is the token a change must carry in X-CSRF-Token.
	CSRF string
	// Method is how the user proved who they are: MethodPassword, or the
	// name of an identity provider (企业微信, 政务微信 …).
	Method string
	// Remote and Agent are the address and browser it was opened from,
	// shown to the user and to administrators.
	Remote, Agent string
	CreatedAt     time.Time
	// SeenAt is its last use, moved forward at most once a minute.
	SeenAt time.Time
	// ExpiresAt is the end of its life whatever its use.
	ExpiresAt time.Time
}

// MethodPassword is a session opened with a user name and password.
const MethodPassword = "password"

// NewSessionSecret returns a fresh secret for a session's cookie (or its
// CSRF token): 26 characters of base32, 128 bits of randomness.
func NewSessionSecret() string { return rand.Text() }

// LoginPolicy is how sign-ins are limited and how long sessions last.
type LoginPolicy struct {
	// MaxFailures wrong passwords in a row lock the user for Lockout.
	MaxFailures int
	Lockout     time.Duration
	// Idle ends a session not used for this long; Lifetime ends it
	// whatever its use.
	Idle, Lifetime time.Duration
}

// DefaultLoginPolicy locks a user for 15 minutes after 5 wrong passwords
// in a row, and ends a session after 12 hours unused (a night off the
// console) or 7 days in all (a grid worker's phone signs in once a week).
func DefaultLoginPolicy() LoginPolicy {
	return LoginPolicy{MaxFailures: 5, Lockout: 15 * time.Minute, Idle: 12 * time.Hour, Lifetime: 7 * 24 * time.Hour}
}

// Live reports whether s may still be used at now under p.
func (p LoginPolicy) Live(s Session, now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Sub(s.SeenAt) < p.Idle
}

// Credentials are what a sign-in checks of a user beyond their name: the
// password hash ("" for a user who has none and signs in with a token
// only), the wrong passwords since the last right one, and the end of a
// lockout.
type Credentials struct {
	PasswordHash string
	Failures     int
	LockedUntil  time.Time
}

// Locked reports whether the user is locked out at now.
func (c Credentials) Locked(now time.Time) bool { return now.Before(c.LockedUntil) }

// Sign-in refusals. A wrong name and a wrong password are one refusal, so
// that the answer does not tell which names exist.
var (
	ErrBadLogin = fault.Refuse(fault.ErrInvalid, "wrong user name or password", "用户名或密码错误", nil)
	ErrLocked   = fault.Refuse(fault.ErrConflict, "too many wrong passwords: this user is locked for a while; try later or ask an administrator to unlock it",
		"密码错误次数过多，账号已暂时锁定，请稍后再试或请管理员解锁", nil)
)

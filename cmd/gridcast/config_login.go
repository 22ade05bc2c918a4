package main

import (
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
)

// LoginConfig is how the console's sign-in by user name and password is
// limited, and how long its sessions last (http.login).
type LoginConfig struct {
	// MaxFailures wrong passwords in a row lock the user for Lockout.
	MaxFailures int           `yaml:"max_failures"`
	Lockout     time.Duration `yaml:"lockout"`
	// SessionIdle ends a session unused this long; SessionLifetime ends
	// it whatever its use.
	SessionIdle     time.Duration `yaml:"session_idle"`
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	// RatePerMinute is the sign-in attempts one address may make a minute
	// (after a burst of five).
	RatePerMinute float64 `yaml:"rate_per_minute"`
	// CookieSecure is auto (Secure when the request came over HTTPS, or
	// through a proxy that says so), always or never.
	CookieSecure string `yaml:"cookie_secure"`
}

// defaultLoginConfig is access.DefaultLoginPolicy, api.DefaultLoginRate
// and cookies marked Secure when served over HTTPS.
func defaultLoginConfig() LoginConfig {
	p := access.DefaultLoginPolicy()
	return LoginConfig{MaxFailures: p.MaxFailures, Lockout: p.Lockout, SessionIdle: p.Idle, SessionLifetime: p.Lifetime,
		RatePerMinute: api.DefaultLoginRate, CookieSecure: string(api.CookieSecureAuto)}
}

// policy is the access.LoginPolicy the configuration describes.
func (c LoginConfig) policy() access.LoginPolicy {
	return access.LoginPolicy{MaxFailures: c.MaxFailures, Lockout: c.Lockout, Idle: c.SessionIdle, Lifetime: c.SessionLifetime}
}

// validate names each key that is out of range.
func (c LoginConfig) validate(bad func(key, format string, a ...any)) {
	if c.MaxFailures < 1 || c.MaxFailures > 100 {
		bad("http.login.max_failures", "%d: want 1 to 100 wrong passwords before a lockout", c.MaxFailures)
	}
	if c.Lockout < time.Minute || c.Lockout > 24*time.Hour {
		bad("http.login.lockout", "%s: want between 1m and 24h", c.Lockout)
	}
	if c.SessionIdle < 5*time.Minute {
		bad("http.login.session_idle", "%s: want at least 5m", c.SessionIdle)
	}
	if c.SessionLifetime < c.SessionIdle || c.SessionLifetime > 90*24*time.Hour {
		bad("http.login.session_lifetime", "%s: want at least session_idle (%s) and at most 2160h (90 days)", c.SessionLifetime, c.SessionIdle)
	}
	if c.RatePerMinute <= 0 || c.RatePerMinute > 600 {
		bad("http.login.rate_per_minute", "%g: want more than 0 and at most 600", c.RatePerMinute)
	}
	switch api.CookieSecurity(c.CookieSecure) {
	case api.CookieSecureAuto, api.CookieSecureAlways, api.CookieSecureNever:
	default:
		bad("http.login.cookie_secure", "%q: want auto, always or never", c.CookieSecure)
	}
}

package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// Source is where an act came from.
type Source string

// The sources.
const (
	// SourceAPI is an act through the HTTP API (and the console on it):
	// Actor is the authenticated user.
	SourceAPI Source = "api"
	// SourceCLI is an act on the command line: Actor is the --by name the
	// operator typed, OSUser the account that ran the command.
	SourceCLI Source = "cli"
	// SourceSystem is an act of GridCast itself (a scheduled sync, a
	// retention sweep): Actor names the component.
	SourceSystem Source = "system"
)

// Sources lists every source.
var Sources = []Source{SourceAPI, SourceCLI, SourceSystem}

// Action is what was done: a dotted name, the area first.
type Action string

// The actions GridCast records. A filter on an action matches it and every
// action under it ("campaign" matches campaign.approve and campaign.send).
const (
	ActionLogin             Action = "auth.login"       // a user signed in
	ActionLoginFailed       Action = "auth.failed"      // a sign-in refused: a wrong password, or a name no user has
	ActionLocked            Action = "auth.locked"      // a user locked out after too many wrong passwords
	ActionLogout            Action = "auth.logout"      // a user signed out
	ActionUserPassword      Action = "user.password"    // a user's password was set or changed
	ActionUserUnlock        Action = "user.unlock"      // an administrator ended a user's lockout
	ActionUnmask            Action = "pii.unmask"       // personal data shown or written in clear
	ActionCampaignApprove   Action = "campaign.approve" // a checker approved a campaign
	ActionCampaignSend      Action = "campaign.send"    // a campaign was scheduled to send
	ActionCampaignPause     Action = "campaign.pause"
	ActionCampaignResume    Action = "campaign.resume"
	ActionCampaignCancel    Action = "campaign.cancel"
	ActionResidentChange    Action = "resident.change" // a resident's record was edited by hand
	ActionResidentErase     Action = "resident.erase"  // a resident's personal data was erased
	ActionUserCreate        Action = "user.create"
	ActionUserGrant         Action = "user.grant"  // a role or a scope was given
	ActionUserRevoke        Action = "user.revoke" // a role or a scope was taken away, or the user disabled
	ActionUserToken         Action = "user.token"  // a user was given a new token (and enabled)
	ActionView              Action = "pii.view"    // a grid worker saw a resident of their own grid in clear
	ActionCampaignCreate    Action = "campaign.create"
	ActionCampaignRefuse    Action = "campaign.refuse"    // a checker sent a campaign back to its maker, with why
	ActionCampaignEdit      Action = "campaign.edit"      // a draft was changed (any approval it had is void)
	ActionTicketDispatch    Action = "ticket.dispatch"    // a ticket handed to departments (分拨, 吹哨报到)
	ActionTicketSupervise   Action = "ticket.supervise"   // a ticket flagged 督办
	ActionTicketUnsupervise Action = "ticket.unsupervise" // a ticket's 督办 flags lifted
	ActionTicketReport      Action = "ticket.report"      // staff reported an event (patrol, hotline) as a ticket
	ActionTicketNote        Action = "ticket.note"        // staff wrote an internal note on a ticket
	ActionTask              Action = "task"               // a department task's step: task.accept, task.resolve …
	ActionExport            Action = "export"             // records left GridCast in a file
	ActionImport            Action = "import"             // records came in from a file
	ActionCampaignTestSend  Action = "campaign.test_send" // an officer sent a campaign's SMS to their own phone (试发)
)

// Entry is one act in the audit log. The zero value is not valid: Actor,
// Source and Action are required (Validate). Seq, At, PrevHash and Hash
// are set when the entry is appended (Next); what the caller fills in is
// everything else.
type Entry struct {
	// Seq is the entry's place in the log: 1 for the first, each next one
	// more. Gaps mean deleted entries.
	Seq int64 `json:"seq"`
	// At is when the entry was appended, in UTC to the microsecond (what
	// both databases keep).
	At time.Time `json:"at"`
	// Actor is the person as GridCast knows them: the API's user, the
	// CLI's --by, or the component for SourceSystem.
	Actor string `json:"actor"`
	// OSUser is the operating-system account that ran a CLI command,
	// recorded beside the --by name it typed; empty for the API.
	OSUser string `json:"os_user,omitempty"`
	// Source is where the act came from.
	Source Source `json:"source"`
	// Action is what was done.
	Action Action `json:"action"`
	// Subject is what it was done to, as kind:key — campaign:12,
	// resident:34, user:王芳, file:answers.xlsx — never personal data in
	// clear; empty when there is none (a login).
	Subject string `json:"subject,omitempty"`
	// Reason is why, as the actor gave it (unmasking needs one).
	Reason string `json:"reason,omitempty"`
	// Detail is a short text or JSON saying more (counts, states, the
	// file written), never personal data in clear.
	Detail string `json:"detail,omitempty"`
	// PrevHash is the Hash of the entry before (Genesis for the first).
	PrevHash string `json:"prev_hash"`
	// Hash is Sum of this entry: lowercase hex SHA-256.
	Hash string `json:"hash"`
}

// Genesis is the PrevHash of the first entry: a fixed value, so that a log
// whose first entries were deleted does not verify from the next one.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hashVersion starts every hashed encoding: a change to the encoding gets
// a new version rather than making old entries fail to verify.
const hashVersion = "gridcast.audit.v1"

// Limits on what one entry holds; Sanitize cuts longer texts.
const (
	MaxNameLen    = 200  // Actor, OSUser, Subject, in characters
	MaxReasonLen  = 1000 // Reason, in characters
	MaxDetailLen  = 4000 // Detail, in characters
	maxActionLen  = 100
	truncatedMark = "…"
)

// Sum returns the entry's hash: lowercase hex SHA-256 over a canonical
// encoding of a version tag, PrevHash, Seq, At and every other field but
// Hash. Each field is its UTF-8 bytes preceded by their length as eight
// bytes big-endian, so no two different entries encode alike; Seq is
// decimal, At is RFC 3339 with nanoseconds in UTC (trailing zeros cut, as
// time.RFC3339Nano formats). Sum is a pure function of the entry.
func (e Entry) Sum() string {
	h := sha256.New()
	var n [8]byte
	for _, f := range [...]string{
		hashVersion, e.PrevHash, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano),
		e.Actor, e.OSUser, string(e.Source), string(e.Action), e.Subject, e.Reason, e.Detail,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Head is the newest entry of a log as its Seq and Hash: what an operator
// records outside the database to detect later truncation or rewriting.
// The zero value is "no head" (an expectation not given); the head of an
// empty log is Seq 0 and Hash Genesis (Empty).
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Empty is the head of an empty log.
var Empty = Head{Seq: 0, Hash: Genesis}

// IsZero reports whether h is the zero Head.
func (h Head) IsZero() bool { return h == Head{} }

// String is SEQ:HASH, as ParseHead reads it.
func (h Head) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash }

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseHead reads SEQ:HASH as `gridcast audit verify` prints it (the hash
// in hex, either case). The error wraps fault.ErrInvalid.
func ParseHead(s string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	hash = strings.ToLower(hash)
	if !ok || err != nil || n < 0 || !hexHash.MatchString(hash) {
		return Head{}, fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("head %q: want SEQ:HASH as `gridcast audit verify` prints it (a number, a colon, 64 hex digits)", s),
			fmt.Sprintf("日志头 %q 格式有误：应为 `gridcast audit verify` 输出的 序号:哈希（64 位十六进制）", s), nil)
	}
	return Head{Seq: n, Hash: hash}, nil
}

var actionName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// Validate reports what makes e unfit to append, joined: a blank Actor, an
// unknown Source, an Action that is not a dotted lowercase name. It does
// not look at Seq, At or the hashes, which Next sets. The error wraps
// fault.ErrInvalid.
func (e Entry) Validate() error {
	var errs []error
	if strings.TrimSpace(e.Actor) == "" {
		errs = append(errs, errors.New("actor: required (who did it)"))
	}
	if !validSource(e.Source) {
		errs = append(errs, fmt.Errorf("source %q: want api, cli or system", e.Source))
	}
	if len(e.Action) > maxActionLen || !actionName.MatchString(string(e.Action)) {
		errs = append(errs, fmt.Errorf("action %q: want a dotted lowercase name such as campaign.approve", e.Action))
	}
	if err := errors.Join(errs...); err != nil {
		f := fault.Refuse(fault.ErrInvalid, "audit entry is not valid", "审计记录无效", err)
		f.Detail = true
		return f
	}
	return nil
}

func validSource(s Source) bool {
	for _, x := range Sources {
		if s == x {
			return true
		}
	}
	return false
}

// Sanitize returns e fit to store whatever its texts hold: invalid UTF-8
// and NUL bytes replaced, leading and trailing space trimmed, personal
// data masked in Subject, Reason and Detail (pii.MaskText: anything shaped
// like an ID number or a mainland mobile number), and texts longer than
// the limits cut with "…". An act is recorded even when its words are too
// long; what it did is never dropped.
func (e Entry) Sanitize() Entry {
	e.Actor = clean(e.Actor, MaxNameLen, false)
	e.OSUser = clean(e.OSUser, MaxNameLen, false)
	e.Subject = clean(e.Subject, MaxNameLen, true)
	e.Reason = clean(e.Reason, MaxReasonLen, true)
	e.Detail = clean(e.Detail, MaxDetailLen, true)
	return e
}

func clean(s string, most int, mask bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	s = strings.TrimSpace(s)
	if mask {
		s = pii.MaskText(s)
	}
	if utf8.RuneCountInString(s) > most {
		rs := []rune(s)
		s = string(rs[:most-1]) + truncatedMark
	}
	return s
}

// Next returns e appended after head at the time at: sanitized, Seq one
// past head's, At in UTC to the microsecond, PrevHash head's Hash and Hash
// its Sum. Whatever e held in those fields is replaced. The error, for an
// entry that fails Validate, wraps fault.ErrInvalid. The store calls Next
// while it holds the log's append lock, with the head it read under it.
func Next(head Head, e Entry, at time.Time) (Entry, error) {
	e = e.Sanitize()
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if head.IsZero() {
		head = Empty
	}
	e.Seq = head.Seq + 1
	e.At = at.UTC().Truncate(time.Microsecond)
	e.PrevHash = head.Hash
	e.Hash = e.Sum()
	return e, nil
}

package audit

import (
	"fmt"

	"github.com/gridcast/gridcast/fault"
)

// Kind is the way a chain breaks.
type Kind string

// The ways a chain breaks. What each one means is in its comment; Break's
// sentence says it to the operator.
const (
	// BreakEdited: the entry's Hash is not the Sum of its contents. It was
	// changed after it was written, or inserted with a forged hash.
	BreakEdited Kind = "edited"
	// BreakDeleted: Seq jumps (or the log does not start at 1). The
	// entries in between were deleted.
	BreakDeleted Kind = "deleted"
	// BreakUnlinked: the Seq follows on and the entry's own hash is right,
	// but its PrevHash is not the Hash of the entry before. The entry
	// before was rewritten with a recomputed hash, or entries were deleted
	// and the rest renumbered, or entries were moved.
	BreakUnlinked Kind = "unlinked"
	// BreakReordered: the entry's Seq is not greater than the one before
	// it: entries are out of order or duplicated.
	BreakReordered Kind = "reordered"
	// BreakTruncated: the log ends before the head recorded earlier. Its
	// newest entries were deleted.
	BreakTruncated Kind = "truncated"
	// BreakRewritten: the entry at the recorded head's Seq has another
	// hash. The log up to it was rewritten, every hash after the change
	// recomputed.
	BreakRewritten Kind = "rewritten"
)

// Break is the first place a log fails to verify. It is an error; it says
// itself in English and Chinese (fault.Sayer) for the CLI and the API.
type Break struct {
	Kind Kind
	// Seq is the entry where the break shows: the edited or unlinked
	// entry, the first entry after a gap, the recorded head's Seq for
	// BreakTruncated and BreakRewritten.
	Seq int64
	// Prev is the Seq of the last entry that verified (0: none).
	Prev int64
	// Want and Got are the hashes compared, where hashes were (BreakEdited:
	// the recomputed and the stored Hash; BreakUnlinked: the previous
	// entry's Hash and the stored PrevHash; BreakRewritten: the recorded
	// and the stored Hash).
	Want, Got string
}

// Error is the English sentence.
func (b *Break) Error() string { return b.Say(fault.English) }

// Say says what the break means, in lang.
func (b *Break) Say(lang fault.Lang) string {
	en, zh := b.sentences()
	if lang == fault.English {
		return en
	}
	return zh
}

func (b *Break) sentences() (en, zh string) {
	switch b.Kind {
	case BreakEdited:
		return fmt.Sprintf("audit log broken at entry %d: its hash does not match its contents; the entry was edited after it was written, or inserted with a forged hash", b.Seq),
			fmt.Sprintf("审计日志在第 %d 条断开：该条哈希与内容不符，写入后被修改，或以伪造的哈希插入", b.Seq)
	case BreakDeleted:
		if b.Prev == 0 {
			return fmt.Sprintf("audit log broken: it starts at entry %d; entries 1 to %d were deleted", b.Seq, b.Seq-1),
				fmt.Sprintf("审计日志断开：从第 %d 条开始，第 1 至 %d 条已被删除", b.Seq, b.Seq-1)
		}
		return fmt.Sprintf("audit log broken at entry %d: entries %d to %d are missing (deleted)", b.Seq, b.Prev+1, b.Seq-1),
			fmt.Sprintf("审计日志在第 %d 条断开：缺少第 %d 至 %d 条（已被删除）", b.Seq, b.Prev+1, b.Seq-1)
	case BreakUnlinked:
		if b.Prev == 0 {
			return fmt.Sprintf("audit log broken at entry %d: it does not start the chain (its prev_hash is not the genesis value); earlier entries were deleted and the rest renumbered, or it was rewritten", b.Seq),
				fmt.Sprintf("审计日志在第 %d 条断开：它不是链的起点（prev_hash 不是创世值），之前的记录被删除后重新编号，或该条被改写", b.Seq)
		}
		return fmt.Sprintf("audit log broken at entry %d: its prev_hash is not entry %d's hash; entry %d was rewritten with a recomputed hash, or entries were deleted and the rest renumbered, or entries were moved", b.Seq, b.Prev, b.Prev),
			fmt.Sprintf("审计日志在第 %d 条断开：其 prev_hash 不是第 %d 条的哈希；第 %d 条被改写并重算了哈希，或有记录被删除后重新编号，或记录被移动", b.Seq, b.Prev, b.Prev)
	case BreakReordered:
		return fmt.Sprintf("audit log broken at entry %d: it comes after entry %d; entries are out of order or duplicated", b.Seq, b.Prev),
			fmt.Sprintf("审计日志在第 %d 条断开：它排在第 %d 条之后，记录顺序错乱或重复", b.Seq, b.Prev)
	case BreakTruncated:
		return fmt.Sprintf("audit log truncated: it ends at entry %d but the head recorded earlier is entry %d; entries %d to %d were deleted", b.Prev, b.Seq, b.Prev+1, b.Seq),
			fmt.Sprintf("审计日志被截断：最后一条是第 %d 条，而此前记录的日志头是第 %d 条；第 %d 至 %d 条已被删除", b.Prev, b.Seq, b.Prev+1, b.Seq)
	case BreakRewritten:
		return fmt.Sprintf("audit log rewritten: entry %d's hash is %s, not %s as recorded earlier; entries up to %d were changed and the hashes after the change recomputed", b.Seq, b.Got, b.Want, b.Seq),
			fmt.Sprintf("审计日志被改写：第 %d 条的哈希为 %s，而非此前记录的 %s；第 %d 条及之前的记录被修改并重算了之后的哈希", b.Seq, b.Got, b.Want, b.Seq)
	}
	return fmt.Sprintf("audit log broken at entry %d (%s)", b.Seq, b.Kind), fmt.Sprintf("审计日志在第 %d 条断开（%s）", b.Seq, b.Kind)
}

// Report is what a verification found: how many entries it checked and
// the head it reached. On a break, Head is the last entry that verified.
type Report struct {
	Checked int64 `json:"checked"`
	Head    Head  `json:"head"`
}

// Verifier checks a log one entry at a time, in Seq order, so that a log
// of millions of entries is verified in constant memory. Feed it with Add
// and end with Finish. It is not safe for concurrent use.
type Verifier struct {
	expect Head
	rep    Report
	broken *Break
}

// NewVerifier starts a verification. expect is a head recorded earlier
// (the zero Head: none): the entry at its Seq must have its Hash, and the
// log must reach it.
func NewVerifier(expect Head) *Verifier {
	return &Verifier{expect: expect, rep: Report{Head: Empty}}
}

// Add checks the next entry against the last one that verified. It
// returns the first *Break and, once broken, keeps returning it; the
// caller stops there.
func (v *Verifier) Add(e Entry) error {
	if v.broken != nil {
		return v.broken
	}
	prev := v.rep.Head
	b := &Break{Seq: e.Seq, Prev: prev.Seq}
	switch {
	case e.Seq <= prev.Seq:
		b.Kind = BreakReordered
	case e.Seq > prev.Seq+1:
		b.Kind = BreakDeleted
	case e.Sum() != e.Hash:
		b.Kind, b.Want, b.Got = BreakEdited, e.Sum(), e.Hash
	case e.PrevHash != prev.Hash:
		b.Kind, b.Want, b.Got = BreakUnlinked, prev.Hash, e.PrevHash
	case !v.expect.IsZero() && e.Seq == v.expect.Seq && e.Hash != v.expect.Hash:
		b.Kind, b.Want, b.Got = BreakRewritten, v.expect.Hash, e.Hash
	default:
		v.rep.Checked++
		v.rep.Head = Head{Seq: e.Seq, Hash: e.Hash}
		return nil
	}
	v.broken = b
	return b
}

// Finish returns the report and, when the log broke or ends before the
// expected head, the *Break. An expected head of Seq 0 must be Genesis.
func (v *Verifier) Finish() (Report, error) {
	if v.broken != nil {
		return v.rep, v.broken
	}
	head, exp := v.rep.Head, v.expect
	switch {
	case exp.IsZero():
	case head.Seq < exp.Seq:
		v.broken = &Break{Kind: BreakTruncated, Seq: exp.Seq, Prev: head.Seq}
	case exp.Seq == 0 && exp.Hash != Genesis:
		v.broken = &Break{Kind: BreakRewritten, Seq: 0, Want: exp.Hash, Got: Genesis}
	}
	if v.broken != nil {
		return v.rep, v.broken
	}
	return v.rep, nil
}

// Verify checks entries, which must be in the order they are stored (by
// Seq), against one another and against expect (the zero Head: none). It
// returns what it checked and the first *Break, if any.
func Verify(entries []Entry, expect Head) (Report, error) {
	v := NewVerifier(expect)
	for _, e := range entries {
		if err := v.Add(e); err != nil {
			break
		}
	}
	return v.Finish()
}

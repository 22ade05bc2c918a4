package wechat

import (
	"strings"
)

// How WeChat shows a template message since 2023-05-04 (its announcement
// on regulating official-account template messages): the first line
// (first) and the footer (remark) are not shown, emoji are dropped, and
// each other field is one line of at most displayWidth characters, where
// a run of ASCII letters or digits counts as one; WeChat cuts the rest with
// an ellipsis and still accepts the send. The emulator records what the
// phone shows, as WeChat would, so that a demo or a test sees what the
// recipient reads. campaigns.WeChatDisplay is GridCast's own prediction of
// the same; the sandbox's tests hold the two to each other.

// displayWidth is how many characters of a field WeChat shows.
const displayWidth = 20

// hiddenField reports whether WeChat no longer shows the template field
// key.
func hiddenField(key string) bool { return key == "first" || key == "remark" }

// droppedRune reports whether WeChat drops r from a field: emoji, flags
// and the joiners, keycaps, variation selectors and tags that build them.
func droppedRune(r rune) bool {
	switch {
	case 0x1F000 <= r && r <= 0x1FAFF, 0x2600 <= r && r <= 0x27BF,
		0x2B05 <= r && r <= 0x2B07, 0x2B1B <= r && r <= 0x2B1C, r == 0x2B50, r == 0x2B55,
		0x231A <= r && r <= 0x231B, 0x23E9 <= r && r <= 0x23FA,
		r == 0x200D, r == 0x20E3, 0xFE00 <= r && r <= 0xFE0F, 0xE0020 <= r && r <= 0xE007F:
		return true
	}
	return false
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x2028 || r == 0x2029
}

func isLatin(r rune) bool {
	return '0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z'
}

// displayValue is one field's value as the phone shows it.
func displayValue(v string) string {
	// One line: a run of line breaks becomes one space.
	var line strings.Builder
	brk := false
	for _, r := range v {
		if isLineBreak(r) {
			brk = true
			continue
		}
		if brk {
			line.WriteByte(' ')
			brk = false
		}
		line.WriteRune(r)
	}
	var out strings.Builder
	n, latin := 0, false
	for _, r := range strings.TrimSpace(line.String()) {
		if droppedRune(r) {
			continue
		}
		if !isLatin(r) || !latin {
			n++ // a new character; a latin rune after a latin rune extends it
		}
		latin = isLatin(r)
		if n > displayWidth {
			out.WriteString("…")
			break
		}
		out.WriteRune(r)
	}
	return out.String()
}

// display returns what the phone shows of a template message of content
// with data: each shown field's value by key, and the template's lines
// that hold a shown field, with the values in place.
func display(content string, data map[string]string) (fields map[string]string, lines []string) {
	fields = make(map[string]string, len(data))
	for k, v := range data {
		if !hiddenField(k) {
			fields[k] = displayValue(v)
		}
	}
	for _, line := range strings.Split(content, "\n") {
		ms := placeholderRE.FindAllStringSubmatch(line, -1)
		shown := len(ms) > 0
		for _, m := range ms {
			shown = shown && !hiddenField(m[1])
		}
		if !shown {
			continue
		}
		lines = append(lines, strings.TrimSpace(placeholderRE.ReplaceAllStringFunc(line, func(p string) string {
			return fields[placeholderRE.FindStringSubmatch(p)[1]]
		})))
	}
	return fields, lines
}

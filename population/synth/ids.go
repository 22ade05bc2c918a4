package synth

import (
	"math/bits"

	"github.com/gridcast/gridcast/pii"
)

// The ID-number space of one group of birthplaces. A resident's key (area,
// day of the birth year, sequence) is a bijection of a per-gender counter, so
// two residents of the same gender never share all three; residents of
// different genders differ in the sequence's parity. The birth year is free,
// chosen by the age pyramid.
const (
	daysPerYear  = 365 // 29 February is never a generated birthday
	seqPerGender = 500 // 3-digit sequences of one parity
	keysPerArea  = daysPerYear * seqPerGender
	idMultiplier = 2147483647 // prime, larger than any space: coprime to it
)

// idSpace enumerates the unique (area, day, sequence) keys of a set of
// birthplace codes.
type idSpace struct {
	areas []string // 6-digit area codes
	m     uint64   // len(areas) * keysPerArea
	b     uint64   // offset derived from the seed
	salt  uint64
}

func newIDSpace(areas []string, seed uint64) idSpace {
	m := uint64(len(areas)) * keysPerArea
	return idSpace{areas: areas, m: m, b: mix64(seed) % m, salt: mix64(seed ^ 0x1d)}
}

// key maps counter c < s.m to a distinct key.
func (s idSpace) key(c uint64) (area string, day, seq int) {
	x := (idMultiplier*c + s.b) % s.m
	q, r := x/daysPerYear, x%daysPerYear
	day = int((r + mix64(q^s.salt)%daysPerYear) % daysPerYear)
	return s.areas[q/seqPerGender], day, int(q % seqPerGender)
}

// monthStarts[m] is the day of a non-leap year on which month m+1 starts.
var monthStarts = [13]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}

// monthDay turns a day of a non-leap year (0-based) into month and day.
func monthDay(day int) (month, dom int) {
	m := 0
	for monthStarts[m+1] <= day {
		m++
	}
	return m + 1, day - monthStarts[m] + 1
}

// idNumber assembles an 18-character ID number: area, birth date, a 3-digit
// sequence whose last digit is odd for men, and the check digit.
func idNumber(area string, year, month, dom, seq int, male bool) pii.IDNumber {
	var b [18]byte
	copy(b[:6], area)
	putDigits(b[6:10], year)
	putDigits(b[10:12], month)
	putDigits(b[12:14], dom)
	n := 2 * seq
	if male {
		n++
	}
	putDigits(b[14:17], n)
	b[17] = pii.CheckDigit(string(b[:17]))
	return pii.IDNumber(b[:])
}

// putDigits writes n into dst as zero-padded decimal digits.
func putDigits(dst []byte, n int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
}

// phoneMultiplier is prime, so it is coprime to len(phonePrefixes) * 10^8.
const phoneMultiplier = 2654435761

// phoneSpace enumerates distinct mobile numbers: number i is a bijection of i
// over every prefix and 8-digit subscriber part.
type phoneSpace struct {
	m, b uint64
}

func newPhoneSpace(seed uint64) phoneSpace {
	m := uint64(len(phonePrefixes)) * 100_000_000
	return phoneSpace{m: m, b: mix64(seed^0x9e) % m}
}

// phone returns the i-th number; distinct i < m give distinct numbers.
func (s phoneSpace) phone(i uint64) pii.Phone {
	hi, lo := bits.Mul64(phoneMultiplier, i)
	x := (bits.Rem64(hi, lo, s.m) + s.b) % s.m
	var b [11]byte
	copy(b[:3], phonePrefixes[x/100_000_000])
	putDigits(b[3:], int(x%100_000_000))
	return pii.Phone(b[:])
}

// openIDAlphabet is the URL-safe base64 alphabet WeChat openids use.
const openIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// openIDSpace makes openids for one official account: "o", a 5-character
// account prefix shared by every openid of the account, then 22 characters
// of which the first 11 encode a bijection of the holder's index.
type openIDSpace struct {
	prefix [6]byte
	k1, k2 uint64
}

func newOpenIDSpace(seed uint64) openIDSpace {
	s := openIDSpace{k1: mix64(seed ^ 0x0a), k2: mix64(seed ^ 0x0b)}
	s.prefix[0] = 'o'
	p := mix64(seed ^ 0x0c)
	for i := 1; i < 6; i++ {
		s.prefix[i] = openIDAlphabet[p&63]
		p >>= 6
	}
	return s
}

// openID returns the openid of holder i; distinct i give distinct openids.
func (s openIDSpace) openID(i uint64) pii.OpenID {
	var b [28]byte
	copy(b[:6], s.prefix[:])
	put64(b[6:17], mix64(i^s.k1))
	put64(b[17:28], mix64(i+s.k2))
	return pii.OpenID(b[:])
}

// put64 writes the 64 bits of v as 11 base64 characters.
func put64(dst []byte, v uint64) {
	for i := range dst {
		dst[i] = openIDAlphabet[v&63]
		v >>= 6
	}
}

// mix64 is the SplitMix64 finalizer: a bijection of uint64 that scatters
// neighbouring inputs.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

package aliyunsms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// percentEncode is the encoding of Aliyun's signature v1: every byte but
// A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex). It equals url.QueryEscape
// followed by + → %20, * → %2A, %7E → ~, which is how the SDK does it.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// stringToSign builds METHOD&%2F&encode(canonical), where canonical is every
// parameter but Signature, sorted by name, as encode(k)=encode(v) joined by
// &. A repeated parameter counts with its first value, as the server reads
// it.
func stringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var canon strings.Builder
	for i, k := range keys {
		if i > 0 {
			canon.WriteByte('&')
		}
		canon.WriteString(percentEncode(k))
		canon.WriteByte('=')
		canon.WriteString(percentEncode(params.Get(k)))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(canon.String())
}

// signature is base64(HMAC-SHA1(secret + "&", stringToSign)).
func signature(secret, sts string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

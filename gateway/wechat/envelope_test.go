package wechat

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdkutil "github.com/silenceper/wechat/v2/util"
)

func ExampleSignature() {
	// SHA-1 of the sorted, concatenated "1409304348", "token", "xxxxxx".
	fmt.Println(Signature("token", "1409304348", "xxxxxx"))
	fmt.Println(VerifySignature(Signature("token", "1409304348", "xxxxxx"), "token", "1409304348", "xxxxxx"))
	// Output:
	// f43b4a6571a6552356f482636e5a77e7fa33dcc9
	// true
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 11, 12, 13, 44, 1000} {
		msg := bytes.Repeat([]byte("x"), n)
		enc, err := Encrypt(testAESKey, testAppID, msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(raw)%32 != 0 {
			t.Errorf("len %d: ciphertext %d bytes, not a multiple of 32", n, len(raw))
		}
		got, err := Decrypt(testAESKey, testAppID, enc)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("len %d: Decrypt = %q, %v", n, got, err)
		}
		if _, err := Decrypt(testAESKey, "wxother", enc); !errors.Is(err, ErrAppID) {
			t.Errorf("other AppID: %v, want ErrAppID", err)
		}
	}
}

// TestEnvelopeMatchesSDK checks our implementation against silenceper's in
// both directions, with a fixed random prefix so the ciphertexts are equal.
func TestEnvelopeMatchesSDK(t *testing.T) {
	t.Parallel()
	random := []byte("0123456789abcdef")
	msg := []byte(textXML)
	ours, err := Encrypt(testAESKey, testAppID, msg, random)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := sdkutil.EncryptMsg(random, msg, testAppID, testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(theirs), ours); diff != "" {
		t.Errorf("ciphertext (-sdk +ours):\n%s", diff)
	}
	_, back, err := sdkutil.DecryptMsg(testAppID, ours, testAESKey)
	if err != nil || !bytes.Equal(back, msg) {
		t.Errorf("SDK decrypting ours: %q, %v", back, err)
	}
	if sdk := sdkutil.Signature("token", "1409304348", "xxxxxx", "enc"); sdk != Signature("token", "1409304348", "xxxxxx", "enc") {
		t.Errorf("signature differs from the SDK's: %s", sdk)
	}
}

func TestDecryptRejects(t *testing.T) {
	t.Parallel()
	good, _ := Encrypt(testAESKey, testAppID, []byte("<xml/>"), nil)
	raw, _ := base64.StdEncoding.DecodeString(good)
	tests := map[string]struct {
		key, b64 string
		want     error
	}{
		"short key":     {"abc", good, ErrAESKey},
		"not base64":    {testAESKey, "!!!", ErrEnvelope},
		"empty":         {testAESKey, "", ErrEnvelope},
		"not blocks":    {testAESKey, base64.StdEncoding.EncodeToString(raw[:17]), ErrEnvelope},
		"truncated":     {testAESKey, base64.StdEncoding.EncodeToString(raw[:16]), ErrEnvelope},
		"other key":     {strings.Repeat("A", 43), good, ErrEnvelope},
		"tampered tail": {testAESKey, base64.StdEncoding.EncodeToString(append(bytes.Clone(raw[:len(raw)-1]), raw[len(raw)-1]^1)), ErrEnvelope},
	}
	for name, tt := range tests {
		if _, err := Decrypt(tt.key, testAppID, tt.b64); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
	if _, err := Encrypt(testAESKey, testAppID, nil, []byte("short")); err == nil {
		t.Error("Encrypt with a 5-byte random prefix: no error")
	}
}

func FuzzDecrypt(f *testing.F) {
	good, _ := Encrypt(testAESKey, testAppID, []byte(textXML), nil)
	f.Add(good)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, b64 string) {
		out, err := Decrypt(testAESKey, testAppID, b64)
		if err == nil {
			// Whatever decrypts must re-encrypt to something that decrypts
			// to the same bytes.
			enc, err := Encrypt(testAESKey, testAppID, out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := Decrypt(testAESKey, testAppID, enc); err != nil || !bytes.Equal(back, out) {
				t.Fatalf("round trip: %q, %v", back, err)
			}
		}
	})
}

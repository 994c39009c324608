package tc3_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dtsreset/internal/emulator/tc3"
)

// This file signs requests with its own TC3-HMAC-SHA256 implementation, written from the published
// algorithm (and checked below against the document's worked example), so that Verify is tested against a
// signer that shares no code with the tc3 package.

const (
	fuzzService  = "dts"
	fuzzSecretID = "AKIDfuzz0123456789"
	fuzzKey      = "fuzz-secret-key-0123456789"
)

func fuzzSHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func fuzzHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// canonicalRequest is step 1 of the algorithm for r with body: method, path "/", the query string, each
// signed header as lowercase "name:value" with the value trimmed and lowercased (host is the Host the
// request was sent with), the signed header list, and the hex SHA-256 of the payload (of the literal
// UNSIGNED-PAYLOAD when X-TC-Content-SHA256 says so).
func canonicalRequest(r *http.Request, body []byte, signedHeaders string) string {
	var headers strings.Builder
	for _, name := range strings.Split(signedHeaders, ";") {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		headers.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	payload := fuzzSHA256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payload = fuzzSHA256Hex([]byte("UNSIGNED-PAYLOAD"))
	}
	return r.Method + "\n/\n" + r.URL.RawQuery + "\n" + headers.String() + "\n" + signedHeaders + "\n" + payload
}

// fuzzSign is steps 2-4: the string to sign, the derived key, the signature, as an Authorization value.
func fuzzSign(secretID, secretKey, service string, ts int64, canonical, signedHeaders string) string {
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + fuzzSHA256Hex([]byte(canonical))
	k := fuzzHMAC([]byte("TC3"+secretKey), date)
	k = fuzzHMAC(k, service)
	k = fuzzHMAC(k, "tc3_request")
	sig := hex.EncodeToString(fuzzHMAC(k, toSign))
	return "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + sig
}

// mutation is what FuzzVerify changes in a correctly signed request.
const (
	mutBody        = iota // edit the body
	mutHost               // replace the Host
	mutContentType        // replace Content-Type
	mutTimestamp          // replace X-TC-Timestamp with any text
	mutTimestampBy        // move X-TC-Timestamp by some seconds, keeping the signature
	mutAuthEdit           // edit the Authorization header
	mutAuthReplace        // replace the Authorization header
	mutQuery              // replace the query string
	mutMethod             // replace the method
	mutToken              // replace X-TC-Token
	mutAction             // replace X-TC-Action (signed or not, as the request chose)
	mutAddHeader          // add a header NAME:VALUE
	mutDelHeader          // delete a header
	mutClock              // move the server's clock
	mutOtherKey           // sign with another secret key
	mutOtherID            // sign with the right key under another SecretId
	mutCount
)

// edit changes b at pos: op 0 flips a bit, 1 inserts data, 2 deletes a byte, 3 overwrites with data.
func edit(b []byte, op uint8, pos uint16, data string) []byte {
	out := slices.Clone(b)
	i := 0
	if len(out) > 0 {
		i = int(pos) % len(out)
	}
	switch op % 4 {
	case 0:
		if len(out) > 0 {
			out[i] ^= 1 << (pos % 8)
		}
	case 1:
		out = slices.Insert(out, i, []byte(data)...)
	case 2:
		if len(out) > 0 {
			out = slices.Delete(out, i, i+1)
		}
	case 3:
		out = append(out[:i], append([]byte(data), out[min(i+len(data), len(out)):]...)...)
	}
	return out
}

// FuzzVerify: Verify never panics and accepts exactly the requests signed with the configured key.
// Each input builds a request (body, Host, Content-Type, query, session token, signed timestamp, whether
// X-TC-Action is signed and whether the payload is UNSIGNED-PAYLOAD) signed by this file's signer, and a
// server clock within MaxSkew of it: Verify must accept it and return its SecretId. Then one mutation is
// applied. The mutated request must be refused (with an AuthFailure code, the specific one where the
// mutation decides it) unless everything the signature covers is unchanged: the canonical request, the
// timestamp's value, the token, a clock still within 300 s, and the key and SecretId signing. When all that is
// unchanged and the Authorization header is untouched, it must still be accepted.
func FuzzVerify(f *testing.F) {
	// The signer reproduces the document's worked example (tc3_test.go checks tc3.Signature against it too).
	doc, _ := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", nil)
	doc.Header.Set("Content-Type", "application/json; charset=utf-8")
	docBody := []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)
	if got, want := fuzzSign("AKID", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", 1551113065, canonicalRequest(doc, docBody, "content-type;host"), "content-type;host"),
		"72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"; !strings.HasSuffix(got, "Signature="+want) {
		f.Fatalf("the test's signer does not reproduce the documented example: %s", got)
	}

	type seed struct {
		ts                 int64
		skew               int16
		body               []byte
		host, ctype, query string
		token              string
		signAction         bool
		unsigned           bool
		mut                uint8
		op                 uint8
		pos                uint16
		data               string
	}
	body := []byte(`{"SubscribeId":"subs-demo000001"}`)
	const host, ctype = "127.0.0.1:8080", "application/json; charset=utf-8"
	seeds := []seed{
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutBody, op: 0, pos: 3},
		{ts: 1700000000, skew: 300, body: body, host: host, ctype: ctype, mut: mutBody, op: 1, pos: 100, data: " "},
		{ts: 1700000000, skew: -300, body: body, host: "dts.tencentcloudapi.com", ctype: ctype, mut: mutHost, data: "DTS.tencentcloudapi.com "},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutHost, data: "127.0.0.1:8081"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutContentType, data: "application/json"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutContentType, data: "  Application/JSON; charset=utf-8 "},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutTimestamp, data: "1700000001"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutTimestamp, data: "+1700000000"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutTimestamp, data: ""},
		{ts: 1699919999, body: body, host: host, ctype: ctype, mut: mutTimestampBy, pos: 1}, // across midnight UTC
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutTimestampBy, pos: 0},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthEdit, op: 0, pos: 200},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthEdit, op: 1, pos: 16, data: " "},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthReplace, data: "TC3-HMAC-SHA256 Credential=AKIDfuzz0123456789/2023-11-14/dts/tc3_request, SignedHeaders=content-type;host, Signature=00"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthReplace, data: "TC3-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host;content-type, Signature=x, Signature=y"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthReplace, data: "TC3-HMAC-SHA256"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAuthReplace, data: ""},
		{ts: 1700000000, body: body, host: host, ctype: ctype, query: "a=1", mut: mutQuery, data: "a=2"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutMethod, data: "GET"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutMethod, data: "post"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, token: "tok", mut: mutToken, data: ""},
		{ts: 1700000000, body: body, host: host, ctype: ctype, token: "", mut: mutToken, data: "tok"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, token: "tok", mut: mutToken, data: "tok"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, signAction: true, mut: mutAction, data: "DeleteConsumerGroup"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, signAction: false, mut: mutAction, data: "DeleteConsumerGroup"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, unsigned: true, mut: mutBody, op: 3, pos: 5, data: "evil"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAddHeader, data: "X-TC-Content-SHA256:UNSIGNED-PAYLOAD"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutAddHeader, data: "content-type:text/plain"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutDelHeader, data: "Content-Type"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, unsigned: true, mut: mutDelHeader, data: "X-TC-Content-SHA256"},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutClock, pos: 301},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutClock, pos: 65535 - 300},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutOtherKey, data: fuzzKey + " "},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutOtherKey, data: fuzzKey},
		{ts: 1700000000, body: body, host: host, ctype: ctype, mut: mutOtherID, data: "AKIDother"},
		{ts: -1, body: nil, host: "", ctype: "", mut: mutBody, op: 1, data: "x"},
		{ts: 1 << 39, body: []byte("\xff\x00"), host: "h\n", ctype: "a\r\nb", query: "%zz&&=", mut: mutQuery, data: ""},
	}
	for _, s := range seeds {
		f.Add(s.ts, s.skew, s.body, s.host, s.ctype, s.query, s.token, s.signAction, s.unsigned, s.mut, s.op, s.pos, s.data)
	}

	f.Fuzz(func(t *testing.T, ts int64, skew int16, body []byte, host, ctype, query, token string,
		signAction, unsigned bool, mut, op uint8, pos uint16, data string) {
		ts %= 1 << 40
		now := time.Unix(ts+int64(skew)%301, 0) // within MaxSkew of the signature
		lookup := func(id string) (string, string, bool) { return fuzzKey, token, id == fuzzSecretID }

		signed := "content-type;host"
		if signAction {
			signed = "content-type;host;x-tc-action"
		}
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: query}, Host: host, Header: http.Header{}}
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("X-TC-Action", "DescribeConsumerGroups")
		r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
		if token != "" {
			r.Header.Set("X-TC-Token", token)
		}
		if unsigned {
			r.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
		}
		canonical := canonicalRequest(r, body, signed)
		r.Header.Set("Authorization", fuzzSign(fuzzSecretID, fuzzKey, fuzzService, ts, canonical, signed))

		id, err := tc3.Verify(r, body, fuzzService, lookup, now)
		if err != nil || id != fuzzSecretID {
			t.Fatalf("a correctly signed request: Verify = %q, %v", id, err)
		}

		// One mutation.
		m := r.Clone(r.Context())
		m.URL = &url.URL{Path: "/", RawQuery: query}
		mbody, mnow := body, now
		key, secretID := fuzzKey, fuzzSecretID
		resign := false
		switch mut % mutCount {
		case mutBody:
			mbody = edit(body, op, pos, data)
		case mutHost:
			m.Host = data
		case mutContentType:
			m.Header.Set("Content-Type", data)
		case mutTimestamp:
			m.Header.Set("X-TC-Timestamp", data)
		case mutTimestampBy:
			m.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts+int64(int16(pos)), 10))
		case mutAuthEdit:
			m.Header.Set("Authorization", string(edit([]byte(r.Header.Get("Authorization")), op, pos, data)))
		case mutAuthReplace:
			m.Header.Set("Authorization", data)
		case mutQuery:
			m.URL.RawQuery = data
		case mutMethod:
			m.Method = data
		case mutToken:
			m.Header.Set("X-TC-Token", data)
		case mutAction:
			m.Header.Set("X-TC-Action", data)
		case mutAddHeader:
			name, value, _ := strings.Cut(data, ":")
			m.Header.Add(name, value)
		case mutDelHeader:
			m.Header.Del(data)
		case mutClock:
			mnow = now.Add(time.Duration(int16(pos)) * time.Second)
		case mutOtherKey:
			key, resign = data, true
		case mutOtherID:
			secretID, resign = data, true
		}
		if resign {
			m.Header.Set("Authorization", fuzzSign(secretID, key, fuzzService, ts, canonical, signed))
		}

		id, err = tc3.Verify(m, mbody, fuzzService, lookup, mnow)

		// What the signature covers, judged on the mutated request with the signed header list of the original.
		mts, tsErr := strconv.ParseInt(m.Header.Get("X-TC-Timestamp"), 10, 64)
		skewed := mnow.Sub(time.Unix(ts, 0))
		covered := canonicalRequest(m, mbody, signed) == canonical &&
			tsErr == nil && mts == ts &&
			m.Header.Get("X-TC-Token") == token &&
			skewed <= 300*time.Second && skewed >= -300*time.Second &&
			key == fuzzKey && secretID == fuzzSecretID
		authUntouched := m.Header.Get("Authorization") == r.Header.Get("Authorization")

		if err == nil {
			if !covered {
				t.Fatalf("accepted a request changed by mutation %d outside what was signed (canonical request\n%q\nwas\n%q)", mut%mutCount, canonicalRequest(m, mbody, signed), canonical)
			}
			if id != fuzzSecretID {
				t.Fatalf("accepted as %q, signed by %q", id, fuzzSecretID)
			}
			return
		}
		var te *tc3.Error
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T) is not a *tc3.Error", err, err)
		}
		if !slices.Contains([]string{"AuthFailure.InvalidAuthorization", "AuthFailure.SignatureExpire", "AuthFailure.SecretIdNotFound",
			"AuthFailure.TokenFailure", "AuthFailure.SignatureFailure"}, te.Code) {
			t.Fatalf("code %q is not an AuthFailure of the API: %v", te.Code, err)
		}
		if covered && authUntouched {
			t.Fatalf("refused a request whose signed content is unchanged (mutation %d): %v", mut%mutCount, err)
		}
		// Where the mutation alone decides the outcome, the code says why.
		var want string
		switch mut % mutCount {
		case mutBody, mutHost, mutContentType, mutQuery, mutMethod, mutOtherKey:
			if authUntouched || mut%mutCount == mutOtherKey {
				want = "AuthFailure.SignatureFailure"
			}
		case mutClock:
			want = "AuthFailure.SignatureExpire"
		case mutToken:
			want = "AuthFailure.TokenFailure"
		case mutOtherID:
			if !strings.ContainsAny(secretID, "/,") { // those would break the header's syntax instead
				want = "AuthFailure.SecretIdNotFound"
			}
		}
		if want != "" && te.Code != want {
			t.Fatalf("mutation %d: got %v, want %s", mut%mutCount, err, want)
		}
	})
}

// Package tc3 signs and verifies TencentCloud API 3.0 requests (TC3-HMAC-SHA256).
//
// It is the emulator's gatekeeper, written from the published algorithm and not from any SDK, so a signing bug
// in a client shows up as an AuthFailure here instead of being reproduced. The Host that counts is the Host
// header as sent: the Go SDK signs host:port, other SDKs sign a production host name while the connection goes
// to loopback; both verify.
package tc3

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signature algorithm the API accepts in the Authorization header.
const Algorithm = "TC3-HMAC-SHA256"

// MaxSkew is how far X-TC-Timestamp may be from the server's clock.
const MaxSkew = 300 * time.Second

// Lookup returns the secret key and the session token (empty for permanent keys) of a SecretId.
type Lookup func(secretID string) (secretKey, token string, ok bool)

// Error is a verification failure carrying the API's error code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Verify checks the Authorization header of r, whose body is body, for the given service. It returns the
// SecretId that signed it.
func Verify(r *http.Request, body []byte, service string, lookup Lookup, now time.Time) (string, error) {
	a, err := parseAuthorization(r.Header.Get("Authorization"), service)
	if err != nil {
		return "", err
	}
	ts, err := checkTimestamp(r.Header.Get("X-TC-Timestamp"), a.date, now)
	if err != nil {
		return "", err
	}
	secretKey, token, ok := lookup(a.secretID)
	if !ok {
		return "", fail("AuthFailure.SecretIdNotFound", "the SecretId is not found")
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-TC-Token")), []byte(token)) != 1 {
		return "", fail("AuthFailure.TokenFailure", "the session token is invalid or missing")
	}
	names := strings.Split(a.signedHeaders, ";")
	if !sort.StringsAreSorted(names) || !contains(names, "content-type") || !contains(names, "host") {
		return "", fail("AuthFailure.InvalidAuthorization", "SignedHeaders must be sorted and include content-type and host")
	}
	payloadHash := sha256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payloadHash = sha256Hex([]byte("UNSIGNED-PAYLOAD"))
	}
	want := Signature(secretKey, service, ts, r.Method, r.URL.RawQuery, canonicalHeaders(r, names), a.signedHeaders, payloadHash)
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return "", fail("AuthFailure.SignatureFailure", "the request signature does not match")
	}
	return a.secretID, nil
}

// authorization is the parsed Authorization header.
type authorization struct {
	secretID, date, signedHeaders, signature string
}

func parseAuthorization(auth, service string) (authorization, error) {
	if auth == "" {
		return authorization{}, fail("AuthFailure.InvalidAuthorization", "the Authorization header is missing")
	}
	alg, rest, ok := strings.Cut(auth, " ")
	if !ok || alg != Algorithm {
		return authorization{}, fail("AuthFailure.InvalidAuthorization", "the Authorization header must start with %s", Algorithm)
	}
	var a authorization
	var credential string
	// Exactly the three parts the SDK writes, each once: a lenient parser would let a secret ID with a comma
	// in it smuggle a second Credential past the check of which ID signed.
	parts := strings.Split(rest, ",")
	for _, part := range parts {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		var field *string
		switch k {
		case "Credential":
			field = &credential
		case "SignedHeaders":
			field = &a.signedHeaders
		case "Signature":
			field = &a.signature
		}
		if field == nil || *field != "" || len(parts) != 3 {
			return authorization{}, fail("AuthFailure.InvalidAuthorization", "the Authorization header is malformed")
		}
		*field = v
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 4 || a.signedHeaders == "" || a.signature == "" {
		return authorization{}, fail("AuthFailure.InvalidAuthorization", "the Authorization header is malformed")
	}
	if scope[2] != service || scope[3] != "tc3_request" {
		return authorization{}, fail("AuthFailure.InvalidAuthorization", "the credential scope must be <date>/%s/tc3_request", service)
	}
	a.secretID, a.date = scope[0], scope[1]
	return a, nil
}

// checkTimestamp parses X-TC-Timestamp and checks it against now (MaxSkew) and the credential's date.
func checkTimestamp(header, date string, now time.Time) (int64, error) {
	ts, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		return 0, fail("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not a Unix time")
	}
	signedAt := time.Unix(ts, 0)
	if d := now.Sub(signedAt); d > MaxSkew || d < -MaxSkew {
		return 0, fail("AuthFailure.SignatureExpire", "the request was signed at %s, more than %s from the server time", signedAt.UTC().Format(time.RFC3339), MaxSkew)
	}
	if want := signedAt.UTC().Format("2006-01-02"); date != want {
		return 0, fail("AuthFailure.InvalidAuthorization", "the credential date %s does not match X-TC-Timestamp (%s)", date, want)
	}
	return ts, nil
}

// Signature computes the hex signature from the parts of the canonical request. canonicalHeaders is the
// newline-terminated `name:value` block; payloadHash is hex(sha256(body)).
func Signature(secretKey, service string, timestamp int64, method, query, canonicalHeaders, signedHeaders, payloadHash string) string {
	canonical := strings.Join([]string{method, "/", query, canonicalHeaders, signedHeaders, payloadHash}, "\n")
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	toSign := strings.Join([]string{Algorithm, strconv.FormatInt(timestamp, 10), date + "/" + service + "/tc3_request", sha256Hex([]byte(canonical))}, "\n")
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

// Authorization builds a complete Authorization header value, for tests and for clients without an SDK.
func Authorization(secretID, secretKey, service string, timestamp int64, method, query, canonicalHeaders, signedHeaders, payloadHash string) string {
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	return fmt.Sprintf("%s Credential=%s/%s/%s/tc3_request, SignedHeaders=%s, Signature=%s", Algorithm, secretID, date, service,
		signedHeaders, Signature(secretKey, service, timestamp, method, query, canonicalHeaders, signedHeaders, payloadHash))
}

func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		value := r.Header.Get(name)
		if name == "host" {
			value = r.Host
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.ToLower(strings.TrimSpace(value)))
		b.WriteByte('\n')
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

package dts

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"dtsreset/internal/emulator/tc3"
)

// stsSeen is one AssumeRole request as the STS stand-in received it.
type stsSeen struct {
	Action, Version, SecretID, Token string
	Verified                         bool
	Body                             AssumeRoleRequest
}

// fakeSTS is a local STS stand-in. It verifies the TC3 signature of every request against the base keys it
// knows (the execution role's, session token included), so a client that signed with the wrong keys, or with
// keys from an earlier invocation, is refused as STS would refuse it. It answers AssumeRole of roleARN with
// numbered temporary keys (AKIDassumed1, key-assumed1, token-assumed1, then 2, ...) valid for the asked
// DurationSeconds (or lifetime, when set) from clock, the client's injected clock.
type fakeSTS struct {
	roleARN string
	clock   *atomic.Int64 // Unix seconds

	mu       sync.Mutex
	keys     map[string][2]string // SecretId -> SecretKey, token
	reqs     []stsSeen
	lifetime time.Duration // when set, overrides DurationSeconds in the reply
	// fault, when set, may answer instead: it gets the 1-based request number and returns true if it answered.
	fault func(n int, w http.ResponseWriter, r *http.Request) bool
}

// newMemorySTS is the stand-in without a server: its serve method answers through a memoryTransport.
func newMemorySTS(roleARN string, clock *atomic.Int64) *fakeSTS {
	return &fakeSTS{roleARN: roleARN, clock: clock, keys: map[string][2]string{}}
}

// assumedKeys are the temporary keys the stand-in hands out in its first n answers, for fakeDTS.setKeys.
func assumedKeys(n int) map[string][2]string {
	keys := map[string][2]string{}
	for i := 1; i <= n; i++ {
		keys[fmt.Sprintf("AKIDassumed%d", i)] = [2]string{fmt.Sprintf("key-assumed%d", i), fmt.Sprintf("token-assumed%d", i)}
	}
	return keys
}

func (s *fakeSTS) setKeys(keys map[string][2]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *fakeSTS) setFault(fault func(n int, w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fault
}

func (s *fakeSTS) requests() []stsSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stsSeen(nil), s.reqs...)
}

func (s *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	seen := stsSeen{Action: r.Header.Get("X-TC-Action"), Version: r.Header.Get("X-TC-Version"),
		Token: r.Header.Get("X-TC-Token")}
	_ = json.Unmarshal(body, &seen.Body)

	s.mu.Lock()
	keys := s.keys
	// The SDK signs with the real clock, whatever the client's injected one says.
	id, verr := tc3.Verify(r, body, "sts", func(id string) (string, string, bool) {
		k, ok := keys[id]
		return k[0], k[1], ok
	}, time.Now())
	seen.SecretID, seen.Verified = id, verr == nil
	s.reqs = append(s.reqs, seen)
	n, fault, lifetime := len(s.reqs), s.fault, s.lifetime
	s.mu.Unlock()

	requestID := fmt.Sprintf("sts-req-%d", n)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case verr != nil:
		e := verr.(*tc3.Error)
		io.WriteString(w, errorReply(e.Code, e.Message, requestID))
		return
	case fault != nil && fault(n, w, r):
		return
	case seen.Action != "AssumeRole" || seen.Version != "2018-08-13":
		io.WriteString(w, errorReply("InvalidAction", "unknown action or version", requestID))
		return
	case seen.Body.RoleArn != s.roleARN:
		io.WriteString(w, errorReply("InvalidParameter.RoleNotExist", "role not exist", requestID))
		return
	}
	if lifetime == 0 {
		lifetime = time.Duration(seen.Body.DurationSeconds) * time.Second
	}
	expires := time.Unix(s.clock.Load(), 0).Add(lifetime)
	fmt.Fprintf(w, `{"Response":{"Credentials":{"Token":"token-assumed%d","TmpSecretId":"AKIDassumed%d",`+
		`"TmpSecretKey":"key-assumed%d"},"ExpiredTime":%d,"Expiration":%q,"RequestId":%q}}`,
		n, n, n, expires.Unix(), expires.UTC().Format(time.RFC3339), requestID)
}

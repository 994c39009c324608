package dts

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"dtsreset/internal/reset"
)

// invocation returns a ctx carrying the execution role's keys of one invocation, as main hands them down.
func invocation(t *testing.T, id, key, token string) context.Context {
	t.Helper()
	return WithInvocationCredentials(ctxTimeout(t, 5*time.Second),
		map[string]string{EnvSCFSecretID: id, EnvSCFSecretKey: key, EnvSCFSessionToken: token})
}

// TestRoleCacheDroppedWhenDTSRefusesIt is the regression test of the STS cache that was never dropped (issue
// 12, item 2): DTS refuses the cached role keys (revoked) long before their refresh time, while SCF has
// rotated the execution role's keys. The call must drop the cache, assume the role again with the
// invocation's fresh base keys and succeed, instead of failing for ~48 minutes.
func TestRoleCacheDroppedWhenDTSRefusesIt(t *testing.T) {
	sts, f, c, _ := newRoleTest(t)
	if _, err := c.DescribeSubscribeDetail(invocation(t, "AKIDbase1", "key-base1", "token-base1"), "", "subs-abc123"); err != nil {
		t.Fatalf("first call: %v", err)
	}
	// The role's first keys are revoked; SCF hands the next invocation new base keys (the old ones are gone).
	f.setKeys(map[string][2]string{"AKIDassumed2": {"key-assumed2", "token-assumed2"}})
	sts.setKeys(map[string][2]string{"AKIDbase2": {"key-base2", "token-base2"}})
	before := len(f.requests())

	if _, err := c.DescribeSubscribeDetail(invocation(t, "AKIDbase2", "key-base2", "token-base2"), "", "subs-abc123"); err != nil {
		t.Fatalf("call after DTS refused the cached keys: got %v, want success", err)
	}
	reqs := sts.requests()
	if len(reqs) != 2 || !reqs[1].Verified || reqs[1].SecretID != "AKIDbase2" || reqs[1].Token != "token-base2" {
		t.Fatalf("STS requests: got %+v, want a second AssumeRole signed with the invocation's AKIDbase2", reqs)
	}
	dts := f.requests()[before:]
	if len(dts) != 2 || dts[0].Token != "token-assumed1" || dts[0].Verified ||
		dts[1].SecretID != "AKIDassumed2" || !dts[1].Verified {
		t.Errorf("DTS requests: got %+v, want the refused AKIDassumed1 then the renewed AKIDassumed2", dts)
	}
	// The renewed keys are cached: the next call signs with them without STS.
	if _, err := c.DescribeSubscribeDetail(invocation(t, "AKIDbase2", "key-base2", "token-base2"), "", "subs-abc123"); err != nil {
		t.Fatal(err)
	}
	if n := len(sts.requests()); n != 2 {
		t.Errorf("got %d STS requests after the renewal, want 2", n)
	}
}

// TestRoleCacheRenewedOnceOnly: when DTS refuses the renewed keys too, the call fails with DTS's AuthFailure
// after exactly one renewal (no loop), saying the function's role is wrong.
func TestRoleCacheRenewedOnceOnly(t *testing.T) {
	sts, f, c, _ := newRoleTest(t)
	f.setKeys(map[string][2]string{}) // DTS refuses every key
	_, err := c.DescribeSubscribeDetail(invocation(t, "AKIDbase1", "key-base1", "token-base1"), "", "subs-abc123")
	e := reset.AsError(err)
	if e.Kind != reset.KindUpstream || !strings.HasPrefix(e.Code, "AuthFailure") || !strings.Contains(e.Message, "execution role") {
		t.Errorf("got %v (kind %v), want an upstream AuthFailure about the execution role", err, e.Kind)
	}
	if n, m := len(sts.requests()), len(f.requests()); n != 2 || m != 2 {
		t.Errorf("got %d STS and %d DTS requests, want 2 and 2 (one renewal, one more attempt)", n, m)
	}
}

// TestRoleCacheRenewalShared: the concurrent calls of one reset, all refused with the same cached keys, share
// one new AssumeRole.
func TestRoleCacheRenewalShared(t *testing.T) {
	sts, f, c, _ := newRoleTest(t)
	ctx := invocation(t, "AKIDbase1", "key-base1", "token-base1")
	if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
		t.Fatal(err)
	}
	keys := assumedKeys(3)
	delete(keys, "AKIDassumed1") // revoked
	f.setKeys(keys)
	// The four calls are refused with the stale keys together: each waits at DTS until all four are there,
	// so none can start after another's renewal.
	arrived, all := 0, make(chan struct{})
	f.mu.Lock()
	f.gate = func(s seen, r *http.Request) {
		if s.Token != "token-assumed1" {
			return
		}
		f.mu.Lock()
		if arrived++; arrived == 4 {
			close(all)
		}
		f.mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
		}
	}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.DescribeSubscribeDetail(ctx, "", "subs-abc123"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(sts.requests()); n != 2 {
		t.Errorf("got %d STS requests for 4 calls refused together, want 2 (one renewal)", n)
	}
	refused := 0
	for _, r := range f.requests() {
		if r.Token == "token-assumed1" && !r.Verified {
			refused++
		}
	}
	if refused != 4 {
		t.Errorf("%d calls were refused with the stale keys, want 4", refused)
	}
}

// TestAuthFailureWithoutRoleNotRetried: without DTS_ROLE_ARN there is no cache to drop; DTS refusing the
// execution role's own keys fails at once.
func TestAuthFailureWithoutRoleNotRetried(t *testing.T) {
	f := newFakeDTS(t)
	f.setKeys(map[string][2]string{})
	c := newTestClient(t, f, Options{})
	_, err := c.DescribeSubscribeDetail(ctxTimeout(t, 5*time.Second), "", "subs-abc123")
	if e := reset.AsError(err); !strings.HasPrefix(e.Code, "AuthFailure") {
		t.Errorf("got %v, want AuthFailure", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

package dts

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"dtsreset/internal/reset"
)

// CredentialSource yields the credentials to sign one call with. It is asked on every call, never cached by
// the client, because SCF rotates the execution role's temporary keys between invocations.
type CredentialSource interface {
	Credential(ctx context.Context) (common.CredentialIface, error)
}

// CredentialFunc adapts a function to CredentialSource (tests use it to rotate keys).
type CredentialFunc func(ctx context.Context) (common.CredentialIface, error)

// Credential calls f.
func (f CredentialFunc) Credential(ctx context.Context) (common.CredentialIface, error) {
	return f(ctx)
}

// The environment variables EnvCredentials reads.
const (
	EnvSCFSecretID     = "TENCENTCLOUD_SECRETID"     // set by SCF for the execution role
	EnvSCFSecretKey    = "TENCENTCLOUD_SECRETKEY"    // set by SCF for the execution role
	EnvSCFSessionToken = "TENCENTCLOUD_SESSIONTOKEN" // set by SCF for the execution role
	EnvSDKSecretID     = "TENCENTCLOUD_SECRET_ID"    // the SDK's own name, for local runs
	EnvSDKSecretKey    = "TENCENTCLOUD_SECRET_KEY"   // the SDK's own name, for local runs
)

// EnvCredentials is the default source. On each call it reads, in order:
//  1. TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN, the execution role's
//     temporary keys, which scf-go-lib applies with os.Setenv before each invocation (so they must be read
//     again every time: a cached copy expires);
//  2. TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, the SDK's names, for local runs;
//  3. the SDK's provider chain (profile file, CVM role), bounded by ctx because the CVM provider does an HTTP
//     request without a timeout.
//
// This is the one place below main that reads the environment.
func EnvCredentials() CredentialSource {
	return CredentialFunc(func(ctx context.Context) (common.CredentialIface, error) {
		if id, key := os.Getenv(EnvSCFSecretID), os.Getenv(EnvSCFSecretKey); id != "" && key != "" {
			return common.NewTokenCredential(id, key, os.Getenv(EnvSCFSessionToken)), nil
		}
		if id, key := os.Getenv(EnvSDKSecretID), os.Getenv(EnvSDKSecretKey); id != "" && key != "" {
			return common.NewCredential(id, key), nil
		}
		return providerCredential(ctx, common.DefaultProviderChain())
	})
}

// providerCredential asks an SDK provider, which takes no ctx, without letting it outlive ctx. A provider
// that finishes late is left to finish on its own goroutine; its answer is dropped.
func providerCredential(ctx context.Context, p common.Provider) (common.CredentialIface, error) {
	type answer struct {
		cred common.CredentialIface
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		cred, err := p.GetCredential()
		ch <- answer{cred, err}
	}()
	select {
	case a := <-ch:
		return a.cred, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// credentialError maps a failure to obtain credentials. It is an upstream kind (HTTP 502): the function is
// deployed without a usable execution role, which only the operator can fix.
func credentialError(err error) *reset.Error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &reset.Error{Kind: reset.KindTimeout, Code: reset.CodeDeadlineExceeded,
			Message: "the invocation deadline passed while looking for credentials", Err: err}
	}
	return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamAuth,
		Message: "no credentials are available to the function: give it an execution role (SCF then sets " +
			EnvSCFSecretID + ", " + EnvSCFSecretKey + " and " + EnvSCFSessionToken + ") or, for a local run, set " +
			EnvSDKSecretID + " and " + EnvSDKSecretKey,
		Err: err}
}

// roleCredentials assumes a CAM role (DTS_ROLE_ARN) with the base credentials, for resets in another account.
// The assumed keys are cached until shortly before they expire: an STS round trip per call would double the
// latency and the base keys' own rotation does not invalidate them. Refreshing signs with the base keys of
// the current invocation, which are the fresh ones.
type roleCredentials struct {
	base     CredentialSource
	roleARN  string
	duration time.Duration
	now      func() time.Time
	// assume calls STS AssumeRole; replaced in tests.
	assume func(base common.CredentialIface, roleARN, session string, duration time.Duration) (common.CredentialIface, error)

	mu      sync.Mutex
	cached  common.CredentialIface
	refresh time.Time // when to assume again
}

const roleDuration = time.Hour

func newRoleCredentials(base CredentialSource, roleARN string) *roleCredentials {
	return &roleCredentials{base: base, roleARN: roleARN, duration: roleDuration, now: time.Now, assume: assumeRole}
}

func (r *roleCredentials) Credential(ctx context.Context) (common.CredentialIface, error) {
	now := r.now()
	r.mu.Lock()
	cached, fresh := r.cached, now.Before(r.refresh)
	r.mu.Unlock()
	if cached != nil && fresh {
		return cached, nil
	}
	base, err := r.base.Credential(ctx)
	if err != nil {
		return nil, err
	}
	session := "dtsreset-" + strconv.FormatInt(now.Unix(), 10)
	type answer struct {
		cred common.CredentialIface
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		// The SDK's STS call takes no ctx; a late answer is still cached for the next invocation.
		cred, err := r.assume(base, r.roleARN, session, r.duration)
		if err == nil {
			r.mu.Lock()
			// Refresh at 80% of the lifetime, so a call never signs with keys about to expire.
			r.cached, r.refresh = cred, now.Add(r.duration*8/10)
			r.mu.Unlock()
		}
		ch <- answer{cred, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, &roleError{roleARN: r.roleARN, err: a.err}
		}
		return a.cred, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// assumeRole calls STS AssumeRole through the SDK and returns static keys: the SDK's RoleArnCredential would
// otherwise refresh itself lazily inside signing, with an STS call that ignores ctx.
func assumeRole(base common.CredentialIface, roleARN, session string, duration time.Duration) (common.CredentialIface, error) {
	p := common.NewRoleArnProviderWithCredential(base, roleARN, session, int64(duration/time.Second))
	cred, err := p.GetCredential()
	if err != nil {
		return nil, err
	}
	id, key, token := cred.GetCredential()
	return common.NewTokenCredential(id, key, token), nil
}

// roleError is a failed AssumeRole; Classify tells the operator which role could not be assumed.
type roleError struct {
	roleARN string
	err     error
}

func (e *roleError) Error() string { return "assume role " + e.roleARN + ": " + e.err.Error() }
func (e *roleError) Unwrap() error { return e.err }

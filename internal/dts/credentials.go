package dts

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"dtsreset/internal/reset"
)

// CredentialSource yields the credentials to sign one call with. It is asked on every call, never cached by
// the client, because SCF rotates the execution role's temporary keys between invocations; within one
// invocation it answers the same set every time (see WithInvocationCredentials).
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

// EnvCredentials is the default source. On each call it takes, in order:
//  1. the invocation's own set, when ctx carries one (WithInvocationCredentials): the one set every call of
//     that invocation signs with;
//  2. TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN from the process
//     environment, then TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (the SDK's names, for local runs),
//     for callers that take no snapshot (tools, tests); in the function the snapshot already holds them;
//  3. the SDK's provider chain (profile file, CVM role), bounded by ctx because the CVM provider does an HTTP
//     request without a timeout.
//
// This is the one place below main that reads the environment.
func EnvCredentials() CredentialSource {
	return CredentialFunc(func(ctx context.Context) (common.CredentialIface, error) {
		if cred, ok := ctx.Value(invocationKey{}).(common.CredentialIface); ok {
			return cred, nil
		}
		if cred := credentialIn(os.Getenv); cred != nil {
			return cred, nil
		}
		return providerCredential(ctx, common.DefaultProviderChain())
	})
}

// invocationKey is the ctx key of an invocation's credential snapshot.
type invocationKey struct{}

// WithInvocationCredentials returns ctx carrying the credentials of one invocation, read once, here: those in
// env (the invocation's own Environment map, scf-go-lib's functioncontext), else those in the process
// environment at this moment. Without either ctx is returned as it is and EnvCredentials asks the SDK's chain.
//
// Why a snapshot: scf-go-lib serves invocations concurrently and applies each one's Environment to the
// process with os.Setenv, key by key, so the process environment read during an invocation may hold another
// invocation's keys, or one's SecretId beside another's SecretKey and token (AuthFailure.SignatureFailure or
// TokenFailure). The invocation's own map is written once, before the handler runs, and never again.
func WithInvocationCredentials(ctx context.Context, env map[string]string) context.Context {
	cred := credentialIn(func(k string) string { return env[k] })
	if cred == nil {
		cred = credentialIn(os.Getenv)
	}
	if cred == nil {
		return ctx
	}
	return context.WithValue(ctx, invocationKey{}, cred)
}

// credentialIn reads a credential set through get: SCF's names (with the session token) first, then the
// SDK's; nil when neither has both a SecretId and a SecretKey.
func credentialIn(get func(string) string) common.CredentialIface {
	if id, key := get(EnvSCFSecretID), get(EnvSCFSecretKey); id != "" && key != "" {
		return common.NewTokenCredential(id, key, get(EnvSCFSessionToken))
	}
	if id, key := get(EnvSDKSecretID), get(EnvSDKSecretKey); id != "" && key != "" {
		return common.NewCredential(id, key)
	}
	return nil
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
	sts      *stsClient

	// lock serialises AssumeRole, so that the concurrent calls of one reset share a single STS round trip
	// instead of racing to make one each. It is a channel rather than a sync.Mutex so that waiting for it
	// honours ctx. It guards cached and refresh.
	lock    chan struct{}
	cached  common.CredentialIface
	refresh time.Time // when to assume again
}

// renew drops stale from the cache, if the cache still holds it, and answers Credential: the role assumed
// again with the base keys of ctx's invocation. When a concurrent call renewed the cache first, its keys are
// answered without another AssumeRole, so the calls of one reset that were all refused share one round trip.
func (r *roleCredentials) renew(ctx context.Context, stale common.CredentialIface) (common.CredentialIface, error) {
	select {
	case r.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.cached == stale {
		r.cached = nil
	}
	<-r.lock
	return r.Credential(ctx)
}

// roleDuration is the DurationSeconds asked of STS; the SDK's default is 2 h, one is plenty for a reset.
const roleDuration = time.Hour

func newRoleCredentials(base CredentialSource, roleARN string, sts *stsClient) *roleCredentials {
	return &roleCredentials{base: base, roleARN: roleARN, duration: roleDuration, now: time.Now, sts: sts,
		lock: make(chan struct{}, 1)}
}

func (r *roleCredentials) Credential(ctx context.Context) (common.CredentialIface, error) {
	select {
	case r.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.lock }()

	now := r.now()
	if r.cached != nil && now.Before(r.refresh) {
		return r.cached, nil
	}
	base, err := r.base.Credential(ctx)
	if err != nil {
		return nil, err
	}
	if base == nil {
		return nil, errors.New("the credential source returned none")
	}
	session := "dtsreset-" + strconv.FormatInt(now.Unix(), 10)
	cred, expires, err := r.sts.assumeRole(ctx, base, r.roleARN, session, r.duration)
	if err != nil {
		return nil, &roleError{roleARN: r.roleARN, err: err}
	}
	// Refresh at 80% of the lifetime, so that a call never signs with keys about to expire. The lifetime is
	// the one asked for unless STS reports a shorter one; keys that look expired already are used for this
	// call (STS just issued them: the clocks disagree) but not cached.
	lifetime := r.duration
	if !expires.IsZero() {
		lifetime = min(lifetime, expires.Sub(now))
	}
	r.cached, r.refresh = cred, now.Add(lifetime*8/10)
	return cred, nil
}

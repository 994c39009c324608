package dts

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"dtsreset/internal/reset"
)

// Defaults of Options.
const (
	DefaultEndpoint           = "dts.intl.tencentcloudapi.com"
	DefaultSTSEndpoint        = "sts.tencentcloudapi.com" // the SDK's RoleArnProvider's
	DefaultRateLimitPerSecond = 20                        // the API's own limit per action
	DefaultMaxAttempts        = 3
)

// Options configure a Client. main fills them once from the configuration.
type Options struct {
	// Region is used when a call's region is empty (DTS_REGION, else TENCENTCLOUD_REGION).
	Region string
	// Endpoint is a host ("dts.intl.tencentcloudapi.com", "host:port") or a URL ("http://127.0.0.1:9123" for
	// the emulator: HTTP, host:port kept). Default DefaultEndpoint over HTTPS.
	Endpoint string
	// Credentials are asked on every call. Default EnvCredentials().
	Credentials CredentialSource
	// RoleARN, when set, is a CAM role assumed (STS AssumeRole) with Credentials for every call, for resets in
	// another account. The assumed keys are cached until near expiry, or until DTS refuses them
	// (AuthFailure.*): then the role is assumed once more and the call retried once.
	RoleARN string
	// STSEndpoint is where RoleARN is assumed, in the same forms as Endpoint (a URL for a local stand-in).
	// Default DefaultSTSEndpoint over HTTPS.
	STSEndpoint string
	// RateLimitPerSecond is the API's limit per action; the client sends one call fewer in any window of a
	// second and limiterSlack, shared by every caller of this Client (one per process). Default
	// DefaultRateLimitPerSecond.
	RateLimitPerSecond int
	// MaxAttempts bounds our own attempts of one call for network failures, unreadable replies and
	// InternalError; the SDK's throttling retries come on top. Default DefaultMaxAttempts.
	MaxAttempts int
	// Logger gets debug lines about retries; never a secret. Default: none.
	Logger *slog.Logger
}

// Client implements reset.DTS. It is safe for concurrent use; create one per process so that its rate
// limiters and its connection pool are shared.
type Client struct {
	region      string
	host        string // host[:port], as the SDK's HttpProfile.Endpoint wants it
	scheme      string // "HTTPS" or "HTTP"
	creds       CredentialSource
	maxAttempts int
	log         *slog.Logger
	// transport is shared by the SDK clients of every call: they are built per call (credentials change per
	// invocation) but connections must survive them, or each call would pay a TCP and TLS handshake.
	transport http.RoundTripper
	limiters  map[string]*windowLimiter // one per action; the map is never written after NewClient
	rps       int                       // the API's limit per action, for messages

	// Retry tuning. Fields rather than constants so that tests can shrink the waits.
	backoff        func(attempt int, throttled bool) time.Duration // our wait after failed attempt n (1-based)
	sdkRetries     int                                             // the SDK's RequestLimitExceeded retries
	sdkBackoff     profile.DurationFunc                            // the SDK's wait before retry i (0-based)
	sdkBackoffMax  time.Duration                                   // upper bound of one sdkBackoff
	minAttempt     time.Duration                                   // never start an attempt with less time left
	defaultTimeout time.Duration                                   // per attempt, when ctx has no deadline
}

var _ reset.DTS = (*Client)(nil)

// NewClient checks opts and returns a Client. It makes no network call.
func NewClient(opts Options) (*Client, error) {
	host, scheme, err := endpointOr("endpoint", opts.Endpoint, DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	stsHost, stsScheme, err := endpointOr("STS endpoint", opts.STSEndpoint, DefaultSTSEndpoint)
	if err != nil {
		return nil, err
	}
	if opts.RateLimitPerSecond < 0 {
		return nil, fmt.Errorf("dts: RateLimitPerSecond %d is negative", opts.RateLimitPerSecond)
	}
	if opts.MaxAttempts < 0 {
		return nil, fmt.Errorf("dts: MaxAttempts %d is negative", opts.MaxAttempts)
	}
	rps := cmp.Or(opts.RateLimitPerSecond, DefaultRateLimitPerSecond)
	c := &Client{
		region:         opts.Region,
		host:           host,
		scheme:         scheme,
		creds:          opts.Credentials,
		maxAttempts:    cmp.Or(opts.MaxAttempts, DefaultMaxAttempts),
		log:            opts.Logger,
		transport:      guardedTransport{next: newTransport()},
		limiters:       make(map[string]*windowLimiter, len(actions)),
		rps:            rps,
		backoff:        defaultBackoff,
		sdkRetries:     2,
		sdkBackoff:     sdkBackoff,
		sdkBackoffMax:  sdkBackoffMax,
		minAttempt:     200 * time.Millisecond,
		defaultTimeout: 30 * time.Second,
	}
	if c.creds == nil {
		c.creds = EnvCredentials()
	}
	if opts.RoleARN != "" {
		c.creds = newRoleCredentials(c.creds, opts.RoleARN,
			&stsClient{host: stsHost, scheme: stsScheme, transport: c.transport, defaultTimeout: c.defaultTimeout})
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// The API admits at most rps requests of an action in any one second, counted when they arrive. The client
	// counts the same way with a margin for the network jitter that bunches arrivals at the server: one call
	// fewer, over a window 50 ms longer (19 per 1.05 s: 18.1/s sustained). A reset's few calls go at once.
	for _, a := range actions {
		c.limiters[a] = newWindowLimiter(rps-1, time.Second+limiterSlack)
	}
	return c, nil
}

// ParseEndpoint splits an endpoint as DTS_ENDPOINT and DTS_STS_ENDPOINT take it — a host[:port], or an
// http(s):// URL with nothing after the host — into the SDK's Endpoint (host[:port]) and Scheme. It is the one
// rule for both variables: config checks them with it at start, NewClient uses it to build the SDK profile.
//
// The host comes back in lower case: the SDK signs the Host header as written, while TC3 lower-cases header
// values on the verifying side, so a host written DTS.TencentCloudAPI.com would fail every signature. Errors
// never quote user info (user:password@), which would otherwise reach the log.
func ParseEndpoint(endpoint string) (host, scheme string, err error) {
	const want = "must be a host such as dts.tencentcloudapi.com or a URL such as http://127.0.0.1:9123"
	shown := withoutUserInfo(endpoint)
	if endpoint == "" {
		return "", "", errors.New("is empty")
	}
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/?#@ \t") {
			return "", "", fmt.Errorf("%q %s", shown, want)
		}
		return strings.ToLower(endpoint), "HTTPS", nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil, u.Host == "":
		return "", "", fmt.Errorf("%q %s", shown, want)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.User != nil:
		// TC3 signs the path "/" only; the API lives at the root.
		return "", "", fmt.Errorf("%q must not have a path, query, fragment or user: %s", shown, want)
	}
	switch u.Scheme { // url.Parse lower-cases it
	case "http":
		return strings.ToLower(u.Host), "HTTP", nil
	case "https":
		return strings.ToLower(u.Host), "HTTPS", nil
	}
	return "", "", fmt.Errorf("%q: the scheme must be http or https", shown)
}

// withoutUserInfo replaces everything between the scheme and the last '@' (a user name and password, if the
// endpoint has them) with "…".
func withoutUserInfo(endpoint string) string {
	at := strings.LastIndex(endpoint, "@")
	if at < 0 {
		return endpoint
	}
	start := 0
	if i := strings.Index(endpoint, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return endpoint[:start] + "…" + endpoint[at:]
}

// endpointOr is ParseEndpoint with def (over HTTPS) for an empty endpoint; name labels errors.
func endpointOr(name, endpoint, def string) (host, scheme string, err error) {
	if endpoint == "" {
		return def, "HTTPS", nil
	}
	host, scheme, err = ParseEndpoint(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("dts: %s %w", name, err)
	}
	return host, scheme, nil
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// A reset runs a few calls concurrently (precheck and plan) and batches run back to back: keep enough idle
	// connections for them. The idle timeout matches the SDK's; SCF may freeze the instance with connections
	// open, and a connection found dead after the thaw is a network failure that the next attempt survives.
	t.MaxIdleConnsPerHost = 16
	t.IdleConnTimeout = 30 * time.Second
	return t
}

// defaultBackoff is a jittered exponential back-off (half fixed, half random, so that the concurrent calls of
// a batch do not retry in lockstep). After throttling it starts higher: the API counts per second.
func defaultBackoff(attempt int, throttled bool) time.Duration {
	base := 100 * time.Millisecond
	if throttled {
		base = 400 * time.Millisecond
	}
	d := base << (attempt - 1)
	return d/2 + rand.N(d/2+1)
}

// sdkBackoff is the SDK's wait before its RequestLimitExceeded retry i; the SDK sleeps it with time.Sleep,
// deaf to ctx, so it is short and bounded by sdkBackoffMax.
func sdkBackoff(i int) time.Duration {
	return time.Duration(i+1)*250*time.Millisecond + rand.N(100*time.Millisecond)
}

const sdkBackoffMax = 2*250*time.Millisecond + 100*time.Millisecond

// call runs one action: credentials, then up to maxAttempts attempts, each after a rate limiter token. in is
// the request struct, out a pointer to the response struct. The error is always a *reset.Error.
//
// Every action is retried, the reset included: repeating it is safe (docs/RELIABILITY.md, Idempotency), and the
// use case verifies the outcome afterwards anyway.
func (c *Client) call(ctx context.Context, action, region string, in, out any) error {
	if region == "" {
		region = c.region
	}
	if region == "" {
		return &reset.Error{Kind: reset.KindInternal, Code: reset.CodeConfig,
			Message: "no region: set DTS_REGION or TENCENTCLOUD_REGION, or pass Region in the payload"}
	}
	params, err := json.Marshal(in)
	if err != nil {
		return &reset.Error{Kind: reset.KindInternal, Code: reset.CodeInternalError, Message: "internal error",
			Err: fmt.Errorf("encode %s request: %w", action, err)}
	}
	cred, err := c.creds.Credential(ctx)
	if err != nil || cred == nil {
		return sourceError(err, action)
	}

	renewed := false
	for attempt := 1; ; attempt++ {
		if err := c.wait(ctx, action); err != nil {
			return err
		}
		err := c.send(ctx, cred, action, region, params, out)
		if err == nil {
			return nil
		}
		e, retryable := classify(err, action)
		if !renewed && c.renewable(e) {
			renewed = true
			var rerr *reset.Error
			if cred, rerr = c.renew(ctx, cred, action, e); rerr != nil {
				return rerr
			}
			continue
		}
		if !retryable || attempt >= c.maxAttempts || ctx.Err() != nil {
			return e
		}
		d := c.backoff(attempt, e.Kind == reset.KindThrottled)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d+c.minAttempt {
			// No time for another attempt: report the upstream failure now rather than a timeout later.
			return e
		}
		c.log.DebugContext(ctx, "dts call failed, retrying", "action", action, "attempt", attempt,
			"code", e.Code, "upstream_request_id", e.RequestID, "retry_in", d)
		if reset.Sleep(ctx, d) != nil {
			return e
		}
	}
}

// renewable reports whether e is DTS refusing the keys of the role cache (DTS_ROLE_ARN): AuthFailure.*, for
// keys revoked or a role session ended before its refresh time. Not AuthFailure.UnauthorizedOperation: a
// permission the role lacks, which new keys of the same role do not fix; renewing on it would add an
// AssumeRole to every call.
func (c *Client) renewable(e *reset.Error) bool {
	_, ok := c.creds.(*roleCredentials)
	return ok && family(e.Code, "AuthFailure") && e.Code != "AuthFailure.UnauthorizedOperation"
}

// renew drops the refused role keys from the cache and assumes the role once more with this invocation's base
// keys, for one more attempt: without it a bad cache would fail every call until its refresh time (~48 min).
func (c *Client) renew(ctx context.Context, refused common.CredentialIface, action string, e *reset.Error) (common.CredentialIface, *reset.Error) {
	c.log.DebugContext(ctx, "dts refused the cached role credentials; assuming the role again",
		"action", action, "code", e.Code, "upstream_request_id", e.RequestID)
	cred, err := c.creds.(*roleCredentials).renew(ctx, refused)
	if err != nil || cred == nil {
		return nil, sourceError(err, action)
	}
	return cred, nil
}

// sourceError maps a failure of the credential source: a failed AssumeRole as Classify says, anything else
// (including a source that answered nothing) as credentialError.
func sourceError(err error, action string) *reset.Error {
	if err == nil {
		err = errors.New("the credential source returned none")
	}
	var role *roleError
	if errors.As(err, &role) {
		return Classify(err, action)
	}
	return credentialError(err)
}

// wait takes a token of action's limiter.
func (c *Client) wait(ctx context.Context, action string) error {
	lim := c.limiters[action]
	if lim == nil {
		return nil
	}
	err := lim.Wait(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return timeoutError(ctx.Err(), action)
	}
	// The limiter refuses to wait past the deadline: the process is at its own limit for this action.
	return &reset.Error{Kind: reset.KindThrottled, Code: reset.CodeRequestLimit, RetryAfter: throttleRetryAfter,
		Message: fmt.Sprintf("too many %s calls in flight (the API allows %d/s): retry in a second", action, c.rps),
		Err:     err}
}

// send is one attempt through the SDK. The SDK client is built here because its profile depends on the time
// left (ReqTimeout, how many throttling retries fit) and its credentials on the invocation; building it
// allocates a little but opens nothing, since every one of them uses c.transport.
func (c *Client) send(ctx context.Context, cred common.CredentialIface, action, region string, params []byte, out any) error {
	prof, remaining := callProfile(ctx, c.host, c.scheme, c.defaultTimeout)
	// The SDK's throttling back-off is time.Sleep, deaf to ctx: allow its retries only when all of them and
	// the attempts after them still fit before the deadline.
	retries := c.sdkRetries
	if remaining < time.Duration(retries)*c.sdkBackoffMax+time.Duration(retries+1)*c.minAttempt {
		retries = 0
	}
	prof.RateLimitExceededMaxRetries = retries
	prof.RateLimitExceededRetryDuration = boundedBackoff(ctx, c.sdkBackoff, c.minAttempt)

	// NewCommonClient gives each client its own http.Client (so ReqTimeout stays per call) unless
	// common.DefaultHttpClient is set, which nothing in this process may do: it would be shared and mutated.
	cc := common.NewCommonClient(cred, region, prof).WithHttpTransport(c.transport)
	req := tchttp.NewCommonRequest(Service, Version, action)
	if err := req.SetActionParameters(params); err != nil {
		return err
	}
	req.SetContext(ctx)
	resp := &rawResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := cc.Send(req, resp); err != nil {
		return err
	}
	return DecodeResponse(resp.body, out)
}

// boundedBackoff caps each of the SDK's throttling sleeps so that it ends minAttempt before ctx's deadline.
// The up-front budget in send assumes attempts of about minAttempt; an attempt that is slow and then
// throttled (a loaded API answers late) would otherwise be followed by a sleep that ctx cannot cut short, and
// the reply would come after the invocation's deadline. After a capped sleep the SDK's next attempt runs on
// an expired or nearly expired ctx and fails at once, which is the timeout the caller should see.
func boundedBackoff(ctx context.Context, backoff profile.DurationFunc, minAttempt time.Duration) profile.DurationFunc {
	deadline, ok := ctx.Deadline()
	if !ok {
		return backoff
	}
	return func(i int) time.Duration {
		return max(0, min(backoff(i), time.Until(deadline)-minAttempt))
	}
}

// callProfile is the SDK profile of one call to host: its request timeout ends with ctx (def without a
// deadline, which it also returns as the time left), and the region breaker is off. The breaker fails over to
// another region's endpoint after errors counted over a client's life: our clients live for one call, and
// quietly sending a request to another endpoint (or away from the emulator) is never what we want.
func callProfile(ctx context.Context, host, scheme string, def time.Duration) (*profile.ClientProfile, time.Duration) {
	remaining := def
	if deadline, ok := ctx.Deadline(); ok {
		remaining = time.Until(deadline)
	}
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = host
	prof.HttpProfile.Scheme = scheme
	prof.HttpProfile.ReqTimeout = max(1, int((remaining+time.Second-1)/time.Second))
	prof.DisableRegionBreaker = true
	return prof, remaining
}

// rawResponse keeps the body as it came. The SDK's CommonResponse decodes it into a map[string]any, so every
// number becomes a float64 and GetBody re-encodes it: offsets above 2^53 would come back rounded.
type rawResponse struct {
	*tchttp.BaseResponse
	body []byte
}

func (r *rawResponse) UnmarshalJSON(b []byte) error {
	r.body = append(r.body[:0], b...)
	return nil
}

// ResetConsumerGroupOffset implements reset.DTS.
func (c *Client) ResetConsumerGroupOffset(ctx context.Context, region string, call reset.ResetCall) (string, error) {
	in := ResetConsumerGroupOffsetRequest{
		SubscribeID:       call.SubscribeID,
		TopicName:         call.TopicName,
		ConsumerGroupName: call.ConsumerGroupName,
		PartitionNos:      call.PartitionNos,
		ResetMode:         call.ResetMode,
		ResetDatetime:     call.ResetDatetime,
	}
	if in.PartitionNos == nil {
		in.PartitionNos = []int{} // an array, never null
	}
	var out ResetConsumerGroupOffsetResponse
	if err := c.call(ctx, ActionResetConsumerGroupOffset, region, in, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}

// ConsumerGroupPage implements reset.DTS: the page streams through a groupFilter, which keeps only the group
// named name (and every group's name), so a page of 100 groups of 1024 partitions never sits in memory whole.
func (c *Client) ConsumerGroupPage(ctx context.Context, region, subscribeID, name string, offset, limit int) (reset.GroupPage, error) {
	f := &groupFilter{want: name}
	var out DescribeConsumerGroupsResponse
	in := DescribeConsumerGroupsRequest{SubscribeID: subscribeID, Offset: offset, Limit: limit}
	if err := c.call(withGroupFilter(ctx, f), ActionDescribeConsumerGroups, region, in, &out); err != nil {
		return reset.GroupPage{}, err
	}
	page := out.groupPage()
	page.Names = append([]string{}, f.names...)
	return page, nil
}

// DescribeConsumerGroups returns one whole page of the subscription's consumer groups, every group decoded
// in Groups (Names is left empty): for tools and tests. The use case asks ConsumerGroupPage.
func (c *Client) DescribeConsumerGroups(ctx context.Context, region, subscribeID string, offset, limit int) (reset.GroupPage, error) {
	var out DescribeConsumerGroupsResponse
	in := DescribeConsumerGroupsRequest{SubscribeID: subscribeID, Offset: offset, Limit: limit}
	if err := c.call(ctx, ActionDescribeConsumerGroups, region, in, &out); err != nil {
		return reset.GroupPage{}, err
	}
	return out.groupPage(), nil
}

func (r *DescribeConsumerGroupsResponse) groupPage() reset.GroupPage {
	page := reset.GroupPage{RequestID: r.RequestID, TotalCount: r.TotalCount,
		Groups: make([]reset.Group, 0, len(r.Items))}
	for _, it := range r.Items {
		g := reset.Group{Name: it.ConsumerGroupName, State: it.ConsumerGroupState,
			Partitions: make([]reset.PartitionState, 0, len(it.StateOfPartition))}
		for _, p := range it.StateOfPartition {
			g.Partitions = append(g.Partitions, reset.PartitionState{PartitionNo: p.PartitionNo,
				Offset: p.ConsumerGroupOffset, Lag: p.ConsumerGroupLag})
		}
		for _, a := range it.PartitionAssignment {
			g.Assignment = append(g.Assignment, reset.Assignment{ClientID: a.ClientID, PartitionNos: a.PartitionNo})
		}
		page.Groups = append(page.Groups, g)
	}
	return page
}

// DescribeOffsetByTime implements reset.DTS.
func (c *Client) DescribeOffsetByTime(ctx context.Context, region, subscribeID, at string) (reset.Offsets, error) {
	var out DescribeOffsetByTimeResponse
	in := DescribeOffsetByTimeRequest{SubscribeID: subscribeID, Time: at}
	if err := c.call(ctx, ActionDescribeOffsetByTime, region, in, &out); err != nil {
		return reset.Offsets{}, err
	}
	offsets := reset.Offsets{RequestID: out.RequestID,
		Partitions: make([]reset.PartitionOffset, 0, len(out.Items))}
	for _, it := range out.Items {
		offsets.Partitions = append(offsets.Partitions, reset.PartitionOffset{PartitionNo: it.PartitionNo, Offset: it.Offset})
	}
	return offsets, nil
}

// DescribeSubscribeDetail implements reset.DTS.
func (c *Client) DescribeSubscribeDetail(ctx context.Context, region, subscribeID string) (reset.Subscription, error) {
	var out DescribeSubscribeDetailResponse
	in := DescribeSubscribeDetailRequest{SubscribeID: subscribeID}
	if err := c.call(ctx, ActionDescribeSubscribeDetail, region, in, &out); err != nil {
		return reset.Subscription{}, err
	}
	return reset.Subscription{RequestID: out.RequestID, SubscribeID: out.SubscribeID, Topic: out.Topic,
		Region: out.Region, Status: out.Status, SubsStatus: out.SubsStatus}, nil
}

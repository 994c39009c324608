package dts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"

	"dtsreset/internal/reset"
)

// STS, as the SDK's RoleArnProvider calls it.
const (
	stsService = "sts"
	stsVersion = "2018-08-13"
	stsRegion  = "ap-guangzhou" // STS is global; the SDK's provider signs for this region
	stsAction  = "AssumeRole"
)

// stsClient calls STS AssumeRole through the SDK's CommonClient, as the SDK's RoleArnProvider does, rather
// than through the provider itself: the provider takes no ctx (its call could outlive the invocation), always
// uses HTTPS and a client of its own with no timeout, and keeps only some of the reply. The same SDK client
// signs the request; only the profile is ours.
type stsClient struct {
	host           string // host[:port]
	scheme         string // "HTTPS" or "HTTP"
	transport      http.RoundTripper
	defaultTimeout time.Duration // when ctx has no deadline
}

// AssumeRoleRequest is the part of STS AssumeRole's request we send.
type AssumeRoleRequest struct {
	RoleArn         string `json:"RoleArn"`
	RoleSessionName string `json:"RoleSessionName"`
	DurationSeconds int64  `json:"DurationSeconds"`
}

// AssumeRoleResponse is STS AssumeRole's reply (inside "Response").
type AssumeRoleResponse struct {
	Credentials struct {
		Token        string `json:"Token"`
		TmpSecretID  string `json:"TmpSecretId"`
		TmpSecretKey string `json:"TmpSecretKey"`
	} `json:"Credentials"`
	ExpiredTime int64  `json:"ExpiredTime"` // Unix seconds
	Expiration  string `json:"Expiration"`  // the same instant, ISO 8601
	RequestID   string `json:"RequestId"`
}

// assumeRole returns the role's temporary keys, signed for with base, and when they expire (zero if STS did
// not say). It returns static keys: the SDK's RoleArnCredential would refresh itself lazily inside signing,
// with an STS call that ignores ctx.
func (s *stsClient) assumeRole(ctx context.Context, base common.CredentialIface, roleARN, session string, duration time.Duration) (common.CredentialIface, time.Time, error) {
	prof, _ := callProfile(ctx, s.host, s.scheme, s.defaultTimeout)
	// No SDK retries (their back-off is time.Sleep, deaf to ctx): a failed AssumeRole is reported, and the
	// next invocation tries again.
	prof.RateLimitExceededMaxRetries = 0

	params, err := json.Marshal(AssumeRoleRequest{RoleArn: roleARN, RoleSessionName: session,
		DurationSeconds: int64(duration / time.Second)})
	if err != nil {
		return nil, time.Time{}, err
	}
	req := tchttp.NewCommonRequest(stsService, stsVersion, stsAction)
	if err := req.SetActionParameters(params); err != nil {
		return nil, time.Time{}, err
	}
	req.SetContext(ctx)
	resp := &rawResponse{BaseResponse: &tchttp.BaseResponse{}}
	cc := common.NewCommonClient(base, stsRegion, prof).WithHttpTransport(s.transport)
	if err := cc.Send(req, resp); err != nil {
		return nil, time.Time{}, withoutBody(err)
	}
	var out AssumeRoleResponse
	if err := DecodeResponse(resp.body, &out); err != nil {
		return nil, time.Time{}, err
	}
	c := out.Credentials
	if c.TmpSecretID == "" || c.TmpSecretKey == "" {
		return nil, time.Time{}, tcerr.NewTencentCloudSDKError(codeParseJSON, "the STS reply has no credentials", out.RequestID)
	}
	var expires time.Time
	if out.ExpiredTime > 0 {
		expires = time.Unix(out.ExpiredTime, 0)
	} else if t, err := time.Parse(time.RFC3339, out.Expiration); err == nil {
		expires = t
	}
	return common.NewTokenCredential(c.TmpSecretID, c.TmpSecretKey, c.Token), expires, nil
}

// withoutBody drops the reply body that the SDK quotes in its ParseJsonError and HttpStatusCodeError messages.
// An AssumeRole reply that fails to parse (a proxy appended a comment, a status other than 200) can still hold
// the temporary key and token, and this error becomes the cause in the function's log line. What stays (the
// code, the status line, the JSON parser's complaint) is what an operator needs.
func withoutBody(err error) error {
	var sdk *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return err
	}
	msg := sdk.Message
	switch sdk.Code {
	case codeParseJSON:
		const because = ", because: "
		msg = "the STS reply (body withheld: it may hold credentials) is not valid JSON"
		if i := strings.LastIndex(sdk.Message, because); i >= 0 {
			msg += ": " + sdk.Message[i+len(because):]
		}
	case codeHTTPStatus:
		if i := strings.Index(msg, ", with body: "); i >= 0 {
			msg = msg[:i] + " (body withheld: it may hold credentials)"
		}
	default:
		return err
	}
	return tcerr.NewTencentCloudSDKError(sdk.Code, msg, sdk.RequestId)
}

// roleError is a failed AssumeRole; Classify tells the operator which role could not be assumed.
type roleError struct {
	roleARN string
	err     error
}

func (e *roleError) Error() string { return "assume role " + e.roleARN + ": " + e.err.Error() }
func (e *roleError) Unwrap() error { return e.err }

// resetError maps a failed AssumeRole. All but a timeout are upstream kinds (HTTP 502): the caller did
// nothing wrong, and only the operator can fix the roles. Messages name the role and keep STS's own code and
// message (they say which half of the set-up is missing) but not transport details, which stay in Err for
// the log.
func (e *roleError) resetError() *reset.Error {
	if isTimeout(e.err) {
		return &reset.Error{Kind: reset.KindTimeout, Code: reset.CodeDeadlineExceeded, Err: e,
			Message: fmt.Sprintf("the invocation deadline passed before STS answered AssumeRole for the role %s", e.roleARN)}
	}
	var sdk *tcerr.TencentCloudSDKError
	if !errors.As(e.err, &sdk) || family(sdk.Code, "ClientError") {
		var requestID string
		if sdk != nil {
			requestID = sdk.RequestId
		}
		return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamFailure, RequestID: requestID, Err: e,
			Message: fmt.Sprintf("could not assume the role %s: STS could not be reached or gave no usable answer", e.roleARN)}
	}
	if family(sdk.Code, "InternalError", "RequestLimitExceeded", "ResourceUnavailable", "ServiceUnavailable") {
		return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamFailure, RequestID: sdk.RequestId, Err: e,
			Message: fmt.Sprintf("STS failed to assume the role %s (%s: %s); try again later", e.roleARN, sdk.Code, sdk.Message)}
	}
	return &reset.Error{Kind: reset.KindUpstream, Code: reset.CodeUpstreamAuth, RequestID: sdk.RequestId, Err: e,
		Message: fmt.Sprintf("the function's execution role cannot assume the role %s (STS: %s: %s): the role must "+
			"exist and trust the execution role, and the execution role's policy must allow sts:AssumeRole on it",
			e.roleARN, sdk.Code, sdk.Message)}
}

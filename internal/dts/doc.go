// Package dts implements reset.DTS on the TencentCloud Go SDK's CommonClient (service dts, version
// 2021-12-06).
//
// The model: one Client per process, many short invocations. Each call
//
//   - asks for the credentials again: the invocation's own set, which main takes once from the invocation's
//     Environment map and passes in ctx (WithInvocationCredentials; SCF hands the execution role's temporary
//     keys to every invocation and rotates them, and the process environment is rewritten by concurrent
//     invocations), then builds a cheap SDK client for them that shares one
//     *http.Transport with every other call, so keep-alive connections outlive the invocation; with a RoleARN
//     (DTS_ROLE_ARN) those keys only sign STS AssumeRole, and the role's keys, cached until shortly before they
//     expire, sign the call;
//   - waits for a per-action token of a process-wide rate limiter (the API allows 20 requests/s per action, and
//     a batch or a verify loop would otherwise trip RequestLimitExceeded on itself);
//   - retries inside the invocation deadline: the SDK retries RequestLimitExceeded itself (with a sleep that
//     ignores ctx, so its count and back-off are sized to the time left), and this package retries network
//     failures, unreadable replies and InternalError, which the SDK never retries for a CommonRequest;
//   - maps whatever went wrong to a *reset.Error (Classify), keeping the upstream Code, Message and RequestId.
//
// Request and response bodies are our own typed structs; the SDK only signs and transports them.
package dts

package dts

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// guardedTransport sits under the SDK and looks at every reply before the SDK reads it. A DescribeConsumerGroups
// reply of a call that wants one group is cut down to that group as it streams in (groupFilter). A 200 reply whose
// content type is not JSON is refused here (badReply): the SDK hands a text/event-stream reply to its SSE
// reader, which our response type does not implement (a ClientError.TypeError), and reads any other body as
// JSON whatever its type. Replies with another status go on untouched: the SDK reports them
// (ClientError.HttpStatusCodeError) and Classify retries the 5xx.
type guardedTransport struct {
	next http.RoundTripper
}

func (t guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	if ct := resp.Header.Get("Content-Type"); !jsonContentType(ct) {
		discard(resp.Body)
		return nil, &badReply{why: "content type " + quoteShort(ct) + ", not JSON",
			requestID: resp.Header.Get("X-TC-RequestId")}
	}
	if f := groupFilterFrom(req.Context()); f != nil && resp.Header.Get("Content-Encoding") == "" {
		body, err := f.rewrite(resp.Body)
		discard(resp.Body)
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
	}
	return resp, nil
}

// jsonContentType accepts application/json with any parameters, and no content type at all (the body then
// decides: an unreadable one is refused as such).
func jsonContentType(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// discard reads a little of body, so that a short reply's connection can be reused, and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// quoteShort quotes s, cut to 64 bytes: a header value is the server's, not ours, to size.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}

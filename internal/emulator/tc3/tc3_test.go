package tc3_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"dtsreset/internal/emulator/tc3"
)

// The published worked example of TC3-HMAC-SHA256 ("Signature v3", Tencent Cloud API docs, CVM
// DescribeInstances in ap-guangzhou at 1551113065). The SecretId is masked in the document; it is not an
// input of the signature. The SecretKey is the one the document's step 3 uses.
const (
	docSecretID      = "AKID**********************0123456789EXAMPLE"
	docSecretKey     = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	docTimestamp     = 1551113065
	docPayload       = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	docPayloadHash   = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	docSignature     = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	docAuthorization = "TC3-HMAC-SHA256 Credential=" + docSecretID + "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + docSignature
)

func TestSignatureKnownAnswer(t *testing.T) {
	headers := "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n"
	if got := tc3.Signature(docSecretKey, "cvm", docTimestamp, "POST", "", headers, "content-type;host", docPayloadHash); got != docSignature {
		t.Errorf("Signature: got %s, want %s", got, docSignature)
	}
	if got := tc3.Authorization(docSecretID, docSecretKey, "cvm", docTimestamp, "POST", "", headers, "content-type;host", docPayloadHash); got != docAuthorization {
		t.Errorf("Authorization:\ngot  %s\nwant %s", got, docAuthorization)
	}

	// The document's complete request verifies as sent.
	r := httptest.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(docPayload))
	r.Host = "cvm.tencentcloudapi.com"
	r.Header.Set("Authorization", docAuthorization)
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-TC-Action", "DescribeInstances")
	r.Header.Set("X-TC-Timestamp", "1551113065")
	r.Header.Set("X-TC-Version", "2017-03-12")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	lookup := func(id string) (string, string, bool) { return docSecretKey, "", id == docSecretID }
	id, err := tc3.Verify(r, []byte(docPayload), "cvm", lookup, time.Unix(docTimestamp+30, 0))
	if err != nil || id != docSecretID {
		t.Fatalf("Verify(documented request) = %q, %v; want %q, nil", id, err, docSecretID)
	}
}

// server answers like the DTS API: the verification error in the envelope, or success.
func server(t *testing.T, lookup tc3.Lookup, now func() time.Time, tamper bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if tamper {
			body = bytes.Replace(body, []byte("subs-"), []byte("subz-"), 1)
		}
		resp := map[string]any{"RequestId": "req-1"}
		if _, err := tc3.Verify(r, body, "dts", lookup, now()); err != nil {
			var te *tc3.Error
			if !errors.As(err, &te) {
				t.Errorf("Verify returned %T, want *tc3.Error", err)
				return
			}
			resp["Error"] = map[string]string{"Code": te.Code, "Message": te.Message}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVerifySDKRequests(t *testing.T) {
	const id, key, token = "AKIDtest", "test-secret-key", "session-token"
	permanent := func(s string) (string, string, bool) { return key, "", s == id }
	temporary := func(s string) (string, string, bool) { return key, token, s == id }

	tests := []struct {
		name             string
		lookup           tc3.Lookup
		secretID, secKey string
		token            string
		service          string
		skew             time.Duration // server clock minus client clock
		tamper           bool
		wantCode         string // empty: verifies
	}{
		{name: "permanent key verifies", lookup: permanent, secretID: id, secKey: key, service: "dts"},
		{name: "temporary key with its token verifies", lookup: temporary, secretID: id, secKey: key, token: token, service: "dts"},
		{name: "small clock skew verifies", lookup: permanent, secretID: id, secKey: key, service: "dts", skew: 4 * time.Minute},
		{name: "wrong key", lookup: permanent, secretID: id, secKey: "other-key", service: "dts", wantCode: "AuthFailure.SignatureFailure"},
		{name: "unknown SecretId", lookup: permanent, secretID: "AKIDother", secKey: key, service: "dts", wantCode: "AuthFailure.SecretIdNotFound"},
		{name: "wrong token", lookup: temporary, secretID: id, secKey: key, token: "stale-token", service: "dts", wantCode: "AuthFailure.TokenFailure"},
		{name: "missing token", lookup: temporary, secretID: id, secKey: key, service: "dts", wantCode: "AuthFailure.TokenFailure"},
		{name: "unexpected token", lookup: permanent, secretID: id, secKey: key, token: token, service: "dts", wantCode: "AuthFailure.TokenFailure"},
		{name: "expired timestamp", lookup: permanent, secretID: id, secKey: key, service: "dts", skew: 10 * time.Minute, wantCode: "AuthFailure.SignatureExpire"},
		{name: "timestamp from the future", lookup: permanent, secretID: id, secKey: key, service: "dts", skew: -10 * time.Minute, wantCode: "AuthFailure.SignatureExpire"},
		{name: "tampered body", lookup: permanent, secretID: id, secKey: key, service: "dts", tamper: true, wantCode: "AuthFailure.SignatureFailure"},
		{name: "wrong service in the scope", lookup: permanent, secretID: id, secKey: key, service: "cvm", wantCode: "AuthFailure.InvalidAuthorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server(t, tt.lookup, func() time.Time { return time.Now().Add(tt.skew) }, tt.tamper)
			u, _ := url.Parse(srv.URL)
			prof := profile.NewClientProfile()
			prof.HttpProfile.Scheme = "HTTP"
			prof.HttpProfile.Endpoint = u.Host
			prof.HttpProfile.ReqTimeout = 10
			var cred common.CredentialIface = common.NewCredential(tt.secretID, tt.secKey)
			if tt.token != "" {
				cred = common.NewTokenCredential(tt.secretID, tt.secKey, tt.token)
			}
			client := common.NewCommonClient(cred, "ap-guangzhou", prof)
			req := tchttp.NewCommonRequest(tt.service, "2021-12-06", "DescribeConsumerGroups")
			if err := req.SetActionParameters(map[string]any{"SubscribeId": "subs-abc123"}); err != nil {
				t.Fatal(err)
			}
			resp := tchttp.NewCommonResponse()
			err := client.Send(req, resp)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			var se *sdkerrors.TencentCloudSDKError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want an SDK error %s", err, tt.wantCode)
			}
			if se.Code != tt.wantCode {
				t.Errorf("got code %s (%s), want %s", se.Code, se.Message, tt.wantCode)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	lookup := func(string) (string, string, bool) { return "k", "", true }
	now := time.Unix(docTimestamp, 0)
	tests := []struct {
		name, auth, timestamp, wantCode string
	}{
		{"no Authorization", "", "1551113065", "AuthFailure.InvalidAuthorization"},
		{"other algorithm", "HMAC-SHA1 Credential=x", "1551113065", "AuthFailure.InvalidAuthorization"},
		{"short scope", "TC3-HMAC-SHA256 Credential=id/2019-02-25/dts, SignedHeaders=content-type;host, Signature=ab", "1551113065", "AuthFailure.InvalidAuthorization"},
		{"no timestamp", "TC3-HMAC-SHA256 Credential=id/2019-02-25/dts/tc3_request, SignedHeaders=content-type;host, Signature=ab", "", "AuthFailure.InvalidAuthorization"},
		{"date not the timestamp's", "TC3-HMAC-SHA256 Credential=id/2019-02-26/dts/tc3_request, SignedHeaders=content-type;host, Signature=ab", "1551113065", "AuthFailure.InvalidAuthorization"},
		{"host not signed", "TC3-HMAC-SHA256 Credential=id/2019-02-25/dts/tc3_request, SignedHeaders=content-type, Signature=ab", "1551113065", "AuthFailure.InvalidAuthorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
			r.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.timestamp != "" {
				r.Header.Set("X-TC-Timestamp", tt.timestamp)
			}
			_, err := tc3.Verify(r, nil, "dts", lookup, now)
			var te *tc3.Error
			if !errors.As(err, &te) || te.Code != tt.wantCode {
				t.Errorf("got %v, want %s", err, tt.wantCode)
			}
		})
	}
}

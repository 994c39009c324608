package dts

import (
	"context"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// TestInvocationCredentialsWinOverProcessEnvironment: the credentials race (issue 12, item 1). Once an
// invocation's set is in ctx, EnvCredentials answers it on every call, whatever the process environment holds
// meanwhile; the process environment counts only when the invocation carries no set, and is read once.
func TestInvocationCredentialsWinOverProcessEnvironment(t *testing.T) {
	scf := func(id, key, token string) map[string]string {
		return map[string]string{EnvSCFSecretID: id, EnvSCFSecretKey: key, EnvSCFSessionToken: token}
	}
	for _, tt := range []struct {
		name            string
		invocation      map[string]string
		process         map[string]string
		wantID, wantKey string
		wantToken       string
	}{
		{"the invocation's own set", scf("AKIDinv", "inv-key", "inv-token"), scf("AKIDproc", "proc-key", "proc-token"),
			"AKIDinv", "inv-key", "inv-token"},
		{"permanent keys in the invocation", scf("AKIDinv", "inv-key", ""), scf("AKIDproc", "proc-key", "proc-token"),
			"AKIDinv", "inv-key", ""},
		{"an incomplete invocation set is none", map[string]string{EnvSCFSecretID: "AKIDinv"}, scf("AKIDproc", "proc-key", "proc-token"),
			"AKIDproc", "proc-key", "proc-token"},
		{"no Environment: the process's", nil, scf("AKIDproc", "proc-key", "proc-token"),
			"AKIDproc", "proc-key", "proc-token"},
		{"the SDK's names", map[string]string{EnvSDKSecretID: "AKIDsdk", EnvSDKSecretKey: "sdk-key"}, nil,
			"AKIDsdk", "sdk-key", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{EnvSCFSecretID, EnvSCFSecretKey, EnvSCFSessionToken, EnvSDKSecretID, EnvSDKSecretKey} {
				t.Setenv(k, tt.process[k])
			}
			ctx := WithInvocationCredentials(context.Background(), tt.invocation)
			// Another invocation rewrites the process environment after the snapshot: no effect.
			t.Setenv(EnvSCFSecretID, "AKIDother")
			t.Setenv(EnvSCFSecretKey, "other-key")
			t.Setenv(EnvSCFSessionToken, "other-token")
			for range 3 {
				cred, err := EnvCredentials().Credential(ctx)
				if err != nil {
					t.Fatal(err)
				}
				checkCred(t, cred, tt.wantID, tt.wantKey, tt.wantToken)
			}
		})
	}
}

// TestNoInvocationCredentialsLeavesContext: with no set anywhere ctx carries nothing, so the SDK's chain
// answers as before.
func TestNoInvocationCredentialsLeavesContext(t *testing.T) {
	for _, k := range []string{EnvSCFSecretID, EnvSCFSecretKey, EnvSCFSessionToken, EnvSDKSecretID, EnvSDKSecretKey} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	if got := WithInvocationCredentials(ctx, map[string]string{"OTHER": "x"}); got != ctx {
		t.Errorf("got a new ctx without any credentials, want ctx unchanged")
	}
}

func checkCred(t *testing.T, cred common.CredentialIface, id, key, token string) {
	t.Helper()
	if cred.GetSecretId() != id || cred.GetSecretKey() != key || cred.GetToken() != token {
		t.Errorf("got %s/%s/%s, want %s/%s/%s", cred.GetSecretId(), cred.GetSecretKey(), cred.GetToken(), id, key, token)
	}
}

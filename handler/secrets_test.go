package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// The secrets of TestSecretsNeverLeak: the role's temporary key and token as SCF passes them, and a wrong key
// for the scenario where the function is configured with one.
const (
	secretKey     = "scf-role-secret-key-5f0c1e9a7b"
	sessionToken  = "scf-role-session-token-9d2b7c4e1f0a"
	wrongKey      = "scf-wrong-secret-key-0a1b2c3d4e"
	secretID      = "AKIDscfRoleTemporary01"
	secretsInvoke = 10 * time.Second
)

// TestSecretsNeverLeak runs every event in events/ (good and bad) through the whole function (handler →
// reset service → SDK client) against the emulator, configured with temporary credentials (a session token,
// as SCF's execution role has), on the success path and on failure paths: upstream AuthFailure, InternalError,
// RequestLimitExceeded and dropped connections on every action, and a wrong SecretKey in the function's
// environment. Every log line (slog JSON at debug, so the retry and step lines of the client and the service are
// there too), every reply and every invocation error is captured; none may contain the secret key, the wrong
// key, the session token, the bearer token, or any piece of a TC3 Authorization header (the algorithm name,
// "Credential=", "SignedHeaders=", "Signature=").
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator once per scenario")
	}
	scenarios := []struct {
		name   string
		fault  *emulator.Fault
		envKey string // the SecretKey in the function's environment; "" means the right one
	}{
		{name: "success"},
		{name: "AuthFailure", fault: &emulator.Fault{Action: "*", Code: "AuthFailure.SignatureFailure"}},
		{name: "InternalError", fault: &emulator.Fault{Action: "*", Code: "InternalError"}},
		{name: "RequestLimitExceeded", fault: &emulator.Fault{Action: "*", Code: "RequestLimitExceeded"}},
		{name: "dropped connection", fault: &emulator.Fault{Action: "*", Drop: true}},
		{name: "wrong SecretKey", envKey: wrongKey},
	}
	// The substrings whose presence means a leak. The algorithm name alone is not one (DTS names it in some
	// AuthFailure messages); followed by " Credential=" it is the start of an Authorization header.
	forbidden := []string{secretKey, wrongKey, sessionToken, testToken, "TC3-HMAC-SHA256 Credential=", "Credential=" + secretID, "SignedHeaders=", "Signature="}
	files := eventFiles(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h, d, logs := newSecretStack(t, sc.envKey)
			d.Produce(t, testkit.Topic, 3, 10)
			d.Commit(t, testkit.Group, testkit.Topic, map[int32]int64{0: 5, 1: 5, 2: 5})
			if sc.fault != nil {
				d.Emu.InjectFault(*sc.fault)
			}
			var seen bytes.Buffer // every reply and error, for one check at the end
			outcomes := map[string]int{}
			for _, file := range files {
				name := strings.TrimSuffix(filepath.Base(file), ".json")
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				// Failures get a short deadline: the retries they exercise are bounded by it, and the point here is
				// what they log, not how long they try.
				timeout := secretsInvoke
				if sc.fault != nil || sc.envKey != "" {
					timeout = 2 * time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: "req-" + name})
				out, ierr := h.Invoke(ctx, data)
				cancel()
				fmt.Fprintf(&seen, "%s reply: %s\n", name, out)
				if ierr != nil {
					fmt.Fprintf(&seen, "%s error: %s (%#v)\n", name, ierr, ierr)
					outcomes[reset.AsError(ierr).Code]++
				} else {
					outcomes["reply"]++
				}
			}
			t.Logf("%d events: %v; %d log lines", len(files), outcomes, strings.Count(logs.String(), "\n"))
			if sc.name == "success" && outcomes["reply"] < len(files)/2 {
				t.Errorf("only %d of %d events answered a reply: the success path was not exercised", outcomes["reply"], len(files))
			}
			if (sc.name == "success" || sc.name == "InternalError") && !strings.Contains(logs.String(), `"level":"DEBUG"`) {
				t.Errorf("no debug line in the log: the client's and the service's lines were not captured")
			}
			for what, text := range map[string]string{"log": logs.String(), "replies": seen.String()} {
				for _, secret := range forbidden {
					if i := strings.Index(text, secret); i >= 0 {
						t.Errorf("the %s contains %q: …%s…", what, secret, text[max(0, i-200):min(len(text), i+len(secret)+50)])
					}
				}
			}
		})
	}
}

// newSecretStack is newStack with temporary credentials (SecretKey and session token) and every logger at
// debug; envKey, when set, replaces the SecretKey the function reads from its environment.
func newSecretStack(t *testing.T, envKey string) (*Handler, *testkit.DTS, *bytes.Buffer) {
	t.Helper()
	cfg := emulator.DemoConfig()
	cfg.Credentials = []emulator.Credential{{SecretID: secretID, SecretKey: secretKey, Token: sessionToken}}
	d := testkit.StartDTS(t, &cfg, emulator.Options{})
	d.SetEnv(t)
	if envKey != "" {
		t.Setenv(dts.EnvSCFSecretKey, envKey)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := dts.NewClient(dts.Options{Region: d.Region, Endpoint: d.URL, Logger: logger, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return fixedNow }
	svc := reset.New(client, reset.Options{Precheck: true, Verify: true, VerifyTimeout: 2 * time.Second, Now: now, Logger: logger})
	return New(svc, Options{APIToken: testToken, Logger: logger, Now: now}), d, &logs
}

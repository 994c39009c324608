package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/internal/dts"
	"dtsreset/internal/emulator"
	"dtsreset/internal/reset"
	"dtsreset/internal/testkit"
)

// newStack wires the real function (handler → reset → dts SDK client) to the emulator, as main does, with
// the bearer token of the events/ fixtures and the golden clock.
func newStack(t *testing.T) (*Handler, *testkit.DTS, *bytes.Buffer) {
	t.Helper()
	d := testkit.StartDTS(t, nil, emulator.Options{})
	d.SetEnv(t)
	client, err := dts.NewClient(dts.Options{Region: d.Region, Endpoint: d.URL})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	now := func() time.Time { return fixedNow }
	svc := reset.New(client, reset.Options{Precheck: true, Verify: true, Now: now, Logger: logger})
	return New(svc, Options{APIToken: testToken, Logger: logger, Now: now}), d, &logs
}

func invoke(t *testing.T, h *Handler, requestID string, event []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: requestID})
	return h.Invoke(ctx, event)
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// replyForGolden renders a reply (or the JSON error of a failed invocation) readably, with the API's random
// RequestIds replaced by a placeholder.
func replyForGolden(t *testing.T, out []byte, err error) []byte {
	t.Helper()
	var v any
	if err != nil {
		v = map[string]any{"InvocationError": json.RawMessage(err.Error())}
	} else {
		var resp IntegrationResponse
		if json.Unmarshal(out, &resp) == nil && resp.StatusCode != 0 {
			v = map[string]any{"statusCode": resp.StatusCode, "headers": resp.Headers, "isBase64Encoded": resp.IsBase64Encoded, "body": json.RawMessage(resp.Body)}
		} else {
			v = json.RawMessage(out)
		}
	}
	b, merr := json.MarshalIndent(v, "", "  ")
	if merr != nil {
		t.Fatalf("reply is not JSON: %v: %s", merr, out)
	}
	return append(uuidPattern.ReplaceAll(b, []byte("<uuid>")), '\n')
}

// TestReplyGolden answers every event in events/, in name order, with the whole function against the
// emulator, and compares each reply with testdata/reply/<name>.golden (-update rewrites them). The group
// starts at offset 5 of 10 records on each of the 3 partitions; each reset moves it, so the golden files
// also record the CurrentOffset each reset saw.
func TestReplyGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	h, d, logs := newStack(t)
	d.Produce(t, testkit.Topic, 3, 10)
	d.Commit(t, testkit.Group, testkit.Topic, map[int32]int64{0: 5, 1: 5, 2: 5})
	for _, file := range eventFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, ierr := invoke(t, h, "req-"+name, data)
			got := replyForGolden(t, out, ierr)
			assertGolden(t, filepath.Join("testdata", "reply", name+".golden"), got)
		})
	}
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), d.Cred.SecretKey) {
		t.Errorf("a secret reached the log")
	}
}

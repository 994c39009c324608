package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"

	"dtsreset/internal/emulator"
)

// recorder is a RoundTripper that keeps the last raw answer, so a test sees what the SDK was sent.
type recorder struct {
	mu     sync.Mutex
	status int
	ctype  string
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.status, r.ctype, r.body = resp.StatusCode, resp.Header.Get("Content-Type"), b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestStatusFault checks the raw-answer fault: the HTTP status and body exactly as configured, no envelope,
// which the SDK reports as an unreadable reply; Times counts down as for the other kinds.
func TestStatusFault(t *testing.T) {
	detail := map[string]any{"SubscribeId": emulator.DemoSubscribeID}
	const page = "<html><body><h1>502 Bad Gateway</h1>upstream-secret-host</body></html>"
	tests := []struct {
		name     string
		fault    emulator.Fault
		wantCode string // the SDK's
	}{
		{"502 HTML page", emulator.Fault{Status: 502, Body: page}, "ClientError.ParseJsonError"},
		{"503 empty body", emulator.Fault{Status: 503}, "ClientError.ParseJsonError"},
		{"200 truncated JSON", emulator.Fault{Status: 200, Body: `{"Response": {"Items": [`}, "ClientError.ParseJsonError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEmulator(t, emulator.Options{})
			rec := &recorder{}
			env.client.WithHttpTransport(rec)
			f := tt.fault
			f.Action, f.Times = "DescribeSubscribeDetail", 2
			env.emu.InjectFault(f)
			for i := 0; i < 2; i++ {
				if got := codeOf(env.call(t, "DescribeSubscribeDetail", detail, nil)); got != tt.wantCode {
					t.Errorf("call %d: got %s, want %s", i, got, tt.wantCode)
				}
				rec.mu.Lock()
				if rec.status != f.Status || string(rec.body) != f.Body || rec.ctype != "text/html; charset=utf-8" {
					t.Errorf("call %d: answer %d %q %q, want %d %q text/html", i, rec.status, rec.ctype, rec.body, f.Status, f.Body)
				}
				rec.mu.Unlock()
			}
			env.mustCall(t, "DescribeSubscribeDetail", detail, nil) // Times 2 used up
			env.mustCall(t, "DescribeOffsetByTime", byTimeNow, nil) // other actions untouched
			if got := env.emu.Calls("DescribeSubscribeDetail"); got != 3 {
				t.Errorf("Calls = %d, want 3", got)
			}
		})
	}

	t.Run("from config, every action, forever", func(t *testing.T) {
		cfg, err := emulator.ParseConfig([]byte(`{"Region": "ap-guangzhou",
			"Credentials": [{"SecretId": "` + emulator.DemoSecretID + `", "SecretKey": "` + emulator.DemoSecretKey + `"}],
			"Subscriptions": [{"SubscribeId": "` + emulator.DemoSubscribeID + `", "TopicName": "` + emulator.DemoTopicName + `", "Partitions": 1}],
			"Faults": [{"Action": "*", "Status": 504, "Body": "gateway timeout"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		env := newTestEmulatorWith(t, cfg, emulator.Options{NoRateLimit: true})
		for _, action := range []string{"DescribeSubscribeDetail", "DescribeOffsetByTime", "DescribeSubscribeDetail"} {
			if got := codeOf(env.call(t, action, detail, nil)); got != "ClientError.ParseJsonError" {
				t.Errorf("%s: got %s, want ClientError.ParseJsonError", action, got)
			}
		}
	})
}

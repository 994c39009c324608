package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Region != "ap-guangzhou" || c.Endpoint != DefaultEndpoint || c.STSEndpoint != "" || !c.Precheck || !c.Verify || c.LogLevel != slog.LevelInfo {
		t.Errorf("got %+v, want defaults", c)
	}
}

func TestLoadOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"TENCENTCLOUD_REGION":         "ap-guangzhou",
		"DTS_REGION":                  "ap-shanghai",
		"DTS_ENDPOINT":                "http://127.0.0.1:9123",
		"DTS_ROLE_ARN":                "qcs::cam::uin/100000000001:roleName/dtsreset",
		"DTS_STS_ENDPOINT":            "http://127.0.0.1:9124",
		"RESET_API_TOKEN":             "0123456789abcdef",
		"RESET_ALLOWED_SUBSCRIBE_IDS": "subs-a1, subs-b2,",
		"RESET_PRECHECK":              "false",
		"RESET_VERIFY":                "0",
		"LOG_LEVEL":                   "debug",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Region != "ap-shanghai" {
		t.Errorf("Region: got %q, want ap-shanghai (DTS_REGION wins)", c.Region)
	}
	if c.Endpoint != "http://127.0.0.1:9123" || c.STSEndpoint != "http://127.0.0.1:9124" || c.RoleARN == "" || c.APIToken != "0123456789abcdef" {
		t.Errorf("got %+v", c)
	}
	if strings.Join(c.AllowedSubscribeIDs, ",") != "subs-a1,subs-b2" {
		t.Errorf("AllowedSubscribeIDs: got %v", c.AllowedSubscribeIDs)
	}
	if c.Precheck || c.Verify || c.LogLevel != slog.LevelDebug {
		t.Errorf("got Precheck=%v Verify=%v LogLevel=%v, want false false DEBUG", c.Precheck, c.Verify, c.LogLevel)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no region", map[string]string{}, "TENCENTCLOUD_REGION"},
		{"bad region", map[string]string{"DTS_REGION": "Guangzhou"}, "DTS_REGION"},
		{"bad endpoint path", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ENDPOINT": "http://127.0.0.1:9123/x"}, "DTS_ENDPOINT"},
		{"bad endpoint scheme", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ENDPOINT": "ftp://h"}, "DTS_ENDPOINT"},
		{"bad host", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ENDPOINT": "a b"}, "DTS_ENDPOINT"},
		// The same rule as the DTS client's (dts.ParseEndpoint): what passes here never fails at NewClient.
		{"endpoint with user", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ENDPOINT": "http://u:p@127.0.0.1:9123"}, "DTS_ENDPOINT"},
		{"endpoint with fragment", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ENDPOINT": "http://127.0.0.1:9123#f"}, "DTS_ENDPOINT"},
		{"bad STS endpoint", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_STS_ENDPOINT": "sts/x"}, "DTS_STS_ENDPOINT"},
		{"bad STS endpoint", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_STS_ENDPOINT": "http://127.0.0.1:9124/sts"}, "DTS_STS_ENDPOINT"},
		{"bad role", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "DTS_ROLE_ARN": "role"}, "DTS_ROLE_ARN"},
		{"short token", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_API_TOKEN": "abc"}, "RESET_API_TOKEN"},
		{"short token once trimmed", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_API_TOKEN": "  abc          \n"}, "RESET_API_TOKEN"},
		{"token with a space", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_API_TOKEN": "0123456789 abcdef"}, "RESET_API_TOKEN"},
		{"token with a control character", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_API_TOKEN": "0123456789\x00abcdef"}, "RESET_API_TOKEN"},
		{"bad allow-list", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_ALLOWED_SUBSCRIBE_IDS": "subs-ok,nope"}, "RESET_ALLOWED_SUBSCRIBE_IDS"},
		{"blank allow-list", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_ALLOWED_SUBSCRIBE_IDS": " , "}, "RESET_ALLOWED_SUBSCRIBE_IDS"},
		{"bad precheck", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_PRECHECK": "maybe"}, "RESET_PRECHECK"},
		{"bad verify", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_VERIFY": "yes please"}, "RESET_VERIFY"},
		{"bad log level", map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if ce.Variable != tt.want || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q (variable %s), want it to name %s", err, ce.Variable, tt.want)
			}
		})
	}
}

// TestTokenTrimmed: a token pasted with a newline is the token; callers' tokens are compared trimmed.
func TestTokenTrimmed(t *testing.T) {
	c, err := Load(env(map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESET_API_TOKEN": " 0123456789abcdef\n"}))
	if err != nil || c.APIToken != "0123456789abcdef" {
		t.Errorf("got %q, %v; want the token without the spaces", c.APIToken, err)
	}
}

// TestEndpointErrorHidesPassword: Load's error is logged at start (main.go).
func TestEndpointErrorHidesPassword(t *testing.T) {
	for _, v := range []string{"DTS_ENDPOINT", "DTS_STS_ENDPOINT"} {
		_, err := Load(env(map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", v: "http://proxy:S3cret-pw@127.0.0.1:9123"}))
		if err == nil || !strings.Contains(err.Error(), v) || strings.Contains(err.Error(), "S3cret-pw") {
			t.Errorf("%s: got %v, want an error naming %s without the password", v, err, v)
		}
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{"DTS_REGION": "X", "LOG_LEVEL": "loud"}))
	if err == nil || !strings.Contains(err.Error(), "DTS_REGION") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Errorf("got %v, want both DTS_REGION and LOG_LEVEL named", err)
	}
}

func TestVariablesNamesWithoutValues(t *testing.T) {
	_, err := Load(env(map[string]string{"DTS_REGION": "X", "DTS_ROLE_ARN": "secret-looking-value"}))
	got := strings.Join(Variables(err), ",")
	if got != "DTS_REGION,DTS_ROLE_ARN" {
		t.Errorf("got %q, want DTS_REGION,DTS_ROLE_ARN", got)
	}
	if Variables(nil) != nil {
		t.Error("Variables(nil): want none")
	}
}

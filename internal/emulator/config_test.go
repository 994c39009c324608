package emulator_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"dtsreset/internal/emulator"
)

func TestLoadConfigExample(t *testing.T) {
	cfg, err := emulator.LoadConfig(filepath.Join("testdata", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Faults) != 3 || cfg.Subscriptions[0].ConsumerGroups[0].Password != "secret12" || cfg.Credentials[0].SecretID != "AKIDexample" {
		t.Errorf("decoded %+v", cfg)
	}
	if err := emulator.DemoConfig().Validate(); err != nil {
		t.Errorf("DemoConfig: %v", err)
	}
	if _, err := emulator.LoadConfig(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want ErrNotExist", err)
	}
}

func TestConfigErrorsNameTheirPath(t *testing.T) {
	base := func(edit func(m map[string]any)) string {
		var m map[string]any
		b, _ := os.ReadFile(filepath.Join("testdata", "config.json"))
		_ = json.Unmarshal(b, &m)
		edit(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	sub := func(m map[string]any) map[string]any { return m["Subscriptions"].([]any)[0].(map[string]any) }
	grp := func(m map[string]any) map[string]any { return sub(m)["ConsumerGroups"].([]any)[0].(map[string]any) }
	tests := []struct {
		name, doc, wantPath string
	}{
		{"not an object", `[]`, ""},
		{"trailing data", `{} {}`, ""},
		{"unknown top field", base(func(m map[string]any) { m["Regoin"] = "x" }), "Regoin"},
		{"unknown nested field", base(func(m map[string]any) { grp(m)["Passwd"] = "x" }), "Subscriptions[0].ConsumerGroups[0].Passwd"},
		{"wrong type", base(func(m map[string]any) { sub(m)["Partitions"] = "3" }), "Subscriptions[0].Partitions"},
		{"null list", base(func(m map[string]any) { m["Credentials"] = nil }), "Credentials"},
		{"bad region", base(func(m map[string]any) { m["Region"] = "Guangzhou" }), "Region"},
		{"no credentials", base(func(m map[string]any) { m["Credentials"] = []any{} }), "Credentials"},
		{"empty key", base(func(m map[string]any) { m["Credentials"].([]any)[0].(map[string]any)["SecretKey"] = "" }), "Credentials[0].SecretKey"},
		{"bad subscribe id", base(func(m map[string]any) { sub(m)["SubscribeId"] = "SUBS-1" }), "Subscriptions[0].SubscribeId"},
		{"bad topic", base(func(m map[string]any) { sub(m)["TopicName"] = "a b" }), "Subscriptions[0].TopicName"},
		{"zero partitions", base(func(m map[string]any) { sub(m)["Partitions"] = 0 }), "Subscriptions[0].Partitions"},
		{"full group name", base(func(m map[string]any) { grp(m)["ConsumerGroupName"] = "consumer-grp-subs-demo000001-g1" }), "Subscriptions[0].ConsumerGroups[0].ConsumerGroupName"},
		{"group ends badly", base(func(m map[string]any) { grp(m)["ConsumerGroupName"] = "g1-" }), "Subscriptions[0].ConsumerGroups[0].ConsumerGroupName"},
		{"short password", base(func(m map[string]any) { grp(m)["Password"] = "abc" }), "Subscriptions[0].ConsumerGroups[0].Password"},
		{"unknown fault action", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["Action"] = "Reset" }), "Faults[1].Action"},
		{"drop and code", base(func(m map[string]any) { m["Faults"].([]any)[2].(map[string]any)["Code"] = "InternalError" }), "Faults[2].Drop"},
		{"negative times", base(func(m map[string]any) { m["Faults"].([]any)[0].(map[string]any)["Times"] = -1 }), "Faults[0].Times"},
		{"empty fault", `{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"Faults":[{"Action":"*"}]}`, "Faults[0].Code"},
		{"status too low", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["Status"] = 99 }), "Faults[1].Status"},
		{"status too high", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["Status"] = 600 }), "Faults[1].Status"},
		{"status and code", base(func(m map[string]any) { m["Faults"].([]any)[0].(map[string]any)["Status"] = 502 }), "Faults[0].Status"},
		{"status and drop", base(func(m map[string]any) { m["Faults"].([]any)[2].(map[string]any)["Status"] = 502 }), "Faults[2].Status"},
		{"body without status", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["Body"] = "<html>" }), "Faults[1].Body"},
		{"status not a number", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["Status"] = "502" }), "Faults[1].Status"},
		{"unknown fault field", base(func(m map[string]any) { m["Faults"].([]any)[1].(map[string]any)["HTTPStatus"] = 502 }), "Faults[1].HTTPStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := emulator.ParseConfig([]byte(tt.doc))
			var ce *emulator.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if ce.Path != tt.wantPath {
				t.Errorf("path %q (%v), want %q", ce.Path, err, tt.wantPath)
			}
		})
	}

	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(`{"Region": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "Region") {
		t.Errorf("LoadConfig: got %v, want the file and the path Region", err)
	}
}

// FuzzParseConfig: ParseConfig never panics; whatever it accepts is valid, and survives a JSON round trip
// unchanged.
func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	demo, _ := json.Marshal(emulator.DemoConfig())
	f.Add(demo)
	f.Add([]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		cfg, err := emulator.ParseConfig(doc)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		again, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg2, err := emulator.ParseConfig(again)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if !reflect.DeepEqual(normalize(cfg), normalize(cfg2)) {
			t.Fatalf("round trip changed %+v into %+v", cfg, cfg2)
		}
	})
}

// normalize makes absent and empty lists equal.
func normalize(c emulator.Config) emulator.Config {
	b, _ := json.Marshal(c)
	var out emulator.Config
	_ = json.Unmarshal(b, &out)
	for i := range out.Subscriptions {
		if len(out.Subscriptions[i].ConsumerGroups) == 0 {
			out.Subscriptions[i].ConsumerGroups = nil
		}
	}
	if len(out.Subscriptions) == 0 {
		out.Subscriptions = nil
	}
	if len(out.Faults) == 0 {
		out.Faults = nil
	}
	return out
}

package emulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dtsreset/internal/emulator"
)

func TestLoadConfigExample(t *testing.T) {
	cfg, err := emulator.LoadConfig(filepath.Join("testdata", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Faults) != 3 || cfg.Subscriptions[0].ConsumerGroups[0].Password != "secret12" || cfg.Credentials[0].SecretID != "AKIDexample" ||
		cfg.CheckpointSeconds != 10 || cfg.RetentionHours != 24 || cfg.KafkaSuperuser == nil || cfg.KafkaSuperuser.User != "dtslocal-admin" {
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
		{"negative checkpoint", base(func(m map[string]any) { m["CheckpointSeconds"] = -1 }), "CheckpointSeconds"},
		{"retention above a year", base(func(m map[string]any) { m["RetentionHours"] = 8761 }), "RetentionHours"},
		{"superuser not an object", base(func(m map[string]any) { m["KafkaSuperuser"] = "admin" }), "KafkaSuperuser"},
		{"superuser unknown field", base(func(m map[string]any) { m["KafkaSuperuser"] = map[string]any{"Name": "admin"} }), "KafkaSuperuser.Name"},
		{"superuser short password", base(func(m map[string]any) { m["KafkaSuperuser"] = map[string]any{"User": "admin", "Password": "abc"} }), "KafkaSuperuser.Password"},
		{"superuser as a DTS account", base(func(m map[string]any) {
			m["KafkaSuperuser"] = map[string]any{"User": "account-subs-demo000001-acct1", "Password": "abcd"}
		}), "KafkaSuperuser.User"},
		{"one account, two passwords", base(func(m map[string]any) {
			g2 := maps.Clone(grp(m))
			g2["ConsumerGroupName"], g2["Password"] = "g2", "other-password"
			sub(m)["ConsumerGroups"] = append(sub(m)["ConsumerGroups"].([]any), g2)
		}), "Subscriptions[0].ConsumerGroups[1].Password"},
		{"eleven groups", base(func(m map[string]any) {
			var gs []any
			for i := range 11 {
				g := maps.Clone(grp(m))
				g["ConsumerGroupName"] = fmt.Sprintf("g%d", i)
				gs = append(gs, g)
			}
			sub(m)["ConsumerGroups"] = gs
		}), "Subscriptions[0].ConsumerGroups"},
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

// FuzzParseConfig checks ParseConfig against a restatement of the configuration's rules written from
// docs/EMULATOR.md (and the messages of config.go), independent of Config.Validate and of ParseConfig's
// path-tracking decoder:
//   - configShape judges a generic decoding of the document: exact field names, JSON types, no null scalars;
//   - configViolations judges the values, each rule in plain Go, and lists every path at fault.
//
// Invariants: accepted ⇒ the document is one JSON object of the config shape, configViolations finds nothing,
// and the Config equals the one built from the generic decoding (and survives a marshal/parse round trip).
// Rejected ⇒ a *ConfigError whose message carries its Path; for a document that is not one JSON object the
// Path is the document's (""); otherwise the Path is one that configShape or configViolations flags, so a valid
// configuration is never rejected and a rejection always names a field really at fault.
func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	demo, _ := json.Marshal(emulator.DemoConfig())
	const minimal = `{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}]}`
	// edit returns config.json with one change, so each seed sits on one rule's boundary.
	edit := func(change func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			f.Fatal(err)
		}
		change(m)
		out, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		return out
	}
	sub := func(m map[string]any) map[string]any { return m["Subscriptions"].([]any)[0].(map[string]any) }
	grp := func(m map[string]any) map[string]any { return sub(m)["ConsumerGroups"].([]any)[0].(map[string]any) }
	cred := func(m map[string]any) map[string]any { return m["Credentials"].([]any)[0].(map[string]any) }
	fault := func(i int) func(m map[string]any) map[string]any {
		return func(m map[string]any) map[string]any { return m["Faults"].([]any)[i].(map[string]any) }
	}
	set := func(at func(map[string]any) map[string]any, k string, v any) []byte {
		return edit(func(m map[string]any) { at(m)[k] = v })
	}
	top := func(m map[string]any) map[string]any { return m }
	seeds := [][]byte{
		b, demo, []byte(minimal),
		// Partitions: 1-1024.
		set(sub, "Partitions", 1), set(sub, "Partitions", 1024), set(sub, "Partitions", 1025), set(sub, "Partitions", 0),
		set(sub, "Partitions", -1), set(sub, "Partitions", 3.5), set(sub, "Partitions", "3"), set(sub, "Partitions", nil),
		// SubscribeId: subs- and lowercase letters or digits, at most 64 chars.
		set(sub, "SubscribeId", "subs-"+strings.Repeat("a", 59)), set(sub, "SubscribeId", "subs-"+strings.Repeat("a", 60)),
		set(sub, "SubscribeId", "subs-"), set(sub, "SubscribeId", "subs-ABC"), set(sub, "SubscribeId", "subs-a\n"),
		// TopicName: a Kafka topic name.
		set(sub, "TopicName", "."), set(sub, "TopicName", ".."), set(sub, "TopicName", "..."), set(sub, "TopicName", strings.Repeat("t", 249)),
		set(sub, "TopicName", strings.Repeat("t", 250)), set(sub, "TopicName", "a b"), set(sub, "TopicName", ""),
		// Consumer groups: short names whose full Kafka name is valid, account, password, description.
		set(grp, "ConsumerGroupName", "g1-"), set(grp, "ConsumerGroupName", "consumer-grp-x"), set(grp, "ConsumerGroupName", "g.1"),
		set(grp, "ConsumerGroupName", strings.Repeat("g", 249-len("consumer-grp-subs-demo000001-"))),
		set(grp, "ConsumerGroupName", strings.Repeat("g", 250-len("consumer-grp-subs-demo000001-"))),
		set(grp, "AccountName", strings.Repeat("a", 128)), set(grp, "AccountName", strings.Repeat("a", 129)), set(grp, "AccountName", ""),
		set(grp, "Password", "abcd"), set(grp, "Password", "abc"), set(grp, "Password", strings.Repeat("p", 128)),
		set(grp, "Password", strings.Repeat("p", 129)), set(grp, "Description", strings.Repeat("d", 256)),
		set(grp, "Description", strings.Repeat("d", 257)), set(grp, "Passwd", "secret12"),
		edit(func(m map[string]any) {
			s := sub(m)
			s["ConsumerGroups"] = append(s["ConsumerGroups"].([]any), grp(m))
		}),
		// Credentials and Region.
		set(cred, "SecretId", "a/b"), set(cred, "SecretId", "a,b"), set(cred, "SecretId", "a b"), set(cred, "SecretId", "a\tb"), set(cred, "SecretId", ""),
		set(cred, "SecretKey", ""), set(cred, "Token", "tok"),
		edit(func(m map[string]any) { m["Credentials"] = append(m["Credentials"].([]any), cred(m)) }),
		set(top, "Region", "ap"), set(top, "Region", "ap-"), set(top, "Region", "AP-x"), set(top, "Region", "ap-guangzhou-1"),
		set(top, "Region", "-ap"), set(top, "Credentials", []any{}), set(top, "Credentials", nil), set(top, "RateLimitPerSecond", -1),
		edit(func(m map[string]any) { m["Subscriptions"] = append(m["Subscriptions"].([]any), sub(m)) }),
		edit(func(m map[string]any) { // another subscription on the same topic
			other := maps.Clone(sub(m))
			other["SubscribeId"] = "subs-other"
			m["Subscriptions"] = append(m["Subscriptions"].([]any), other)
		}),
		// Checkpoints, retention, the superuser.
		set(top, "CheckpointSeconds", 1), set(top, "CheckpointSeconds", 86400), set(top, "CheckpointSeconds", 86401),
		set(top, "CheckpointSeconds", -1), set(top, "RetentionHours", 8760), set(top, "RetentionHours", 8761),
		set(top, "RetentionHours", -1), set(top, "KafkaSuperuser", nil), set(top, "KafkaSuperuser", "admin"),
		set(top, "KafkaSuperuser", map[string]any{"User": "admin", "Password": "abcd"}),
		set(top, "KafkaSuperuser", map[string]any{"User": "admin", "Password": "abc"}),
		set(top, "KafkaSuperuser", map[string]any{"User": "account-x", "Password": "abcd"}),
		set(top, "KafkaSuperuser", map[string]any{"User": "a b", "Password": "abcd", "Extra": 1}),
		edit(func(m map[string]any) { // the same account with another password
			s := sub(m)
			other := maps.Clone(grp(m))
			other["ConsumerGroupName"], other["Password"] = "g2", "another1"
			s["ConsumerGroups"] = append(s["ConsumerGroups"].([]any), other)
		}),
		edit(func(m map[string]any) { // 11 groups
			s := sub(m)
			var gs []any
			for i := 0; i < 11; i++ {
				g := maps.Clone(grp(m))
				g["ConsumerGroupName"] = fmt.Sprintf("g%d", i)
				gs = append(gs, g)
			}
			s["ConsumerGroups"] = gs
		}),
		// Faults.
		set(fault(1), "DelayMs", 600000), set(fault(1), "DelayMs", 600001), set(fault(1), "DelayMs", -1),
		set(fault(1), "Status", 100), set(fault(1), "Status", 599), set(fault(1), "Status", 99), set(fault(1), "Status", 600),
		set(fault(1), "Body", "<html>"), set(fault(1), "Message", "m"), set(fault(2), "Code", "InternalError"),
		set(fault(0), "Code", "AuthFailure.SignatureFailure"), set(fault(0), "Code", "1x"), set(fault(0), "Code", "a..b"),
		set(fault(0), "Code", "Auth."), set(fault(0), "Times", -1), set(fault(0), "Action", "Reset"),
		set(fault(0), "Status", 502), set(fault(2), "Status", 502), set(fault(1), "Drop", "true"),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"Faults":[{"Action":"*"}]}`),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"Faults":[{"Action":"*","Status":502,"Body":"<html>502</html>"}]}`),
		// Hostile documents.
		[]byte(`{}`), []byte(`[]`), []byte(`null`), []byte(``), []byte(`{"Region":null}`), []byte(`{"Credentials":[null]}`),
		[]byte(`{"Subscriptions":{}}`), []byte(`{"region":"ap-guangzhou"}`), []byte(minimal + ` {}`), []byte(`{"Region":`),
		[]byte(`{"Region":"ap-guangzhou","Region":"ap-emulator.Beijing","Credentials":[{"SecretId":"a","SecretKey":"b"}]}`),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"Faults":[{"Action":"*","Drop":true}],"Faults":[{"Action":"*","DelayMs":1}]}`),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"\u00e9\ud800","SecretKey":"\xff"}]}`),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"RateLimitPerSecond":1e400}`),
		[]byte(`{"Region":"ap-guangzhou","Credentials":[{"SecretId":"a","SecretKey":"b"}],"RateLimitPerSecond":-0}`),
		// Found by this target: data after the object that begins with a closing bracket was ignored.
		[]byte(`{}}`), []byte(minimal + `}`), []byte(minimal + ` ]`),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		cfg, err := emulator.ParseConfig(doc)

		var tree any
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		trimmed := bytes.TrimSpace(doc)
		isObject := json.Valid(doc) && len(trimmed) > 0 && trimmed[0] == '{' && dec.Decode(&tree) == nil
		var shape []string
		if isObject {
			shape = configShape(tree)
		}

		if err == nil {
			if !isObject {
				t.Fatalf("accepted %q, which is not one JSON object", doc)
			}
			if len(shape) > 0 {
				t.Fatalf("accepted %q although %v are not of the config shape", doc, shape)
			}
			if err := checkConfig(cfg); err != nil {
				t.Fatalf("accepted %+v: %v", cfg, err)
			}
			if want := configFromTree(tree.(map[string]any)); !reflect.DeepEqual(normalize(cfg), normalize(want)) {
				t.Fatalf("decoded %+v, the document says %+v", cfg, want)
			}
			again, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg2, err := emulator.ParseConfig(again)
			if err != nil {
				t.Fatalf("round trip of %s: %v", again, err)
			}
			if !reflect.DeepEqual(normalize(cfg), normalize(cfg2)) {
				t.Fatalf("round trip changed %+v into %+v", cfg, cfg2)
			}
			return
		}

		var ce *emulator.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
		}
		if !strings.Contains(err.Error(), ce.Path) {
			t.Fatalf("error %q does not show its path %q", err, ce.Path)
		}
		switch {
		case !isObject:
			if ce.Path != "" {
				t.Fatalf("%q is not one JSON object, yet the error names %q: %v", doc, ce.Path, err)
			}
		case len(shape) > 0:
			if !slices.Contains(shape, ce.Path) {
				t.Fatalf("rejected with path %q (%v), but the fields not of the config shape are %v", ce.Path, err, shape)
			}
		default:
			bad := configViolations(configFromTree(tree.(map[string]any)))
			if len(bad) == 0 {
				t.Fatalf("rejected a valid config: %v\n%s", err, doc)
			}
			if !slices.Contains(bad, ce.Path) {
				t.Fatalf("rejected with path %q (%v), but the fields at fault are %v", ce.Path, err, bad)
			}
		}
	})
}

// The documented limits, restated here on purpose instead of read from the package.
const (
	docMaxPartitions = 1024    // "Partitions (1–1024)"
	docMaxDelayMs    = 600000  // ten minutes
	docMaxFaultBody  = 1 << 20 // a fault's Body is bounded like a request body
)

var docActions = []string{
	"ResetConsumerGroupOffset", "DescribeConsumerGroups", "DescribeOffsetByTime", "DescribeSubscribeDetail",
	"CreateConsumerGroup", "DeleteConsumerGroup",
}

type shapeKind int

const (
	shapeString shapeKind = iota
	shapeInt
	shapeBool
	shapeList
	shapeObject
)

type shapeField struct {
	kind shapeKind
	item map[string]shapeField // for shapeList: the fields of each item (an object); for shapeObject: its fields
}

var (
	groupShape = map[string]shapeField{
		"ConsumerGroupName": {kind: shapeString}, "AccountName": {kind: shapeString},
		"Password": {kind: shapeString}, "Description": {kind: shapeString},
	}
	subscriptionShape = map[string]shapeField{
		"SubscribeId": {kind: shapeString}, "TopicName": {kind: shapeString}, "Partitions": {kind: shapeInt},
		"ConsumerGroups": {kind: shapeList, item: groupShape},
	}
	credentialShape = map[string]shapeField{
		"SecretId": {kind: shapeString}, "SecretKey": {kind: shapeString}, "Token": {kind: shapeString},
	}
	faultShape = map[string]shapeField{
		"Action": {kind: shapeString}, "Code": {kind: shapeString}, "Message": {kind: shapeString},
		"DelayMs": {kind: shapeInt}, "Drop": {kind: shapeBool}, "Status": {kind: shapeInt},
		"Body": {kind: shapeString}, "Times": {kind: shapeInt},
	}
	superuserShape    = map[string]shapeField{"User": {kind: shapeString}, "Password": {kind: shapeString}}
	configShapeFields = map[string]shapeField{
		"Region": {kind: shapeString}, "RateLimitPerSecond": {kind: shapeInt},
		"CheckpointSeconds": {kind: shapeInt}, "RetentionHours": {kind: shapeInt},
		"KafkaSuperuser": {kind: shapeObject, item: superuserShape},
		"Credentials":    {kind: shapeList, item: credentialShape},
		"Subscriptions":  {kind: shapeList, item: subscriptionShape},
		"Faults":         {kind: shapeList, item: faultShape},
	}
)

// configShape lists the JSON paths of a generically decoded document (numbers as json.Number) that do not
// fit the config's shape: unknown fields (names are case-sensitive), wrong JSON types, null where a value is
// needed (a null list counts as absent), and list items that are not objects.
func configShape(doc any) []string {
	var bad []string
	var object func(v any, fields map[string]shapeField, path string)
	object = func(v any, fields map[string]shapeField, path string) {
		obj, ok := v.(map[string]any)
		if !ok {
			bad = append(bad, path)
			return
		}
		for name, val := range obj {
			p := name
			if path != "" {
				p = path + "." + name
			}
			field, known := fields[name]
			switch {
			case !known:
				bad = append(bad, p)
			case field.kind == shapeObject:
				if val != nil { // null: as if absent
					object(val, field.item, p)
				}
			case field.kind == shapeList:
				if val == nil {
					continue
				}
				items, ok := val.([]any)
				if !ok {
					bad = append(bad, p)
					continue
				}
				for i, item := range items {
					object(item, field.item, fmt.Sprintf("%s[%d]", p, i))
				}
			case !scalarFits(field.kind, val):
				bad = append(bad, p)
			}
		}
	}
	object(doc, configShapeFields, "")
	return bad
}

func scalarFits(kind shapeKind, v any) bool {
	switch kind {
	case shapeString:
		_, ok := v.(string)
		return ok
	case shapeBool:
		_, ok := v.(bool)
		return ok
	case shapeInt:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseInt(string(n), 10, strconv.IntSize)
		return err == nil
	}
	return false
}

// configFromTree builds the Config a document of the config shape describes, without encoding/json's struct
// decoding (which merges a repeated key's objects instead of replacing them).
func configFromTree(m map[string]any) emulator.Config {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	num := func(m map[string]any, k string) int {
		n, _ := strconv.ParseInt(string(asNumber(m[k])), 10, strconv.IntSize)
		return int(n)
	}
	items := func(m map[string]any, k string) []map[string]any {
		list, ok := m[k].([]any)
		if !ok {
			return nil
		}
		out := make([]map[string]any, len(list))
		for i, v := range list {
			out[i] = v.(map[string]any)
		}
		return out
	}
	cfg := emulator.Config{Region: str(m, "Region"), RateLimitPerSecond: num(m, "RateLimitPerSecond"),
		CheckpointSeconds: num(m, "CheckpointSeconds"), RetentionHours: num(m, "RetentionHours")}
	if su, ok := m["KafkaSuperuser"].(map[string]any); ok {
		cfg.KafkaSuperuser = &emulator.KafkaUser{User: str(su, "User"), Password: str(su, "Password")}
	}
	for _, c := range items(m, "Credentials") {
		cfg.Credentials = append(cfg.Credentials, emulator.Credential{SecretID: str(c, "SecretId"), SecretKey: str(c, "SecretKey"), Token: str(c, "Token")})
	}
	for _, s := range items(m, "Subscriptions") {
		sub := emulator.Subscription{SubscribeID: str(s, "SubscribeId"), TopicName: str(s, "TopicName"), Partitions: num(s, "Partitions")}
		for _, g := range items(s, "ConsumerGroups") {
			sub.ConsumerGroups = append(sub.ConsumerGroups, emulator.ConsumerGroup{
				ConsumerGroupName: str(g, "ConsumerGroupName"), AccountName: str(g, "AccountName"),
				Password: str(g, "Password"), Description: str(g, "Description"),
			})
		}
		cfg.Subscriptions = append(cfg.Subscriptions, sub)
	}
	for _, x := range items(m, "Faults") {
		drop, _ := x["Drop"].(bool)
		cfg.Faults = append(cfg.Faults, emulator.Fault{
			Action: str(x, "Action"), Code: str(x, "Code"), Message: str(x, "Message"), DelayMs: num(x, "DelayMs"),
			Drop: drop, Status: num(x, "Status"), Body: str(x, "Body"), Times: num(x, "Times"),
		})
	}
	return cfg
}

func asNumber(v any) json.Number {
	n, _ := v.(json.Number)
	return n
}

// checkConfig is configViolations as an error: nil when the configuration follows every documented rule.
func checkConfig(c emulator.Config) error {
	if bad := configViolations(c); len(bad) > 0 {
		return fmt.Errorf("invalid config at %s", strings.Join(bad, ", "))
	}
	return nil
}

// configViolations restates the rules of docs/EMULATOR.md's "Configuration file" in plain Go and returns the
// JSON path of every value that breaks one (a rule between two values is charged to the later one).
func configViolations(c emulator.Config) []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	// Region: lowercase letters, then one or more "-" parts of lowercase letters and digits (ap-guangzhou).
	parts := strings.Split(c.Region, "-")
	regionOK := len(parts) >= 2 && parts[0] != "" && onlyBytes(parts[0], isLower)
	for _, part := range parts[1:] {
		regionOK = regionOK && part != "" && onlyBytes(part, func(b byte) bool { return isLower(b) || isDigit(b) })
	}
	if !regionOK {
		add("Region")
	}

	// Credentials: at least one; a SecretId that fits in the Authorization header's Credential=ID/date/...
	// (no '/', ',' or whitespace) and is unique; a non-empty SecretKey.
	if len(c.Credentials) == 0 {
		add("Credentials")
	}
	for i, cr := range c.Credentials {
		if cr.SecretID == "" || strings.IndexFunc(cr.SecretID, func(r rune) bool {
			return r == '/' || r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
		}) >= 0 {
			add("Credentials[%d].SecretId", i)
		}
		for _, earlier := range c.Credentials[:i] {
			if earlier.SecretID == cr.SecretID {
				add("Credentials[%d].SecretId", i)
			}
		}
		if cr.SecretKey == "" {
			add("Credentials[%d].SecretKey", i)
		}
	}

	// CheckpointSeconds 0 (10) or 1-86400; RetentionHours 0 (24) or 1-8760.
	if c.CheckpointSeconds < 0 || c.CheckpointSeconds > 86400 {
		add("CheckpointSeconds")
	}
	if c.RetentionHours < 0 || c.RetentionHours > 8760 {
		add("RetentionHours")
	}
	// KafkaSuperuser, when present: a user of 1-128 Kafka-name chars not starting with account-, and a
	// password of 4-128 characters.
	if su := c.KafkaSuperuser; su != nil {
		if su.User == "" || len(su.User) > 128 || !onlyBytes(su.User, kafkaByte) || strings.HasPrefix(su.User, "account-") {
			add("KafkaSuperuser.User")
		}
		if len(su.Password) <= 3 || len(su.Password) > 128 {
			add("KafkaSuperuser.Password")
		}
	}

	for i, s := range c.Subscriptions {
		p := fmt.Sprintf("Subscriptions[%d]", i)
		// At most 10 consumer groups (DTS's limit).
		if len(s.ConsumerGroups) > 10 {
			add("%s.ConsumerGroups", p)
		}
		// SubscribeId: "subs-" + lowercase letters/digits, at most 64 chars; unique.
		rest, hasPrefix := strings.CutPrefix(s.SubscribeID, "subs-")
		if !hasPrefix || rest == "" || len(s.SubscribeID) > 64 || !onlyBytes(rest, func(b byte) bool { return isLower(b) || isDigit(b) }) {
			add("%s.SubscribeId", p)
		}
		// TopicName: a Kafka topic name; no two subscriptions share one.
		if !kafkaName(s.TopicName) {
			add("%s.TopicName", p)
		}
		for _, earlier := range c.Subscriptions[:i] {
			if earlier.SubscribeID == s.SubscribeID {
				add("%s.SubscribeId", p)
			}
			if earlier.TopicName == s.TopicName {
				add("%s.TopicName", p)
			}
		}
		if s.Partitions < 1 || s.Partitions > docMaxPartitions {
			add("%s.Partitions", p)
		}
		for j, g := range s.ConsumerGroups {
			gp := fmt.Sprintf("%s.ConsumerGroups[%d]", p, j)
			// ConsumerGroupName: the short name; consumer-grp-<SubscribeId>-<name> must be a Kafka group name,
			// and the short name ends with a letter or digit.
			name := g.ConsumerGroupName
			if name == "" || !onlyBytes(name, kafkaByte) || !(isLower(name[len(name)-1]) || isUpper(name[len(name)-1]) || isDigit(name[len(name)-1])) ||
				!kafkaName("consumer-grp-"+s.SubscribeID+"-"+name) || strings.HasPrefix(name, "consumer-grp-") {
				add("%s.ConsumerGroupName", gp)
			}
			for _, earlier := range s.ConsumerGroups[:j] {
				if earlier.ConsumerGroupName == name {
					add("%s.ConsumerGroupName", gp)
				}
			}
			if g.AccountName == "" || len(g.AccountName) > 128 || !onlyBytes(g.AccountName, kafkaByte) {
				add("%s.AccountName", gp)
			}
			if len(g.Password) <= 3 || len(g.Password) > 128 {
				add("%s.Password", gp)
			}
			// One account, one password: an account named again must have the same password.
			for _, earlier := range s.ConsumerGroups[:j] {
				if earlier.AccountName == g.AccountName && earlier.Password != g.Password {
					add("%s.Password", gp)
				}
			}
			if len(g.Description) > 256 {
				add("%s.Description", gp)
			}
		}
	}

	for i, x := range c.Faults {
		p := fmt.Sprintf("Faults[%d]", i)
		if x.Action != "*" && !slices.Contains(docActions, x.Action) {
			add("%s.Action", p)
		}
		// Code: an API error code, dot-separated words (AuthFailure.SignatureFailure), the first of letters.
		if x.Code != "" {
			words := strings.Split(x.Code, ".")
			codeOK := words[0] != "" && onlyBytes(words[0], func(b byte) bool { return isLower(b) || isUpper(b) })
			for _, w := range words[1:] {
				codeOK = codeOK && w != "" && onlyBytes(w, func(b byte) bool { return isLower(b) || isUpper(b) || isDigit(b) })
			}
			if !codeOK {
				add("%s.Code", p)
			}
		}
		// At most one of Drop, Code and Status; Message needs Code, Body needs Status.
		if x.Code != "" && x.Drop {
			add("%s.Drop", p)
		}
		if x.Status != 0 && (x.Code != "" || x.Drop) {
			add("%s.Status", p)
		}
		if x.Code == "" && x.Message != "" {
			add("%s.Message", p)
		}
		if x.Status != 0 && (x.Status < 100 || x.Status > 599) {
			add("%s.Status", p)
		}
		if (x.Status == 0 && x.Body != "") || len(x.Body) > docMaxFaultBody {
			add("%s.Body", p)
		}
		if x.DelayMs < 0 || x.DelayMs > docMaxDelayMs {
			add("%s.DelayMs", p)
		}
		if x.Times < 0 {
			add("%s.Times", p)
		}
		// A fault does something: Code, DelayMs, Drop or Status (reported at Code).
		if x.Code == "" && !x.Drop && x.Status == 0 && x.DelayMs == 0 {
			add("%s.Code", p)
		}
	}
	return bad
}

func kafkaName(s string) bool {
	return len(s) >= 1 && len(s) <= 249 && s != "." && s != ".." && onlyBytes(s, kafkaByte)
}

func kafkaByte(b byte) bool {
	return isLower(b) || isUpper(b) || isDigit(b) || b == '.' || b == '_' || b == '-'
}
func isLower(b byte) bool { return b >= 'a' && b <= 'z' }
func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func onlyBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
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
	if len(out.Credentials) == 0 {
		out.Credentials = nil
	}
	return out
}

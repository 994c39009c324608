package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const subs = "subs-635ns8r71g"

// now is the fixed invocation time of every test: 2024-05-16 12:00:00 in Beijing.
var now = time.Date(2024, 5, 16, 4, 0, 0, 0, time.UTC)

// baseFields is a valid reset; payload edits it.
var baseFields = [][2]string{
	{"SubscribeId", `"` + subs + `"`},
	{"TopicName", `"topic-subs-635ns8r71g-cdb-1"`},
	{"ConsumerGroupName", `"1"`},
	{"PartitionNos", `[0, 1]`},
	{"ResetMode", `"earliest"`},
}

// payload returns the valid base reset with edits applied. Edits are key, raw-JSON pairs: a key of the base gets
// the new value ("" removes it), any other key is appended (so typos and duplicates can be written).
func payload(edits ...string) string {
	fields := append([][2]string(nil), baseFields...)
	for i := 0; i+1 < len(edits); i += 2 {
		k, v := edits[i], edits[i+1]
		found := false
		for j := range fields {
			if fields[j][0] == k {
				fields[j][1], found = v, true
				break
			}
		}
		if !found {
			fields = append(fields, [2]string{k, v})
		}
	}
	var b strings.Builder
	b.WriteString("{")
	first := true
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		key, _ := json.Marshal(f[0])
		fmt.Fprintf(&b, "%s: %s", key, f[1])
	}
	b.WriteString("}")
	return b.String()
}

// baseRequest is what payload() with no edits decodes to.
func baseRequest() Request {
	return Request{
		SubscribeID:       subs,
		TopicName:         "topic-subs-635ns8r71g-cdb-1",
		ConsumerGroupName: "consumer-grp-" + subs + "-1",
		PartitionNos:      []int{0, 1},
		ResetMode:         "earliest",
	}
}

func TestPayloadValid(t *testing.T) {
	long64 := "subs-" + strings.Repeat("a", 59)
	topic249 := strings.Repeat("t", 249)
	many := make([]string, 1024)
	manyWant := make([]int, 1024)
	for i := range many {
		many[i] = fmt.Sprint(1023 - i) // any order is kept
		manyWant[i] = 1023 - i
	}
	tests := []struct {
		name string
		json string
		edit func(*Request)
	}{
		{"base", payload(), func(*Request) {}},
		{"short group name is expanded", payload("ConsumerGroupName", `"g1"`), func(r *Request) {
			r.ConsumerGroupName = "consumer-grp-" + subs + "-g1"
		}},
		{"full group name is kept", payload("ConsumerGroupName", `"consumer-grp-subs-635ns8r71g-1"`), func(*Request) {}},
		{"mode is case-insensitive and sent lowercase", payload("ResetMode", `"LaTeSt"`), func(r *Request) { r.ResetMode = "latest" }},
		{"numeric strings, order kept", payload("PartitionNos", `[3, "1", "12", 2]`), func(r *Request) { r.PartitionNos = []int{3, 1, 12, 2} }},
		{"numeric string with escapes", payload("PartitionNos", `["\u0031"]`), func(r *Request) { r.PartitionNos = []int{1} }},
		{"largest int32 partition", payload("PartitionNos", `[2147483647]`), func(r *Request) { r.PartitionNos = []int{2147483647} }},
		{"1024 partitions", payload("PartitionNos", "["+strings.Join(many, ",")+"]"), func(r *Request) { r.PartitionNos = manyWant }},
		{"AllPartitions instead of PartitionNos", payload("PartitionNos", "", "AllPartitions", "true"), func(r *Request) {
			r.PartitionNos, r.AllPartitions = nil, true
		}},
		{"AllPartitions false beside PartitionNos", payload("AllPartitions", "false"), func(*Request) {}},
		{"guards", payload("MaxReplay", "1000", "MaxSkip", "0"), func(r *Request) {
			r.MaxReplay, r.MaxSkip = ptr(int64(1000)), ptr(int64(0))
		}},
		{"guards null: none", payload("MaxReplay", "null", "MaxSkip", "null"), func(*Request) {}},
		{"AllPartitions true, PartitionNos null", payload("PartitionNos", "null", "AllPartitions", "true"), func(r *Request) {
			r.PartitionNos, r.AllPartitions = nil, true
		}},
		{"DryRun", payload("DryRun", "true"), func(r *Request) { r.DryRun = true }},
		{"null is absent", payload("DryRun", "null", "Region", "null"), func(*Request) {}},
		{"Region ap-guangzhou", payload("Region", `"ap-guangzhou"`), func(r *Request) { r.Region = "ap-guangzhou" }},
		{"Region na-siliconvalley", payload("Region", `"na-siliconvalley"`), func(r *Request) { r.Region = "na-siliconvalley" }},
		{"Region ap-shanghai-fsi", payload("Region", `"ap-shanghai-fsi"`), func(r *Request) { r.Region = "ap-shanghai-fsi" }},
		{"empty Region is absent", payload("Region", `""`), func(*Request) {}},
		{"SubscribeId of 64 chars", payload("SubscribeId", `"`+long64+`"`, "ConsumerGroupName", `"x"`), func(r *Request) {
			r.SubscribeID, r.ConsumerGroupName = long64, "consumer-grp-"+long64+"-x"
		}},
		{"TopicName of 249 chars", payload("TopicName", `"`+topic249+`"`), func(r *Request) { r.TopicName = topic249 }},
		{"empty ResetDatetime with latest is absent", payload("ResetMode", `"latest"`, "ResetDatetime", `""`), func(r *Request) { r.ResetMode = "latest" }},
		{"datetime", payload("ResetMode", `"datetime"`, "ResetDatetime", `"2023-05-16 00:00:00"`), func(r *Request) {
			r.ResetMode, r.ResetDatetime = "datetime", "2023-05-16 00:00:00"
		}},
		{"whitespace around the object", " \n\t" + payload() + "\r\n ", func(*Request) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := baseRequest()
			tt.edit(&want)
			got, err := Payload([]byte(tt.json), now)
			if err != nil {
				t.Fatalf("Payload: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Payload:\ngot  %+v\nwant %+v", got, want)
			}
			d, err := Decode([]byte(tt.json), now)
			if err != nil || d.Batch || len(d.Requests) != 1 || !reflect.DeepEqual(d.Requests[0], want) {
				t.Errorf("Decode = %+v, %v; want one request %+v, not a batch", d, err, want)
			}
		})
	}
}

// invalidCase is a payload that breaks exactly the rule named (the first FieldError is checked).
type invalidCase struct {
	name        string
	json        string
	field, rule string
	contains    []string // each must appear in the FieldError's message
}

func TestPayloadInvalid(t *testing.T) {
	tests := []invalidCase{
		// MaxReplay, MaxSkip
		{"MaxReplay negative", payload("MaxReplay", "-1"), "MaxReplay", "min", []string{"MaxReplay must be a whole number >= 0", "replay", "got -1"}},
		{"MaxSkip negative", payload("MaxSkip", "-20"), "MaxSkip", "min", []string{"MaxSkip must be a whole number >= 0", "skip", "got -20"}},
		{"MaxReplay a string", payload("MaxReplay", `"100"`), "MaxReplay", "type", []string{"MaxReplay must be a whole number of messages; got a string"}},
		{"MaxSkip a fraction", payload("MaxSkip", `1.5`), "MaxSkip", "type", []string{"MaxSkip must be a whole number of messages; got a number"}},
		{"MaxSkip beyond int64", payload("MaxSkip", `99999999999999999999`), "MaxSkip", "type", []string{"MaxSkip must be a whole number"}},
		// SubscribeId
		{"SubscribeId missing", payload("SubscribeId", ""), "SubscribeId", "required", []string{"SubscribeId is required"}},
		{"SubscribeId empty", payload("SubscribeId", `""`), "SubscribeId", "required", []string{"SubscribeId is required"}},
		{"SubscribeId without suffix", payload("SubscribeId", `"subs-"`), "SubscribeId", "subscribeid", []string{`"subs-" followed by lowercase letters and digits`, `got "subs-"`}},
		{"SubscribeId uppercase", payload("SubscribeId", `"subs-ABC"`), "SubscribeId", "subscribeid", []string{`got "subs-ABC"`}},
		{"SubscribeId wrong prefix", payload("SubscribeId", `"sub-abc"`), "SubscribeId", "subscribeid", []string{`got "sub-abc"`}},
		{"SubscribeId with underscore", payload("SubscribeId", `"subs-a_b"`), "SubscribeId", "subscribeid", []string{`got "subs-a_b"`}},
		{"SubscribeId with NUL", payload("SubscribeId", `"subs-a\u0000b"`), "SubscribeId", "subscribeid", []string{`\x00`}},
		{"SubscribeId too long", payload("SubscribeId", `"subs-`+strings.Repeat("a", 60)+`"`), "SubscribeId", "max", []string{"at most 64 characters", "got 65"}},
		{"SubscribeId a number", payload("SubscribeId", `12`), "SubscribeId", "type", []string{"SubscribeId must be a string; got a number"}},
		// TopicName
		{"TopicName missing", payload("TopicName", ""), "TopicName", "required", []string{"TopicName is required"}},
		{"TopicName with a space", payload("TopicName", `"my topic"`), "TopicName", "kafkaname", []string{"letters, digits, '.', '_' and '-'", `got "my topic"`}},
		{"TopicName dot", payload("TopicName", `"."`), "TopicName", "kafkaname", []string{`cannot be "." or ".."`}},
		{"TopicName dot dot", payload("TopicName", `".."`), "TopicName", "kafkaname", []string{`cannot be "." or ".."`}},
		{"TopicName too long", payload("TopicName", `"`+strings.Repeat("t", 250)+`"`), "TopicName", "max", []string{"at most 249 characters", "got 250"}},
		{"TopicName an array", payload("TopicName", `["t"]`), "TopicName", "type", []string{"must be a string; got an array"}},
		// ConsumerGroupName
		{"group missing", payload("ConsumerGroupName", ""), "ConsumerGroupName", "required", []string{"ConsumerGroupName is required", "consumer-grp-<SubscribeId>-<name>"}},
		{"group ends with a dash", payload("ConsumerGroupName", `"g-"`), "ConsumerGroupName", "groupname", []string{"must end with a letter or digit", `got "g-"`}},
		{"group ends with a dot", payload("ConsumerGroupName", `"g."`), "ConsumerGroupName", "groupname", []string{`got "g."`}},
		{"group with a slash", payload("ConsumerGroupName", `"g/1"`), "ConsumerGroupName", "kafkaname", []string{`got "g/1"`}},
		{"group of another subscription", payload("ConsumerGroupName", `"consumer-grp-subs-other0001-1"`), "ConsumerGroupName", "groupsubs",
			[]string{"another subscription", `got "consumer-grp-subs-other0001-1"`, "consumer-grp-" + subs + "-"}},
		{"group of a subscription that extends ours", payload("ConsumerGroupName", `"consumer-grp-`+subs+`x-1"`), "ConsumerGroupName", "groupsubs", []string{"another subscription"}},
		// Regression: a nested full name passed, and the precheck's short-name fallback found ...-g2 instead.
		{"nested full name", payload("ConsumerGroupName", `"consumer-grp-`+subs+`-consumer-grp-`+subs+`-g2"`), "ConsumerGroupName", "groupnested",
			[]string{"starts with consumer-grp- again", `got "consumer-grp-` + subs + `-consumer-grp-`}},
		{"nested full name of another subscription", payload("ConsumerGroupName", `"consumer-grp-`+subs+`-consumer-grp-subs-other0001-1"`), "ConsumerGroupName", "groupnested",
			[]string{"starts with consumer-grp- again"}},
		{"full group name without a short name", payload("ConsumerGroupName", `"consumer-grp-`+subs+`-"`), "ConsumerGroupName", "groupname", []string{"must end with a letter or digit"}},
		{"group too long as a full name", payload("ConsumerGroupName", `"`+strings.Repeat("g", 240)+`"`), "ConsumerGroupName", "max", []string{"at most 249 characters as the full name", "got 269"}},
		{"group a boolean", payload("ConsumerGroupName", `true`), "ConsumerGroupName", "type", []string{"must be a string; got a boolean"}},
		// PartitionNos and AllPartitions
		{"PartitionNos missing", payload("PartitionNos", ""), "PartitionNos", "required_without", []string{"required unless AllPartitions is true"}},
		{"PartitionNos empty", payload("PartitionNos", `[]`), "PartitionNos", "min", []string{"at least one partition"}},
		{"PartitionNos 1025", payload("PartitionNos", "["+strings.TrimSuffix(strings.Repeat("0,", 1025), ",")+"]"), "PartitionNos", "max", []string{"at most 1024 partitions", "got 1025"}},
		{"PartitionNos duplicate", payload("PartitionNos", `[4, 1, 7, 1]`), "PartitionNos", "unique", []string{"partition 1 more than once"}},
		{"PartitionNos duplicate across forms", payload("PartitionNos", `[4, "4"]`), "PartitionNos", "unique", []string{"partition 4 more than once"}},
		{"PartitionNos float", payload("PartitionNos", `[0, 1.5]`), "PartitionNos[1]", "type", []string{"whole partition number", "got 1.5"}},
		{"PartitionNos float 1.0", payload("PartitionNos", `[1.0]`), "PartitionNos[0]", "type", []string{"got 1.0"}},
		{"PartitionNos exponent", payload("PartitionNos", `[1e2]`), "PartitionNos[0]", "type", []string{"got 1e2"}},
		{"PartitionNos negative", payload("PartitionNos", `[0, -1]`), "PartitionNos[1]", "min", []string{"partition number >= 0", "got -1"}},
		{"PartitionNos negative string", payload("PartitionNos", `["-1"]`), "PartitionNos[0]", "min", []string{">= 0", "got -1"}},
		{"PartitionNos empty string", payload("PartitionNos", `[""]`), "PartitionNos[0]", "type", []string{`got ""`}},
		{"PartitionNos padded string", payload("PartitionNos", `[" 1"]`), "PartitionNos[0]", "type", []string{`got " 1"`}},
		{"PartitionNos word", payload("PartitionNos", `["one"]`), "PartitionNos[0]", "type", []string{`got "one"`}},
		{"PartitionNos beyond int32", payload("PartitionNos", `[2147483648]`), "PartitionNos[0]", "max", []string{"at most 2147483647", "got 2147483648"}},
		{"PartitionNos beyond int64", payload("PartitionNos", `[`+strings.Repeat("9", 400)+`]`), "PartitionNos[0]", "max", []string{"at most 2147483647", "…"}},
		{"PartitionNos below int64", payload("PartitionNos", `["-`+strings.Repeat("9", 30)+`"]`), "PartitionNos[0]", "min", []string{">= 0"}},
		{"PartitionNos boolean element", payload("PartitionNos", `[true]`), "PartitionNos[0]", "type", []string{"got a boolean"}},
		{"PartitionNos nested array", payload("PartitionNos", `[[0]]`), "PartitionNos[0]", "type", []string{"got an array"}},
		{"PartitionNos a string", payload("PartitionNos", `"0,1"`), "PartitionNos", "type", []string{"must be an array of partition numbers; got a string"}},
		{"PartitionNos with AllPartitions", payload("AllPartitions", `true`), "PartitionNos", "excluded_with", []string{"PartitionNos and AllPartitions are exclusive"}},
		{"empty PartitionNos with AllPartitions", payload("PartitionNos", `[]`, "AllPartitions", `true`), "PartitionNos", "excluded_with", []string{"exclusive"}},
		{"AllPartitions a string", payload("PartitionNos", "", "AllPartitions", `"true"`), "AllPartitions", "type", []string{"AllPartitions must be true or false; got a string"}},
		// ResetMode
		{"ResetMode missing", payload("ResetMode", ""), "ResetMode", "required", []string{"ResetMode is required", "earliest, latest, datetime"}},
		{"ResetMode typo", payload("ResetMode", `"earlist"`), "ResetMode", "oneof", []string{`ResetMode must be one of earliest, latest, datetime; got "earlist"`}},
		{"ResetMode typo keeps the caller's case", payload("ResetMode", `"Latests"`), "ResetMode", "oneof", []string{`got "Latests"`}},
		{"ResetMode a number", payload("ResetMode", `1`), "ResetMode", "type", []string{"ResetMode must be a string; got a number"}},
		// ResetDatetime
		{"ResetDatetime missing with datetime", payload("ResetMode", `"datetime"`), "ResetDatetime", "required_if",
			[]string{"required when ResetMode is datetime", "silently treat an empty one", "earliest"}},
		{"ResetDatetime empty with datetime", payload("ResetMode", `"datetime"`, "ResetDatetime", `""`), "ResetDatetime", "required_if", []string{"silently"}},
		{"ResetDatetime with latest", payload("ResetMode", `"latest"`, "ResetDatetime", `"2023-05-16 00:00:00"`), "ResetDatetime", "excluded_if",
			[]string{"only allowed when ResetMode is datetime", "got ResetMode latest"}},
		{"ResetDatetime with earliest", payload("ResetDatetime", `"now-1h"`), "ResetDatetime", "excluded_if", []string{"got ResetMode earliest"}},
		{"ResetDatetime a number", payload("ResetMode", `"datetime"`, "ResetDatetime", `1684166400`), "ResetDatetime", "type", []string{"must be a string; got a number"}},
		{"ResetDatetime bad form", payload("ResetMode", `"datetime"`, "ResetDatetime", `"yesterday"`), "ResetDatetime", "datetime", []string{`got "yesterday"`, "YYYY-MM-DD hh:mm:ss", "RFC 3339", "now-"}},
		// DryRun, Region
		{"DryRun a string", payload("DryRun", `"yes"`), "DryRun", "type", []string{"DryRun must be true or false; got a string"}},
		{"DryRun a number", payload("DryRun", `1`), "DryRun", "type", []string{"got a number"}},
		{"DryRun a huge number", payload("DryRun", "1"+strings.Repeat("0", 5000)), "DryRun", "type", []string{"got a number"}},
		{"Region capitalised", payload("Region", `"Ap-guangzhou"`), "Region", "region", []string{"region name such as ap-guangzhou", `got "Ap-guangzhou"`}},
		{"Region without dash", payload("Region", `"guangzhou"`), "Region", "region", []string{`got "guangzhou"`}},
		{"Region one letter", payload("Region", `"a-guangzhou"`), "Region", "region", nil},
		{"Region trailing dash", payload("Region", `"ap-guangzhou-"`), "Region", "region", nil},
		{"Region double dash", payload("Region", `"ap--guangzhou"`), "Region", "region", nil},
		{"Region underscore", payload("Region", `"ap_guangzhou"`), "Region", "region", nil},
		{"Region a number", payload("Region", `7`), "Region", "type", []string{"Region must be a string"}},
		// keys
		{"unknown field close to one", payload("ResetMod", `"latest"`), "ResetMod", "unknown", []string{"ResetMod: unknown field; did you mean ResetMode?"}},
		{"unknown field in another case", payload("subscribeID", `"x"`), "subscribeID", "unknown", []string{"did you mean SubscribeId?"}},
		{"unknown field two edits away", payload("PartitonNo", `[1]`), "PartitonNo", "unknown", []string{"did you mean PartitionNos?"}},
		{"unknown field far from all", payload("Foo", `1`), "Foo", "unknown", []string{"Foo: unknown field; the fields are SubscribeId, TopicName"}},
		{"unknown odd key is quoted", payload("a b\u0000", `1`), "a b\x00", "unknown", []string{`"a b\x00": unknown field`}},
		// Found by FuzzDecode (testdata/fuzz/FuzzDecode/dc600271e2e08ad4): an empty key gave a FieldError with no Field.
		{"empty key", payload("", `1`), `""`, "unknown", []string{`"": unknown field`}},
		{"Resets is not a field of one reset", payload("Resets", `[]`), "Resets", "unknown", []string{"Resets: unknown field"}},
		// payload() replaces a base key rather than repeating it, so the duplicates are written out.
		{"duplicate key", strings.TrimSuffix(payload(), "}") + `, "ResetMode": "latest"}`, "ResetMode", "duplicate",
			[]string{"ResetMode appears more than once"}},
		{"duplicate key with the same value", strings.TrimSuffix(payload(), "}") + `, "TopicName": "topic-subs-635ns8r71g-cdb-1"}`, "TopicName", "duplicate", nil},
		{"duplicate unknown key is unknown once", strings.TrimSuffix(payload(), "}") + `, "X": 1, "X": 2}`, "X", "unknown", nil},
	}
	runInvalid(t, tests)
}

func TestPayloadNotAnObject(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepInField := strings.TrimSuffix(payload(), "}") + `, "DryRun": ` + deep + "}"
	runInvalid(t, []invalidCase{
		{"empty", "", "payload", "json", []string{"payload is empty; a JSON object was expected"}},
		{"blank", " \n ", "payload", "json", []string{"JSON object was expected"}},
		{"array", `[{"ResetMode":"latest"}]`, "payload", "type", []string{"payload must be a JSON object; got an array"}},
		{"string", `"x"`, "payload", "type", []string{"JSON object; got a string"}},
		{"number", `12`, "payload", "type", []string{"JSON object; got a number"}},
		{"null", `null`, "payload", "type", []string{"JSON object; got null"}},
		{"trailing object", payload() + payload(), "payload", "json", []string{"exactly one JSON object", "unexpected data after it"}},
		{"trailing garbage", payload() + " x", "payload", "json", []string{"exactly one JSON object"}},
		{"syntax error", `{"ResetMode": latest}`, "payload", "json", []string{"payload is not valid JSON", "invalid character 'l'"}},
		{"truncated", `{"ResetMode": "lat`, "payload", "json", []string{"not valid JSON"}},
		{"single quotes", `{'ResetMode': 'latest'}`, "payload", "json", []string{"not valid JSON"}},
		{"invalid UTF-8", strings.Replace(payload(), "topic", "top\xffic", 1), "payload", "json",
			[]string{"not valid UTF-8", fmt.Sprintf("offset %d", strings.Index(payload(), "topic")+3)}},
		{"raw NUL byte", strings.Replace(payload(), "topic", "top\x00ic", 1), "payload", "json", []string{"not valid JSON"}},
		{"NUL before the object", "\x00" + payload(), "payload", "json", []string{"not valid JSON"}},
		{"deep nesting", deep, "payload", "json", []string{"nested too deeply"}},
		{"deep nesting in a field", deepInField, "payload", "json", []string{"nested too deeply"}},
	})
}

func runInvalid(t *testing.T, tests []invalidCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Payload([]byte(tt.json), now)
			checkFirst(t, err, tt.field, tt.rule, tt.contains)
			// Decode says the same about a single payload, except that it also suggests Resets.
			if tt.rule != ruleUnknown {
				d, err := Decode([]byte(tt.json), now)
				if d.Requests != nil {
					t.Errorf("Decode returned requests %+v with an error", d.Requests)
				}
				checkFirst(t, err, tt.field, tt.rule, tt.contains)
			}
		})
	}
}

// checkFirst checks that err is an *Error whose first FieldError is field/rule with a message containing each of
// contains, and that Error() lists that message.
func checkFirst(t *testing.T, err error, field, rule string, contains []string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if len(e.Fields) == 0 {
		t.Fatalf("err has no Fields: %v", e)
	}
	got := e.Fields[0]
	if got.Field != field || got.Rule != rule {
		t.Errorf("got field %q rule %q, want field %q rule %q (all: %+v)", got.Field, got.Rule, field, rule, e.Fields)
	}
	if !startsWithField(got.Message, field) {
		t.Errorf("message %q does not start with the field %q", got.Message, field)
	}
	for _, c := range contains {
		if !strings.Contains(got.Message, c) {
			t.Errorf("message %q does not contain %q", got.Message, c)
		}
	}
	if !strings.Contains(e.Error(), got.Message) {
		t.Errorf("Error() = %q does not list %q", e.Error(), got.Message)
	}
}

// startsWithField reports whether a message starts by naming its field (quoted when the key is odd).
func startsWithField(msg, field string) bool {
	return strings.HasPrefix(msg, field) || strings.HasPrefix(msg, displayKey(field))
}

func TestSuggestsResetsOnlyAtTheTop(t *testing.T) {
	_, err := Decode([]byte(payload("resets", `[]`)), now)
	checkFirst(t, err, "resets", "unknown", []string{"resets: unknown field; did you mean Resets?"})
	_, err = Payload([]byte(payload("resets", `[]`)), now)
	checkFirst(t, err, "resets", "unknown", []string{"resets: unknown field; the fields are"})
}

func TestEveryProblemIsReported(t *testing.T) {
	data := `{"SubscribeId": "SUBS-1", "TopicName": "a b", "ConsumerGroupName": "g-", "PartitionNos": [1, 1],
		"ResetMode": "earlist", "ResetDatetime": "2023-02-30 00:00:00", "DryRun": "no", "Region": "x", "Extra": 1}`
	_, err := Payload([]byte(data), now)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field+":"+f.Rule)
	}
	want := []string{"DryRun:type", "Extra:unknown", "SubscribeId:subscribeid", "TopicName:kafkaname",
		"ConsumerGroupName:groupname", "PartitionNos:unique", "ResetMode:oneof", "Region:region", "ResetDatetime:datetime"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields:\ngot  %v\nwant %v", got, want)
	}
	if !strings.HasPrefix(e.Error(), "invalid reset payload: DryRun must be true or false") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestErrorListsAtMostTen(t *testing.T) {
	elems := strings.TrimSuffix(strings.Repeat(`"x",`, 15), ",")
	_, err := Payload([]byte(payload("PartitionNos", "["+elems+"]")), now)
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) != 15 {
		t.Fatalf("err = %v, want 15 fields", err)
	}
	if !strings.HasSuffix(e.Error(), "; and 5 more") {
		t.Errorf("Error() = %q, want it to end with %q", e.Error(), "; and 5 more")
	}
}

func TestLongValuesAreShortenedInMessages(t *testing.T) {
	_, err := Payload([]byte(payload("ResetMode", `"`+strings.Repeat("x", 10000)+`"`)), now)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if len(e.Fields[0].Message) > 200 {
		t.Errorf("message is %d bytes long: %q", len(e.Fields[0].Message), e.Fields[0].Message)
	}
}

func TestSuggest(t *testing.T) {
	cands := fieldNames[:]
	for _, tt := range []struct{ key, want string }{
		{"ResetMod", "ResetMode"},
		{"resetmode", "ResetMode"},
		{"RESETDATETIME", "ResetDatetime"},
		{"ResetDateTime", "ResetDatetime"},
		{"SubscribeID", "SubscribeId"},
		{"Topic", ""},
		{"TopicNames", "TopicName"},
		{"PartitionNo", "PartitionNos"},
		{"dryrun", "DryRun"},
		{"Regoin", "Region"},
		{"x", ""},
		{strings.Repeat("x", 1000), ""},
	} {
		if got := Suggest(tt.key, cands); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// BenchmarkPayload decodes a typical datetime reset; the handler's budget for a whole reset is 100 µs and 300
// allocations, so this should stay well inside both.
func BenchmarkPayload(b *testing.B) {
	data := []byte(payload("ResetMode", `"datetime"`, "ResetDatetime", `"2024-05-16T00:00:00+08:00"`, "PartitionNos", `[0, "1", 2, 3]`, "DryRun", "true"))
	if _, err := Payload(data, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Payload(data, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRepeatedUnknownKeyIsReportedOnce(t *testing.T) {
	_, err := Payload([]byte(strings.TrimSuffix(payload(), "}")+`, "X": 1, "X": 2, "X": 3}`), now)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if len(e.Fields) != 1 || e.Fields[0].Field != "X" || e.Fields[0].Rule != "unknown" {
		t.Errorf("Fields = %+v, want one X:unknown", e.Fields)
	}
}

func ptr[T any](v T) *T { return &v }

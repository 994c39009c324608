package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fuzzSpecs are the parameter lists parseParams is fuzzed against: every action's, in name order, and one
// with each kind both required and optional.
func fuzzSpecs() []map[string]spec {
	out := make([]map[string]spec, 0, len(actions)+1)
	for _, name := range actionNames() {
		out = append(out, actions[name].params)
	}
	return append(out, map[string]spec{
		"S": {kString, true}, "I": {kInt, true}, "L": {kIntList, true},
		"s": {kString, false}, "i": {kInt, false}, "l": {kIntList, false},
	})
}

// FuzzParseParams checks the request-body decoder against the API's documented rules, restated here on a
// generic decoding of the body (numbers as json.Number): the body is one JSON object (an empty body counts as
// {}); a parameter the action does not have is UnknownParameter; a required one that is absent or null is
// MissingParameter; a string parameter is a JSON string, an integer one a JSON integer that fits int64, a
// list one an array of such integers or of strings holding one (surrounding spaces allowed); anything else
// is InvalidParameter.
//
// Invariants: it never panics; on success the body was a JSON object breaking none of the rules, every
// non-null parameter is decoded (and nothing else) with the body's value, and the decoded parameters
// re-encode to a JSON body that decodes to the same parameters; on failure the error is an *apiError whose
// Code is one of the three parameter codes, a rule of that code is really broken, and the message names the
// parameter that breaks it; a body breaking no rule is never refused.
func FuzzParseParams(f *testing.F) {
	seeds := []struct {
		specs uint8
		body  string
	}{
		{0, `{"SubscribeId":"subs-demo000001","ConsumerGroupName":"g1","AccountName":"acct1","Password":"secret12","Description":"d"}`},
		{1, `{"SubscribeId":"subs-demo000001","ConsumerGroupName":"consumer-grp-subs-demo000001-g1","AccountName":"acct1"}`},
		{2, `{"SubscribeId":"subs-demo000001","Offset":0,"Limit":100}`},
		{2, `{"SubscribeId":"subs-demo000001","Offset":-1,"Limit":9223372036854775807}`},
		{2, `{"SubscribeId":"subs-demo000001","Limit":9223372036854775808}`},
		{2, `{"SubscribeId":"subs-demo000001","Limit":1.0}`},
		{2, `{"SubscribeId":"subs-demo000001","Limit":1e2}`},
		{2, `{"SubscribeId":"subs-demo000001","Limit":"10"}`},
		{2, `{"SubscribeId":"subs-demo000001","Offset":null}`},
		{3, `{"SubscribeId":"subs-demo000001","Time":"2024-01-02 03:04:05"}`},
		{4, `{"SubscribeId":"subs-demo000001"}`},
		{4, ``},
		{4, `   `},
		{4, `{}`},
		{4, `{"SubscribeId":null}`},
		{4, `{"SubscribeId":1}`},
		{4, `{"SubscribeId":"a","SubscribeId":"b"}`},
		{4, `{"subscribeid":"subs-demo000001"}`},
		{4, `{"SubscribeId":"subs-demo000001","Extra":1}`},
		{4, `{"SubscribeId":"\ud800\u00e9\xff"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"topic-subs-demo000001-cdb-1","ConsumerGroupName":"g1","PartitionNos":[0,1,2],"ResetMode":"earliest"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":["0"," 1 ","+2"],"ResetMode":"datetime","ResetDatetime":"2024-01-02 03:04:05"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":[],"ResetMode":"latest"}`},
		// Found by this target: a null partition once decoded as partition 0, and data after the object was
		// ignored when it began with a closing bracket.
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":[null],"ResetMode":"earliest"}`},
		{4, `{}}`},
		{4, `{"SubscribeId":"subs-demo000001"}]`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":"0","ResetMode":"latest"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":[1.5],"ResetMode":"latest"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":["x"],"ResetMode":"latest"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","PartitionNos":[[1]],"ResetMode":"latest"}`},
		{5, `{"SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"g1","ResetMode":"latest"}`},
		{6, `{"S":"","I":-9223372036854775808,"L":[9223372036854775807,"-9223372036854775808"],"s":null,"i":null,"l":null}`},
		{6, `{"S":"x","I":1,"L":[],"l":[true]}`},
		{6, `{"S":"x","I":1,"L":[{}]}`},
		{6, `[]`},
		{6, `null`},
		{6, `"x"`},
		{6, `{"S":"x"} {}`},
		{6, `{"S":`},
		{6, `{"S":"x","I":1,"L":[1]}` + "\n"},
		{6, `{"S":"x","I":null,"L":[1,"2"],"l":null,"i":true,"s":false}`},
	}
	for _, s := range seeds {
		f.Add(s.specs, []byte(s.body))
	}
	all := fuzzSpecs()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		specs := all[int(which)%len(all)]
		p, err := parseParams(body, specs)

		trimmed := bytes.TrimSpace(body)
		if len(trimmed) == 0 {
			trimmed = []byte("{}")
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		isObject := json.Valid(trimmed) && trimmed[0] == '{' && dec.Decode(&doc) == nil

		// What the rules say of this body, per broken rule the parameters breaking it.
		var unknown, missing, invalid []string
		if isObject {
			for name, v := range doc {
				s, known := specs[name]
				switch {
				case !known:
					unknown = append(unknown, name)
				case v != nil && !fitsKind(s.kind, v):
					invalid = append(invalid, name)
				}
			}
			for name, s := range specs {
				if v, ok := doc[name]; s.required && (!ok || v == nil) {
					missing = append(missing, name)
				}
			}
		}

		if err == nil {
			if !isObject {
				t.Fatalf("accepted %q, which is not one JSON object", body)
			}
			if len(unknown)+len(missing)+len(invalid) > 0 {
				t.Fatalf("accepted %q: unknown %q, missing %q, invalid %q", body, unknown, missing, invalid)
			}
			checkDecoded(t, specs, doc, p)
			again, err := json.Marshal(encodeParams(p))
			if err != nil {
				t.Fatal(err)
			}
			p2, err := parseParams(again, specs)
			if err != nil {
				t.Fatalf("re-encoded %s is refused: %v", again, err)
			}
			if !reflect.DeepEqual(p, p2) {
				t.Fatalf("round trip through %s changed %+v into %+v", again, p, p2)
			}
			return
		}

		var ae *apiError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v (%T) is not an *apiError", err, err)
		}
		names := func(list []string) bool {
			return slices.ContainsFunc(list, func(name string) bool { return strings.Contains(ae.Message, name) })
		}
		switch {
		case ae.Code != "InvalidParameter" && ae.Code != "UnknownParameter" && ae.Code != "MissingParameter":
			t.Fatalf("code %s is not a parameter error code: %v", ae.Code, err)
		case !isObject:
			if ae.Code != "InvalidParameter" {
				t.Fatalf("%q is not a JSON object, want InvalidParameter, got %v", body, err)
			}
		case len(unknown)+len(missing)+len(invalid) == 0:
			t.Fatalf("refused %q, which breaks no rule: %v", body, err)
		case ae.Code == "UnknownParameter" && !names(unknown):
			t.Fatalf("%v does not name an unknown parameter of %q (%q)", err, body, unknown)
		case ae.Code == "MissingParameter" && !names(missing):
			t.Fatalf("%v does not name a missing parameter of %q (%q)", err, body, missing)
		case ae.Code == "InvalidParameter" && !names(invalid):
			t.Fatalf("%v does not name an invalid parameter of %q (%q)", err, body, invalid)
		}
	})
}

// fitsKind reports whether a non-null JSON value (numbers as json.Number) is of the parameter's kind.
func fitsKind(k kind, v any) bool {
	switch k {
	case kString:
		_, ok := v.(string)
		return ok
	case kInt:
		_, ok := jsonInt(v)
		return ok
	case kIntList:
		items, ok := v.([]any)
		if !ok {
			return false
		}
		for _, item := range items {
			if _, ok := listInt(item); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// jsonInt is a JSON number that is an integer within int64, written without fraction or exponent.
func jsonInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

// listInt is a list item: a JSON integer, or a string holding a decimal int64 with optional spaces around.
func listInt(v any) (int64, bool) {
	if s, ok := v.(string); ok {
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return i, err == nil
	}
	return jsonInt(v)
}

// checkDecoded compares the decoded parameters with the body's values: every non-null parameter is in the
// map of its kind with the body's value, and nothing else is decoded.
func checkDecoded(t *testing.T, specs map[string]spec, doc map[string]any, p *params) {
	t.Helper()
	count := 0
	for name, v := range doc {
		if v == nil {
			continue
		}
		count++
		switch specs[name].kind {
		case kString:
			if got, ok := p.strs[name]; !ok || got != v.(string) {
				t.Fatalf("%s: decoded %q (%v), the body says %q", name, got, ok, v)
			}
		case kInt:
			want, _ := jsonInt(v)
			if got, ok := p.ints[name]; !ok || got != want {
				t.Fatalf("%s: decoded %d (%v), the body says %v", name, got, ok, v)
			}
		case kIntList:
			items := v.([]any)
			got, ok := p.list[name]
			if !ok || len(got) != len(items) {
				t.Fatalf("%s: decoded %v (%v), the body says %v", name, got, ok, v)
			}
			for i, item := range items {
				if want, _ := listInt(item); got[i] != want {
					t.Fatalf("%s[%d]: decoded %d, the body says %v", name, i, got[i], item)
				}
			}
		}
	}
	if n := len(p.strs) + len(p.ints) + len(p.list); n != count {
		t.Fatalf("decoded %d parameters from %d non-null ones: %+v", n, count, p)
	}
}

// encodeParams is the JSON body that sends p.
func encodeParams(p *params) map[string]any {
	m := map[string]any{}
	for k, v := range p.strs {
		m[k] = v
	}
	for k, v := range p.ints {
		m[k] = v
	}
	for k, v := range p.list {
		m[k] = v
	}
	return m
}

package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzBatch puts fuzzed items inside {"Resets":[...]} (the item text repeated 1 to 64 times, so the 50-item
// limit is crossed too) and runs Decode. Invariants:
//   - it never panics;
//   - on failure err is an *Error, no request is returned, and every FieldError names Resets itself, the payload
//     as a whole (payload: not JSON, not UTF-8, nested too deeply), a top-level key the document really has (an
//     item text such as `], "x": [` closes the array early), or an item Resets[i] of the array;
//   - the batch is validated whole (SPEC §3): when its shape is right (1 to 50 elements), it is refused exactly
//     when some element is refused alone, and then its FieldErrors are, in order, every element's own problems
//     (those Payload finds in it) under the element's path Resets[i];
//   - on success it is a batch with one request per element of Resets as encoding/json reads it (1 to 50), each
//     satisfying every rule of SPEC §3 as checkRequest below states it (written independently of the
//     validator, so the two cannot share a bug) and equal to what Payload makes of the element alone.
func FuzzBatch(f *testing.F) {
	for _, seed := range []struct {
		items  string
		repeat uint8
	}{
		{payload(), 1},
		{payload(), 50},
		{payload(), 51},
		{payload("ResetMode", `"datetime"`, "ResetDatetime", `"now-2h"`), 2},
		{payload("PartitionNos", "", "AllPartitions", "true"), 3},
		{payload() + ", 3, {}, null, []", 1},
		{payload("ResetMod", `"latest"`), 1},
		{payload("PartitionNos", `[1e400, 99999999999999999999999, -0, 1.0]`), 1},
		{strings.TrimSuffix(payload(), "}") + `, "ResetMode": "latest"}`, 1},
		{`], "ResetMode": "x", "Resets": [`, 1},
		{`], "x": [`, 1},
		{``, 1},
		{"{\"SubscribeId\":\"subs-\xff\"}", 1},
		{`{"SubscribeId":"subs-dem\u043e000001"}`, 1},
		{strings.Repeat("[", 20000), 1},
	} {
		f.Add([]byte(seed.items), seed.repeat)
	}
	f.Fuzz(func(t *testing.T, items []byte, repeat uint8) {
		n := int(repeat)%64 + 1
		var doc bytes.Buffer
		doc.WriteString(`{"Resets":[`)
		for i := range n {
			if i > 0 {
				doc.WriteByte(',')
			}
			doc.Write(items)
		}
		doc.WriteString(`]}`)
		data := doc.Bytes()

		d, err := Decode(data, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Fields) == 0 {
				t.Fatalf("got %v (%T), want an *Error with FieldErrors", err, err)
			}
			keys := topLevelKeys(data)
			for _, fe := range e.Fields {
				if fe.Field == "" || fe.Rule == "" || fe.Message == "" {
					t.Fatalf("incomplete FieldError %+v", fe)
				}
				if fe.Field == "Resets" || fe.Field == rootFieldName || keys[fe.Field] || strings.HasPrefix(fe.Field, "Resets[") {
					continue
				}
				t.Fatalf("FieldError %+v names neither Resets, an item, the payload nor a top-level key (have %v)", fe, keys)
			}
			if d.Requests != nil {
				t.Fatalf("requests %+v returned with an error", d.Requests)
			}
		}
		var parsed struct{ Resets []json.RawMessage }
		if !utf8.Valid(data) || json.Unmarshal(data, &parsed) != nil || len(parsed.Resets) < 1 || len(parsed.Resets) > maxBatch ||
			len(topLevelKeys(data)) != 1 || bytes.Count(data, []byte(`"Resets"`)) != 1 {
			if err == nil {
				t.Fatalf("Decode accepted a batch of the wrong shape (%d elements)", len(parsed.Resets))
			}
			return
		}
		var want []string // every element's own problems, under its path
		for i, raw := range parsed.Resets {
			path := "Resets[" + strconv.Itoa(i) + "]"
			if raw[0] != '{' {
				want = append(want, path+":"+ruleType)
				continue
			}
			if _, aloneErr := Payload(raw, now); aloneErr != nil {
				for _, fe := range aloneErr.(*Error).Fields {
					want = append(want, path+"."+fe.Field+":"+fe.Rule+":"+fe.Message)
				}
			}
		}
		if err != nil {
			var got []string
			for _, fe := range err.(*Error).Fields {
				if strings.HasPrefix(fe.Field, "Resets[") && !strings.Contains(fe.Field, ".") {
					got = append(got, fe.Field+":"+fe.Rule)
					continue
				}
				path, _, _ := strings.Cut(fe.Field, ".")
				got = append(got, fe.Field+":"+fe.Rule+":"+strings.TrimPrefix(fe.Message, path+"."))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the batch's problems are not its items' own:\nbatch %q\nitems %q", got, want)
			}
			return
		}
		if len(want) > 0 {
			t.Fatalf("Decode accepted a batch whose items have problems %q", want)
		}
		if !d.Batch {
			t.Fatalf("a document with Resets decoded as a single reset")
		}
		if len(d.Requests) != len(parsed.Resets) {
			t.Fatalf("got %d requests for the %d elements of Resets, want one each", len(d.Requests), len(parsed.Resets))
		}
		checkRequests(t, d, now)
		for i, req := range d.Requests {
			alone, aloneErr := Payload(parsed.Resets[i], now)
			if aloneErr != nil || !reflect.DeepEqual(alone, req) {
				t.Fatalf("Resets[%d] decodes differently alone:\nin the batch %+v\nalone        %+v (%v)", i, req, alone, aloneErr)
			}
		}
	})
}

// checkRequests states what every successful Decode returns: 1 to 50 requests (exactly 1 for a single reset),
// each satisfying checkRequest.
func checkRequests(t *testing.T, d Decoded, now time.Time) {
	t.Helper()
	if len(d.Requests) == 0 || len(d.Requests) > maxBatch || !d.Batch && len(d.Requests) != 1 {
		t.Fatalf("got %d requests (batch %v), want 1 to %d, and 1 for a single reset", len(d.Requests), d.Batch, maxBatch)
	}
	for i, req := range d.Requests {
		if err := checkRequest(req, now); err != nil {
			t.Fatalf("request %d %+v breaks a rule: %v", i, req, err)
		}
	}
}

// topLevelKeys returns the keys of the JSON object data (rendered as keyField renders them), or nothing when
// data is not one valid object.
func topLevelKeys(data []byte) map[string]bool {
	keys := map[string]bool{}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return keys
	}
	// Unmarshal keeps the last duplicate; every key is there once, which is all that is needed here.
	for k := range obj {
		keys[keyField("", k)] = true
	}
	return keys
}

var (
	subscribeIDPattern = regexp.MustCompile(`^subs-[a-z0-9]+$`)
	kafkaNamePattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
)

// checkRequest states the rules of SPEC §3 for a validated, normalised Request without the validator, so the
// fuzz targets check the validator rather than repeat it.
func checkRequest(r Request, now time.Time) error {
	switch {
	case len(r.SubscribeID) > 64 || !subscribeIDPattern.MatchString(r.SubscribeID):
		return fmt.Errorf("SubscribeId %q", r.SubscribeID)
	case !kafkaNamePattern.MatchString(r.TopicName) || r.TopicName == "." || r.TopicName == "..":
		return fmt.Errorf("TopicName %q", r.TopicName)
	case !kafkaNamePattern.MatchString(r.ConsumerGroupName) || !isAlnum(r.ConsumerGroupName[len(r.ConsumerGroupName)-1]):
		return fmt.Errorf("ConsumerGroupName %q", r.ConsumerGroupName)
	case !strings.HasPrefix(r.ConsumerGroupName, "consumer-grp-"+r.SubscribeID+"-") ||
		len(r.ConsumerGroupName) == len("consumer-grp-"+r.SubscribeID+"-"):
		return fmt.Errorf("ConsumerGroupName %q is not the full name of a group of %s", r.ConsumerGroupName, r.SubscribeID)
	case strings.HasPrefix(strings.TrimPrefix(r.ConsumerGroupName, "consumer-grp-"+r.SubscribeID+"-"), "consumer-grp-"):
		return fmt.Errorf("ConsumerGroupName %q is nested: its short part is a full name", r.ConsumerGroupName)
	case r.AllPartitions == (len(r.PartitionNos) > 0):
		return fmt.Errorf("AllPartitions %v with %d PartitionNos: exactly one of them", r.AllPartitions, len(r.PartitionNos))
	case len(r.PartitionNos) > 1024:
		return fmt.Errorf("%d PartitionNos", len(r.PartitionNos))
	case r.Region != "" && !regionPattern.MatchString(r.Region):
		return fmt.Errorf("Region %q", r.Region)
	case r.MaxReplay != nil && *r.MaxReplay < 0, r.MaxSkip != nil && *r.MaxSkip < 0:
		return fmt.Errorf("a negative guard: MaxReplay %v MaxSkip %v", r.MaxReplay, r.MaxSkip)
	}
	seen := make(map[int]bool, len(r.PartitionNos))
	for _, p := range r.PartitionNos {
		if p < 0 || p > 2147483647 || seen[p] {
			return fmt.Errorf("PartitionNos %v: out of range or repeated", r.PartitionNos)
		}
		seen[p] = true
	}
	switch r.ResetMode {
	case "earliest", "latest":
		if r.ResetDatetime != "" {
			return fmt.Errorf("ResetDatetime %q with ResetMode %s", r.ResetDatetime, r.ResetMode)
		}
	case "datetime":
		at, err := time.ParseInLocation(time.DateTime, r.ResetDatetime, time.FixedZone("Beijing", 8*3600))
		if err != nil {
			return fmt.Errorf("ResetDatetime %q is not YYYY-MM-DD hh:mm:ss: %v", r.ResetDatetime, err)
		}
		if at.After(now.Add(time.Minute)) {
			return fmt.Errorf("ResetDatetime %q is more than a minute after %v", r.ResetDatetime, now)
		}
	default:
		return fmt.Errorf("ResetMode %q", r.ResetMode)
	}
	return nil
}

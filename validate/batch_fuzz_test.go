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
)

// FuzzBatch puts fuzzed items inside {"Resets":[...]} (the item text repeated 1 to 64 times, so the 50-item
// limit is crossed too) and runs Decode. Invariants:
//   - it never panics;
//   - on failure (a problem of the batch as a whole) err is an *Error, no item is returned, and every FieldError
//     names Resets itself, the payload as a whole (payload: not JSON, not UTF-8, nested too deeply) or a
//     top-level key the document really has (an item text such as `], "x": [` closes the array early); never an
//     item (Resets[i]...): an item's problems are that item's own;
//   - on success it is a batch with one item per element of Resets as encoding/json reads it (1 to 50), and each
//     item is what the element decodes to alone: a valid item satisfies every rule of SPEC §3 as checkRequest
//     below states it (written independently of the validator, so the two cannot share a bug) and equals what
//     Payload makes of the element; an invalid one has the problems Payload finds in the element, each under
//     the item's own path Resets[i], and no request (checkItems).
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
				if fe.Field == "Resets" || fe.Field == rootFieldName || keys[fe.Field] {
					continue
				}
				t.Fatalf("FieldError %+v names neither Resets, the payload nor a top-level key (have %v)", fe, keys)
			}
			if d.Items != nil {
				t.Fatalf("items %+v returned with an error", d.Items)
			}
			return
		}
		if !d.Batch {
			t.Fatalf("a document with Resets decoded as a single reset")
		}
		var parsed struct{ Resets []json.RawMessage }
		if err := json.Unmarshal(data, &parsed); err != nil {
			t.Fatalf("Decode accepted a batch encoding/json cannot read: %v", err)
		}
		if len(d.Items) != len(parsed.Resets) || len(d.Items) < 1 || len(d.Items) > maxBatch {
			t.Fatalf("got %d items for the %d elements of Resets, want one each, 1 to %d", len(d.Items), len(parsed.Resets), maxBatch)
		}
		checkItems(t, d, now)
		for i, it := range d.Items {
			alone, aloneErr := Payload(parsed.Resets[i], now)
			switch {
			case it.Err == nil && aloneErr != nil:
				t.Fatalf("Resets[%d] is valid in the batch, not alone: %v", i, aloneErr)
			case it.Err == nil && !reflect.DeepEqual(alone, it.Request):
				t.Fatalf("Resets[%d] decodes differently alone:\nin the batch %+v\nalone        %+v", i, it.Request, alone)
			case it.Err != nil && aloneErr == nil:
				t.Fatalf("Resets[%d] is invalid in the batch (%v), valid alone", i, it.Err)
			case it.Err != nil && parsed.Resets[i][0] == '{':
				// The same rules broken, only the path differs (the suggestions for an unknown key too: an item
				// is told about the reset fields, as a single Payload is).
				path := "Resets[" + strconv.Itoa(i) + "]."
				var in, out []string
				for _, fe := range it.Err.Fields {
					in = append(in, strings.TrimPrefix(fe.Field, path)+":"+fe.Rule+":"+strings.TrimPrefix(fe.Message, path))
				}
				for _, fe := range aloneErr.(*Error).Fields {
					out = append(out, fe.Field+":"+fe.Rule+":"+fe.Message)
				}
				if !reflect.DeepEqual(in, out) {
					t.Fatalf("Resets[%d] has other problems in the batch than alone:\nbatch %q\nalone %q", i, in, out)
				}
			}
		}
	})
}

// checkItems states what every successful Decode returns: 1 to 50 items (exactly 1, valid, for a single reset);
// a valid item satisfies checkRequest; an invalid one (only in a batch) has no request and an *Error whose
// complete FieldErrors all name its own path: Resets[i] itself or a field below it, never another item's.
func checkItems(t *testing.T, d Decoded, now time.Time) {
	t.Helper()
	if len(d.Items) == 0 || len(d.Items) > maxBatch || !d.Batch && len(d.Items) != 1 {
		t.Fatalf("got %d items (batch %v), want 1 to %d, and 1 for a single reset", len(d.Items), d.Batch, maxBatch)
	}
	valid := 0
	for i, it := range d.Items {
		if it.Err == nil {
			valid++
			if err := checkRequest(it.Request, now); err != nil {
				t.Fatalf("item %d %+v breaks a rule: %v", i, it.Request, err)
			}
			continue
		}
		if !d.Batch {
			t.Fatalf("a single reset decoded as an invalid item without an error: %v", it.Err)
		}
		if !reflect.DeepEqual(it.Request, Request{}) {
			t.Fatalf("invalid item %d carries a request %+v", i, it.Request)
		}
		if len(it.Err.Fields) == 0 || it.Err.Message == "" {
			t.Fatalf("item %d: an *Error without FieldErrors or a message: %+v", i, it.Err)
		}
		path := "Resets[" + strconv.Itoa(i) + "]"
		for _, fe := range it.Err.Fields {
			if fe.Field == "" || fe.Rule == "" || fe.Message == "" {
				t.Fatalf("item %d: incomplete FieldError %+v", i, fe)
			}
			if fe.Field != path && !strings.HasPrefix(fe.Field, path+".") {
				t.Fatalf("item %d: FieldError %+v is not under %s", i, fe, path)
			}
		}
	}
	if got := len(d.Requests()); got != valid {
		t.Fatalf("Requests() has %d requests for %d valid items", got, valid)
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
	case r.AllPartitions == (len(r.PartitionNos) > 0):
		return fmt.Errorf("AllPartitions %v with %d PartitionNos: exactly one of them", r.AllPartitions, len(r.PartitionNos))
	case len(r.PartitionNos) > 1024:
		return fmt.Errorf("%d PartitionNos", len(r.PartitionNos))
	case r.Region != "" && !regionPattern.MatchString(r.Region):
		return fmt.Errorf("Region %q", r.Region)
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

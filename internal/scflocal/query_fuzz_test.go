package scflocal

import (
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseQueryString: parseQueryString never panics; every value is a string, true (a part without "=")
// or a []string of two or more (a repeated key, in order), and each non-empty "&"-separated part gives
// exactly one value. Where url.ParseQuery accepts the query (no bad escape, no ';'), the two agree: the same
// keys, a repeated key's values in the same order, a single value equal to url's (true where url has "" from
// a part without "=", and only then). The result written back as a query (url.Values.Encode for the values, an escaped bare
// key for true) parses back to the same map.
func FuzzParseQueryString(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "a=1&a=2&a=3", "flag&x=", "k%20y=v%2Bw+z", "dryRun", "dryRun&dryRun=1&dryRun",
		"a=1&&b=2&", "&", "=", "=v", "a==b", "%zz=1", "a=%zz", "a+%z=1", "%41=%42", "a;b=1", "a=1;b=2",
		"%e4%b8%ad=%e6%96%87", "%ff=%fe", "a=%00", "subscribeId=subs-demo000001&partitions=0&partitions=1",
		"a=1&a", "a&a=1", "+=+", "%2B=%26", "a%3Db=c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		qs := parseQueryString(raw)
		checkQueryShape(t, raw, qs)
		checkAgreesWithURL(t, raw, qs)

		again := writeQuery(qs)
		if back := parseQueryString(again); !reflect.DeepEqual(back, qs) {
			t.Fatalf("%q parsed to %#v, written back as %q, parsed to %#v", raw, qs, again, back)
		}
	})
}

// checkQueryShape: every value is a string, true or a list of two or more, one per non-empty part.
func checkQueryShape(t *testing.T, raw string, qs map[string]any) {
	t.Helper()
	values := 0
	for k, v := range qs {
		switch v := v.(type) {
		case string:
			values++
		case bool:
			if !v {
				t.Fatalf("%q: key %q is false", raw, k)
			}
			values++
		case []string:
			if len(v) < 2 {
				t.Fatalf("%q: key %q has a list of %d", raw, k, len(v))
			}
			values += len(v)
		default:
			t.Fatalf("%q: key %q has a %T", raw, k, v)
		}
	}
	parts := 0
	for _, p := range strings.Split(raw, "&") {
		if p != "" {
			parts++
		}
	}
	if values != parts {
		t.Fatalf("%q: %d values from %d parts: %#v", raw, values, parts, qs)
	}
}

// checkAgreesWithURL: where url.ParseQuery accepts raw, qs has its keys and values.
func checkAgreesWithURL(t *testing.T, raw string, qs map[string]any) {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		return
	}
	// bare[k]: how many of k's parts have no "=".
	bare := map[string]int{}
	for _, p := range strings.Split(raw, "&") {
		if p != "" && !strings.Contains(p, "=") {
			k, _ := url.QueryUnescape(p)
			bare[k]++
		}
	}
	if len(q) != len(qs) {
		t.Fatalf("%q: keys %q, url.ParseQuery has %q", raw, slices.Sorted(maps.Keys(qs)), slices.Sorted(maps.Keys(q)))
	}
	for k, want := range q {
		switch got := qs[k].(type) {
		case []string:
			if !slices.Equal(got, want) {
				t.Fatalf("%q: %q = %q, url.ParseQuery says %q", raw, k, got, want)
			}
		case string:
			if len(want) != 1 || got != want[0] || bare[k] != 0 {
				t.Fatalf("%q: %q = %q, url.ParseQuery says %q (%d parts without \"=\")", raw, k, got, want, bare[k])
			}
		case bool:
			if len(want) != 1 || want[0] != "" || bare[k] != 1 {
				t.Fatalf("%q: %q = true, url.ParseQuery says %q (%d parts without \"=\")", raw, k, want, bare[k])
			}
		default:
			t.Fatalf("%q: key %q of url.ParseQuery is missing: %#v", raw, k, qs)
		}
	}
}

// writeQuery writes qs as a query string: url.Values.Encode for the string values, then each key whose value
// is true, escaped, without "=".
func writeQuery(qs map[string]any) string {
	vals := url.Values{}
	var bare []string
	for k, v := range qs {
		switch v := v.(type) {
		case string:
			vals.Set(k, v)
		case []string:
			vals[k] = v
		case bool:
			bare = append(bare, url.QueryEscape(k))
		}
	}
	slices.Sort(bare)
	out := vals.Encode()
	for _, k := range bare {
		if out != "" {
			out += "&"
		}
		out += k
	}
	return out
}

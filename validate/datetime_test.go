package validate

import (
	"testing"
	"time"
)

// TestResetDatetime runs every accepted form and every refusal through Payload with the fixed clock
// now = 2024-05-16 12:00:00 Beijing (04:00:00 UTC).
func TestResetDatetime(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the normalised value; "" when refused
		rule     string // the rule broken when refused
		contains []string
	}{
		// Beijing wall-clock time, as the API spells it.
		{name: "Beijing form", in: "2023-05-16 00:00:00", want: "2023-05-16 00:00:00"},
		{name: "Beijing leap day", in: "2024-02-29 23:59:59", want: "2024-02-29 23:59:59"},
		{name: "Beijing epoch", in: "1970-01-01 08:00:00", want: "1970-01-01 08:00:00"},
		// RFC 3339 with an offset, converted to Beijing time.
		{name: "RFC 3339 Z", in: "2024-05-16T00:00:00Z", want: "2024-05-16 08:00:00"},
		{name: "RFC 3339 +08:00", in: "2024-05-16T08:00:00+08:00", want: "2024-05-16 08:00:00"},
		{name: "RFC 3339 -05:00", in: "2024-05-15T19:00:00-05:00", want: "2024-05-16 08:00:00"},
		{name: "RFC 3339 +05:30", in: "2024-05-16T05:30:00+05:30", want: "2024-05-16 08:00:00"},
		{name: "RFC 3339 across midnight", in: "2024-05-15T20:30:00Z", want: "2024-05-16 04:30:00"},
		{name: "RFC 3339 fraction is truncated", in: "2024-05-16T00:00:00.999Z", want: "2024-05-16 08:00:00"},
		// Relative to the invocation.
		{name: "now-2h30m", in: "now-2h30m", want: "2024-05-16 09:30:00"},
		{name: "now-90s", in: "now-90s", want: "2024-05-16 11:58:30"},
		{name: "now-1.5h", in: "now-1.5h", want: "2024-05-16 10:30:00"},
		{name: "now-48h crosses days", in: "now-48h", want: "2024-05-14 12:00:00"},
		{name: "NOW- in capitals", in: "NOW-1h", want: "2024-05-16 11:00:00"},
		{name: "now-1ns rounds down", in: "now-1ns", want: "2024-05-16 11:59:59"},
		{name: "now-0s refused", in: "now-0s", rule: "datetime", contains: []string{"positive duration", `got "now-0s"`}},
		{name: "negative duration refused", in: "now--1h", rule: "datetime", contains: []string{"positive duration"}},
		{name: "missing duration refused", in: "now-", rule: "datetime", contains: []string{"invalid duration", "now-2h30m"}},
		{name: "days are not a Go duration", in: "now-1d", rule: "datetime", contains: []string{"invalid duration"}},
		{name: "huge duration refused", in: "now-99999999999h", rule: "datetime", contains: []string{"invalid duration"}},
		{name: "now alone refused", in: "now", rule: "datetime", contains: []string{"not in an accepted form"}},
		{name: "before 1970 via now-", in: "now-2562047h", rule: "datetime", contains: []string{"before 1970-01-01"}},
		// Impossible or malformed dates.
		{name: "February 30", in: "2023-02-30 00:00:00", rule: "datetime", contains: []string{"day out of range", `got "2023-02-30 00:00:00"`}},
		{name: "February 29 of a common year", in: "2023-02-29 12:00:00", rule: "datetime", contains: []string{"day out of range"}},
		{name: "hour 25", in: "2023-05-16 25:00:00", rule: "datetime", contains: []string{"hour out of range"}},
		{name: "minute 60", in: "2023-05-16 10:60:00", rule: "datetime", contains: []string{"minute out of range"}},
		{name: "month 13", in: "2023-13-01 00:00:00", rule: "datetime", contains: []string{"month out of range"}},
		{name: "leap second", in: "2016-12-31 23:59:60", rule: "datetime", contains: []string{"second out of range"}},
		{name: "RFC 3339 February 30", in: "2023-02-30T00:00:00Z", rule: "datetime", contains: []string{"RFC 3339", "day out of range"}},
		{name: "RFC 3339 without offset", in: "2023-05-16T00:00:00", rule: "datetime", contains: []string{"RFC 3339"}},
		{name: "date only", in: "2023-05-16", rule: "datetime", contains: []string{"not in an accepted form", "YYYY-MM-DD hh:mm:ss"}},
		{name: "slashes", in: "2023/05/16 00:00:00", rule: "datetime", contains: []string{"not a valid date and time"}},
		{name: "single-digit hour", in: "2023-05-16 0:00:00", rule: "datetime", contains: []string{"not in an accepted form"}},
		{name: "Beijing with fraction", in: "2023-05-16 00:00:00.5", rule: "datetime", contains: []string{"not in an accepted form"}},
		{name: "Unix seconds as a string", in: "1684166400", rule: "datetime"},
		{name: "before 1970", in: "1969-12-31 23:59:59", rule: "datetime", contains: []string{"before 1970-01-01", "ResetMode earliest"}},
		{name: "year 0 RFC 3339", in: "0000-01-01T00:00:00+23:59", rule: "datetime", contains: []string{"before 1970-01-01"}},
		// The future limit: a minute of clock skew is fine, more is a mistake.
		{name: "59 s ahead", in: "2024-05-16 12:00:59", want: "2024-05-16 12:00:59"},
		{name: "60 s ahead", in: "2024-05-16 12:01:00", want: "2024-05-16 12:01:00"},
		{name: "61 s ahead", in: "2024-05-16 12:01:01", rule: "future", contains: []string{"more than 1 minute in the future", "now is 2024-05-16 12:00:00", "ResetMode latest"}},
		{name: "61 s ahead in RFC 3339", in: "2024-05-16T04:01:01Z", rule: "future", contains: []string{"2024-05-16 12:01:01 Beijing time"}},
		{name: "a year ahead", in: "2025-05-16 12:00:00", rule: "future"},
		{name: "far future RFC 3339", in: "9999-12-31T23:59:59-23:59", rule: "future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(payload("ResetMode", `"datetime"`, "ResetDatetime", quoteJSON(tt.in)))
			got, err := Payload(data, now)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("Payload: %v", err)
				}
				if got.ResetDatetime != tt.want {
					t.Errorf("ResetDatetime = %q, want %q", got.ResetDatetime, tt.want)
				}
				return
			}
			checkFirst(t, err, "ResetDatetime", tt.rule, tt.contains)
		})
	}
}

// TestResetDatetimeIgnoresTZ makes sure the conversion does not depend on the machine's zone: SCF runs in UTC,
// laptops do not.
func TestResetDatetimeIgnoresTZ(t *testing.T) {
	for _, loc := range []*time.Location{time.UTC, time.FixedZone("X", -11*3600), time.FixedZone("Y", 14*3600)} {
		got, err := Payload([]byte(payload("ResetMode", `"datetime"`, "ResetDatetime", `"now-1h"`)), now.In(loc))
		if err != nil {
			t.Fatal(err)
		}
		if got.ResetDatetime != "2024-05-16 11:00:00" {
			t.Errorf("now in %s: ResetDatetime = %q, want %q", loc, got.ResetDatetime, "2024-05-16 11:00:00")
		}
	}
}

func TestBeijingTime(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 5, 16, 4, 0, 0, 0, time.UTC), "2024-05-16 12:00:00"},
		{time.Date(2024, 5, 15, 23, 30, 15, 999, time.UTC), "2024-05-16 07:30:15"},
		{time.Date(2024, 5, 16, 0, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2024-05-16 13:00:00"},
		{time.Unix(0, 0), "1970-01-01 08:00:00"},
	} {
		if got := BeijingTime(tt.in); got != tt.want {
			t.Errorf("BeijingTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// quoteJSON writes s as a JSON string (the inputs above hold no characters that need escaping).
func quoteJSON(s string) string { return `"` + s + `"` }

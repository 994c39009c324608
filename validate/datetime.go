package validate

import (
	"errors"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // SCF images may lack /usr/share/zoneinfo; Asia/Shanghai must load anyway
)

// apiLayout is how the DTS API spells a time: Beijing wall-clock time without an offset.
const apiLayout = "2006-01-02 15:04:05"

// futureSlack is how far ahead of the invocation a ResetDatetime may be: a little clock skew between the caller
// and the function is fine, a reset "to tomorrow" is a mistake (it would land on the latest offset).
const futureSlack = time.Minute

// beijing is Asia/Shanghai, loaded once on first use (loading it costs tens of microseconds, which a cold start
// that never sees a datetime reset should not pay).
var beijing = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable with time/tzdata embedded; UTC+8 is what the API means by Beijing time anyway.
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
})

// minDatetime is the earliest ResetDatetime we accept. Kafka timestamps start at the Unix epoch, so an earlier
// time means nothing more than ResetMode earliest; refusing it also keeps every accepted time printable in
// apiLayout (no negative or five-digit years).
var minDatetime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// Beijing is the zone of every time the API reads or writes: the one home of it, for the tools that print such
// times too (the emulator keeps its own, since it imports nothing of ours).
func Beijing() *time.Location { return beijing() }

// BeijingTime formats t as the API's "YYYY-MM-DD hh:mm:ss" in Asia/Shanghai.
func BeijingTime(t time.Time) string {
	return t.In(beijing()).Format(apiLayout)
}

// datetimeProblem is why a ResetDatetime was refused: the rule and the end of the sentence after the field path.
type datetimeProblem struct {
	rule, text string
}

const datetimeForms = `use "YYYY-MM-DD hh:mm:ss" (Beijing time), RFC 3339 with an offset such as "2023-05-16T00:00:00+08:00", or "now-<duration>" such as "now-2h30m"`

// parseDatetime reads the three accepted forms of ResetDatetime and returns the time in the API's layout.
func parseDatetime(s string, now time.Time) (string, *datetimeProblem) {
	var t time.Time
	switch {
	case len(s) >= 4 && strings.EqualFold(s[:4], "now-"):
		d, err := time.ParseDuration(s[4:])
		if err != nil {
			return "", &datetimeProblem{ruleDatetime, "has an invalid duration after now-; got " + quote(s) +
				`; use a Go duration such as "now-2h30m" or "now-90m"`}
		}
		if d <= 0 {
			return "", &datetimeProblem{ruleDatetime, "must reach back a positive duration (now-<duration> with a duration above zero); got " + quote(s)}
		}
		t = now.Add(-d)
	case strings.ContainsRune(s, 'T'):
		var err error
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return "", &datetimeProblem{ruleDatetime, "is not a valid RFC 3339 time with an offset (" + parseReason(err) + "); got " +
				quote(s) + "; " + datetimeForms}
		}
	default:
		var err error
		if len(s) != len(apiLayout) {
			return "", &datetimeProblem{ruleDatetime, "is not in an accepted form; got " + quote(s) + "; " + datetimeForms}
		}
		if t, err = time.ParseInLocation(apiLayout, s, beijing()); err != nil {
			return "", &datetimeProblem{ruleDatetime, "is not a valid date and time (" + parseReason(err) + "); got " +
				quote(s) + "; " + datetimeForms}
		}
	}
	if t.Before(minDatetime) {
		return "", &datetimeProblem{ruleDatetime, "must not be before 1970-01-01 (Kafka timestamps start there; use ResetMode earliest for the oldest offset); got " + quote(s)}
	}
	if t.Sub(now) > futureSlack {
		return "", &datetimeProblem{ruleFuture, "must not be more than 1 minute in the future; got " + quote(s) +
			" (" + BeijingTime(t) + " Beijing time, now is " + BeijingTime(now) + "); use ResetMode latest to skip to the end"}
	}
	return BeijingTime(t), nil
}

// parseReason keeps the useful tail of a time.Parse error ("day out of range"), without repeating the input.
func parseReason(err error) string {
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.Message != "" {
		return strings.TrimPrefix(pe.Message, ": ")
	}
	return "it does not match the layout"
}

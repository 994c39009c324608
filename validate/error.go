package validate

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rule names a caller sees in FieldError.Rule. Rules checked by validator/v10 carry the name of the tag that
// failed (required, max, oneof, subscribeid, ...); the ones below are checked by hand because they concern the
// JSON itself or forms a tag cannot express.
const (
	ruleJSON      = "json"      // not UTF-8, not JSON, more than one value, nested too deeply
	ruleType      = "type"      // a value of the wrong JSON type (a number where a string belongs, ...)
	ruleUnknown   = "unknown"   // a key the API does not know (typos such as ResetMod)
	ruleDuplicate = "duplicate" // a key given twice: encoding/json would silently keep the last one
	ruleDatetime  = "datetime"  // ResetDatetime in none of the accepted forms, or an impossible date
	ruleFuture    = "future"    // ResetDatetime more than a minute after the invocation
)

// maxListed bounds how many problems Error() spells out, so one bad batch cannot produce a megabyte of text.
const maxListed = 10

// Error is every rule a payload breaks. Message is one sentence listing them (the first few, when there are
// many); Fields holds all of them, each with the field's path (Resets[3].ResetMode in a batch).
type Error struct {
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string { return e.Message }

func newError(fields []FieldError) *Error {
	var b strings.Builder
	b.WriteString("invalid reset payload: ")
	for i, f := range fields {
		if i == maxListed {
			b.WriteString("; and ")
			b.WriteString(strconv.Itoa(len(fields) - maxListed))
			b.WriteString(" more")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Message)
	}
	return &Error{Message: b.String(), Fields: fields}
}

// maxQuoted bounds how much of a caller's value a message repeats.
const maxQuoted = 64

// quote renders a caller's value for a message: quoted (so blanks and control characters show) and shortened.
func quote(s string) string {
	if short, cut := bound(s); cut {
		return strconv.Quote(short) + "…"
	}
	return strconv.Quote(s)
}

// Shorten bounds already-rendered text (a number, a name) for a message as quote does. Exported so that the
// handler bounds what it echoes as this package does.
func Shorten(s string) string {
	if short, cut := bound(s); cut {
		return short + "…"
	}
	return s
}

// bound cuts s to at most maxQuoted bytes, at the start of a character; cut reports whether it had to.
func bound(s string) (short string, cut bool) {
	if len(s) <= maxQuoted {
		return s, false
	}
	end := maxQuoted
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end], true
}

// displayKey renders a key for a message: as is when it reads like a field name, quoted otherwise.
func displayKey(k string) string {
	if k == "" || len(k) > maxQuoted {
		return quote(k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return quote(k)
		}
	}
	return k
}

// Suggest returns the candidate the unknown key most likely meant: one equal to it ignoring case, else the
// nearest within an edit distance of 2 (ignoring case). "" when none is close. Exported so that the handler
// answers a mistyped query parameter as this package answers a mistyped field.
func Suggest(key string, candidates []string) string {
	if len(key) > 64 {
		return ""
	}
	best, bestDist := "", 3
	lk := strings.ToLower(key)
	for _, c := range candidates {
		if strings.EqualFold(key, c) {
			return c
		}
		if d := len(lk) - len(c); d > 2 || d < -2 {
			continue
		}
		if d := editDistance(lk, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes (the candidates are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

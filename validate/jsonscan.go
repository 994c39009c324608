package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The payload is checked as a whole once (UTF-8, syntax, nesting depth, exactly one value) and then walked by the
// small scanner below. encoding/json alone cannot do what we need: it keeps the last of two duplicate keys without
// a word, and DisallowUnknownFields stops at the first unknown key without a way to suggest the intended one.
// Because the walk only ever sees bytes json.Valid has accepted, it can stay simple and never needs recursion.

// member is one key of a JSON object with its raw (still encoded) value.
type member struct {
	key string
	raw []byte
}

// rootFieldName is the Field of a FieldError about the payload as a whole (it is not JSON, not an object, ...).
// No field of the API is spelled in lowercase, so it cannot be mistaken for one.
const rootFieldName = "payload"

// checkDocument returns the trimmed bytes of the single JSON object data holds, or the problem that stops it
// from being one.
func checkDocument(data []byte) ([]byte, *FieldError) {
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, n := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return nil, &FieldError{Field: rootFieldName, Rule: ruleJSON,
			Message: fmt.Sprintf("payload is not valid UTF-8 text (first bad byte at offset %d)", at)}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &FieldError{Field: rootFieldName, Rule: ruleJSON, Message: "payload is empty; a JSON object was expected"}
	}
	if !json.Valid(trimmed) {
		return nil, syntaxProblem(trimmed, len(data)-len(bytes.TrimLeft(data, " \t\r\n")))
	}
	if trimmed[0] != '{' {
		return nil, &FieldError{Field: rootFieldName, Rule: ruleType,
			Message: "payload must be a JSON object; got " + kindOf(trimmed)}
	}
	return trimmed, nil
}

// syntaxProblem explains why trimmed (which starts at offset lead of the original payload) is not one JSON value.
// It runs only on the failure path, so the extra decode it costs does not matter.
func syntaxProblem(trimmed []byte, lead int) *FieldError {
	var raw json.RawMessage
	err := json.Unmarshal(trimmed, &raw)
	var se *json.SyntaxError
	msg := "payload is not valid JSON"
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value"):
		msg = fmt.Sprintf("payload must be exactly one JSON object; unexpected data after it at offset %d", int(se.Offset)-1+lead)
	case errors.As(err, &se) && strings.Contains(se.Error(), "max depth"):
		msg = "payload is not valid JSON: it is nested too deeply"
	case errors.As(err, &se):
		msg = fmt.Sprintf("payload is not valid JSON: %s (at offset %d)", se.Error(), int(se.Offset)+lead)
	case err != nil:
		msg = "payload is not valid JSON: " + err.Error()
	}
	return &FieldError{Field: rootFieldName, Rule: ruleJSON, Message: msg}
}

// kindOf names the JSON type of the valid value raw, for messages ("got an array").
func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string starting at b[i] (a quote).
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the offset just past the valid JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return len(b)
	}
}

// objectMembers lists the members of the valid JSON object obj in document order, duplicates included.
func objectMembers(obj []byte) []member {
	ms := make([]member, 0, 10)
	i := skipSpace(obj, 1) // past '{'
	for i < len(obj) && obj[i] != '}' {
		kEnd := stringEnd(obj, i)
		key, _ := unquote(obj[i:kEnd])
		i = skipSpace(obj, kEnd)
		i = skipSpace(obj, i+1) // past ':'
		vEnd := valueEnd(obj, i)
		ms = append(ms, member{key: key, raw: obj[i:vEnd]})
		i = skipSpace(obj, vEnd)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return ms
}

// arrayElements calls fn with each element of the valid JSON array arr until fn returns false.
func arrayElements(arr []byte, fn func(i int, raw []byte) bool) {
	i := skipSpace(arr, 1) // past '['
	for n := 0; i < len(arr) && arr[i] != ']'; n++ {
		end := valueEnd(arr, i)
		if !fn(n, arr[i:end]) {
			return
		}
		i = skipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
}

// unquote decodes the valid JSON string raw; ok is false when raw is not a string.
func unquote(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

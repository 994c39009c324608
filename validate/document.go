package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The payload is checked as a whole once (UTF-8, syntax, nesting depth, exactly one value), then its objects are
// read member by member with json.Decoder's tokens, which yield every key in document order, duplicates and case
// variants included. Unmarshal into a struct would not do: it keeps the last of two duplicate keys without a
// word, and DisallowUnknownFields stops at the first unknown key without a way to suggest the intended one.

// member is one key of a JSON object with its raw (still encoded) value.
type member struct {
	key string
	raw json.RawMessage
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

// objectMembers lists the members of the valid JSON object obj in document order, duplicates included.
func objectMembers(obj []byte) []member {
	ms := make([]member, 0, len(fieldTable))
	dec := opened(obj)
	for dec.More() {
		tok, err := dec.Token()
		key, _ := tok.(string)
		var raw json.RawMessage
		if err != nil || dec.Decode(&raw) != nil {
			break // not reached: obj passed json.Valid
		}
		ms = append(ms, member{key: key, raw: raw})
	}
	return ms
}

// arrayElements lists the elements of the valid JSON array arr.
func arrayElements(arr []byte) []json.RawMessage {
	var raws []json.RawMessage
	dec := opened(arr)
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break // not reached: arr passed json.Valid
		}
		raws = append(raws, raw)
	}
	return raws
}

// opened is a decoder positioned inside the valid JSON object or array value, past its opening delimiter.
func opened(value []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(value))
	_, _ = dec.Token()
	return dec
}

// unquote decodes the valid JSON value raw; ok is false when raw is not a string. A string without escapes is
// its bytes between the quotes (json.Valid and utf8.Valid have passed), which saves a decoder per field.
func unquote(raw []byte) (s string, ok bool) {
	if raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	return s, json.Unmarshal(raw, &s) == nil
}

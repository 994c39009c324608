package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
)

// kind is the JSON type of an action parameter.
type kind int

const (
	kString kind = iota
	kInt
	kIntList // JSON integers, or numeric strings as the API's own example of PartitionNos sends
)

type spec struct {
	kind     kind
	required bool
}

// params are the decoded parameters of one request.
type params struct {
	strs map[string]string
	ints map[string]int64
	list map[string][]int64
}

func (p *params) str(name string) string { return p.strs[name] }

func (p *params) intOr(name string, def int64) int64 {
	if v, ok := p.ints[name]; ok {
		return v
	}
	return def
}

type request struct {
	ctx    context.Context
	region string
	p      *params
}

// parseParams decodes the JSON object body against the action's parameters: an unknown parameter is
// UnknownParameter, a missing required one MissingParameter, a wrong JSON type InvalidParameter.
func parseParams(body []byte, specs map[string]spec) (*params, error) {
	obj, err := bodyObject(body)
	if err != nil {
		return nil, err
	}
	names := sortedKeys(obj)
	for _, name := range names {
		if _, ok := specs[name]; !ok {
			return nil, errorf("UnknownParameter", "the parameter %s is not recognized", name)
		}
	}
	for _, name := range sortedKeys(specs) {
		if _, ok := obj[name]; specs[name].required && !ok {
			return nil, errorf("MissingParameter", "the parameter %s is missing", name)
		}
	}
	p := &params{strs: map[string]string{}, ints: map[string]int64{}, list: map[string][]int64{}}
	for _, name := range names {
		raw := obj[name]
		if bytes.Equal(raw, []byte("null")) {
			if specs[name].required {
				return nil, errorf("MissingParameter", "the parameter %s is missing", name)
			}
			continue
		}
		if err := p.set(name, specs[name].kind, raw); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// bodyObject decodes the body as exactly one JSON object; an empty body is the empty object.
func bodyObject(body []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errorf("InvalidParameter", "the request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("InvalidParameter", "the request body must be a JSON object")
	}
	return obj, nil
}

func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// set decodes the non-null raw value of parameter name as k.
func (p *params) set(name string, k kind, raw json.RawMessage) error {
	switch k {
	case kString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return errorf("InvalidParameter", "the parameter %s must be a string", name)
		}
		p.strs[name] = s
	case kInt:
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return errorf("InvalidParameter", "the parameter %s must be an integer", name)
		}
		p.ints[name] = n
	case kIntList:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return errorf("InvalidParameter", "the parameter %s must be an array of integers", name)
		}
		out := make([]int64, 0, len(items))
		for i, item := range items {
			n, ok := intOrNumericString(item)
			if !ok {
				return errorf("InvalidParameter", "the parameter %s.%d must be an integer, got %s", name, i, item)
			}
			out = append(out, n)
		}
		p.list[name] = out
	}
	return nil
}

func intOrNumericString(raw json.RawMessage) (int64, bool) {
	if bytes.Equal(raw, []byte("null")) {
		return 0, false
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

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
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := specs[name]; !ok {
			return nil, errorf("UnknownParameter", "the parameter %s is not recognized", name)
		}
	}
	required := make([]string, 0, len(specs))
	for name, s := range specs {
		if s.required {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	for _, name := range required {
		if _, ok := obj[name]; !ok {
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
		switch specs[name].kind {
		case kString:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, errorf("InvalidParameter", "the parameter %s must be a string", name)
			}
			p.strs[name] = s
		case kInt:
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, errorf("InvalidParameter", "the parameter %s must be an integer", name)
			}
			p.ints[name] = n
		case kIntList:
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, errorf("InvalidParameter", "the parameter %s must be an array of integers", name)
			}
			out := make([]int64, 0, len(items))
			for i, item := range items {
				n, ok := intOrNumericString(item)
				if !ok {
					return nil, errorf("InvalidParameter", "the parameter %s.%d must be an integer, got %s", name, i, item)
				}
				out = append(out, n)
			}
			p.list[name] = out
		}
	}
	return p, nil
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

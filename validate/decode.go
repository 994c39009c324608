package validate

import (
	"strconv"
	"strings"
	"time"
)

// maxBatch is the most resets one batch may hold: they run one after another within the API's rate limit and
// the invocation's deadline.
const maxBatch = 50

// fieldTable lists the keys of a reset object, as the DTS API spells them (matched case-sensitively), in the
// order messages name them, with the JSON type each takes (want, for the message when it is another) and
// where its value goes: set reports false when raw, never null, is of the wrong type.
var fieldTable = [...]struct {
	name, want string
	set        func(d *itemDecoder, raw []byte) bool
}{
	{"SubscribeId", "a string", stringInto(func(f *fields) *string { return &f.SubscribeID })},
	{"TopicName", "a string", stringInto(func(f *fields) *string { return &f.TopicName })},
	{"ConsumerGroupName", "a string", stringInto(func(f *fields) *string { return &f.ConsumerGroupName })},
	{"PartitionNos", "an array of partition numbers", (*itemDecoder).partitions},
	{"AllPartitions", "true or false", boolInto(func(f *fields) *bool { return &f.AllPartitions })},
	{"ResetMode", "a string", stringInto(func(f *fields) *string { return &f.ResetMode })},
	{"ResetDatetime", "a string", stringInto(func(f *fields) *string { return &f.ResetDatetime })},
	{"DryRun", "true or false", boolInto(func(f *fields) *bool { return &f.DryRun })},
	{"Region", "a string", stringInto(func(f *fields) *string { return &f.Region })},
	{"MaxReplay", "a whole number of messages", countInto(func(f *fields) **int64 { return &f.MaxReplay })},
	{"MaxSkip", "a whole number of messages", countInto(func(f *fields) **int64 { return &f.MaxSkip })},
}

// fieldNames are the names of fieldTable, in its order.
var fieldNames = func() []string {
	names := make([]string, len(fieldTable))
	for i, t := range fieldTable {
		names[i] = t.name
	}
	return names
}()

// topLevelNames adds the batch key, so that a single payload with "resets" is told about Resets.
var topLevelNames = append(fieldNames[:len(fieldNames):len(fieldNames)], "Resets")

func fieldIndex(key string) int {
	for i, t := range fieldTable {
		if t.name == key {
			return i
		}
	}
	return -1
}

func stringInto(field func(*fields) *string) func(*itemDecoder, []byte) bool {
	return func(d *itemDecoder, raw []byte) bool {
		s, ok := unquote(raw)
		*field(&d.f) = s
		return ok
	}
}

func boolInto(field func(*fields) *bool) func(*itemDecoder, []byte) bool {
	return func(d *itemDecoder, raw []byte) bool {
		*field(&d.f) = raw[0] == 't'
		return raw[0] == 't' || raw[0] == 'f'
	}
}

// countInto reads a JSON integer (not a string: a count is not an identifier as partition numbers are).
// Negative counts are left to request, which says which rule they break.
func countInto(field func(*fields) **int64) func(*itemDecoder, []byte) bool {
	return func(d *itemDecoder, raw []byte) bool {
		n, rule := parseInteger(raw)
		if rule != "" {
			return false
		}
		*field(&d.f) = &n
		return true
	}
}

// Decoded is a payload as Decode read it: one reset, or the items of a batch in their order, all valid.
type Decoded struct {
	// Batch is true for {"Resets": [...]}: the caller answers with one result per item.
	Batch bool
	// Requests has one entry per reset, valid and normalised: exactly one for a single reset, 1 to 50 for a batch.
	Requests []Request
}

// Decode parses a payload that is either one reset object or a batch {"Resets":[...]} (1–50 items), validates and
// normalises it. now is the invocation time (for now-<duration> and the future check).
//
// An object with a Resets key is a batch; it may hold nothing else. A batch is validated whole before anything
// runs: err names every rule any item breaks, each field under its item's path (Resets[1].ResetMode), so one
// typo refuses the batch instead of leaving it half applied (and a timer's retries re-running its valid half).
// A batch whose shape is wrong (Resets given twice or beside other keys, not an array, 0 or more than 50 items)
// is refused with that alone; its items are then not checked. Decoded.Batch tells the caller which shape it
// got, also when err is not nil.
func Decode(data []byte, now time.Time) (Decoded, error) {
	obj, problem := checkDocument(data)
	if problem != nil {
		return Decoded{}, newError([]FieldError{*problem})
	}
	ms := objectMembers(obj)
	batch := false
	for _, m := range ms {
		if m.key == "Resets" {
			batch = true
			break
		}
	}
	if !batch {
		req, problems := decodeReset(ms, "", now, topLevelNames)
		if len(problems) > 0 {
			return Decoded{}, newError(problems)
		}
		return Decoded{Requests: []Request{req}}, nil
	}
	reqs, problems := decodeBatch(ms, now)
	if len(problems) > 0 {
		return Decoded{Batch: true}, newError(problems)
	}
	return Decoded{Batch: true, Requests: reqs}, nil
}

// Payload decodes exactly one reset object (a batch is refused: Resets is not a field of a reset).
func Payload(data []byte, now time.Time) (Request, error) {
	obj, problem := checkDocument(data)
	if problem != nil {
		return Request{}, newError([]FieldError{*problem})
	}
	req, problems := decodeReset(objectMembers(obj), "", now, fieldNames)
	if len(problems) > 0 {
		return Request{}, newError(problems)
	}
	return req, nil
}

// decodeBatch decodes the members of a batch object: its requests, or every problem of the batch and its items.
// When the batch's own shape is wrong its items are not checked: a batch that cannot run is not worth checking
// one by one.
func decodeBatch(ms []member, now time.Time) ([]Request, []FieldError) {
	var problems []FieldError
	var resets []byte
	count := make(map[string]int, len(ms))
	for _, m := range ms {
		count[m.key]++
		switch {
		case count[m.key] == 2:
			problems = append(problems, duplicateProblem("", m.key))
		case count[m.key] > 2:
		case m.key == "Resets":
			resets = m.raw
		case fieldIndex(m.key) >= 0:
			problems = append(problems, FieldError{Field: m.key, Rule: ruleUnknown,
				Message: m.key + " is not allowed beside Resets: a batch holds only Resets, so put " + m.key + " in each item"})
		default:
			problems = append(problems, unknownProblem("", m.key, []string{"Resets"}))
		}
	}
	if resets[0] != '[' {
		return nil, append(problems, FieldError{Field: "Resets", Rule: ruleType,
			Message: "Resets must be an array of 1 to 50 reset objects; got " + kindOf(resets)})
	}
	raws := arrayElements(resets)
	switch {
	case len(raws) == 0:
		problems = append(problems, FieldError{Field: "Resets", Rule: "min", Message: "Resets must hold at least one reset"})
	case len(raws) > maxBatch:
		problems = append(problems, FieldError{Field: "Resets", Rule: "max",
			Message: "Resets must hold at most " + strconv.Itoa(maxBatch) + " resets; got " + strconv.Itoa(len(raws)) + ": split the batch"})
	}
	if len(problems) > 0 {
		return nil, problems
	}
	reqs := make([]Request, len(raws))
	for i, raw := range raws {
		path := "Resets[" + strconv.Itoa(i) + "]"
		if raw[0] != '{' {
			problems = append(problems, FieldError{Field: path, Rule: ruleType,
				Message: path + " must be a JSON object (one reset); got " + kindOf(raw)})
			continue
		}
		req, itemProblems := decodeReset(objectMembers(raw), path+".", now, fieldNames)
		problems = append(problems, itemProblems...)
		reqs[i] = req
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return reqs, nil
}

// itemDecoder is what decodeReset has learnt of one reset object so far.
type itemDecoder struct {
	f        fields
	path     string // "" or "Resets[3].", before every field name in problems
	problems []FieldError
	bad      map[string]bool // fields with a decoding problem: validator would only call them missing
}

func (d *itemDecoder) markBad(name string) {
	if d.bad == nil {
		d.bad = make(map[string]bool, 4)
	}
	d.bad[name] = true
}

func (d *itemDecoder) problem(name, rule, message string) {
	d.problems = append(d.problems, FieldError{Field: d.path + name, Rule: rule, Message: d.path + name + " " + message})
}

// decodeReset decodes, checks and normalises one reset object. path prefixes every field name in problems
// ("" or "Resets[3]."); candidates are the names an unknown key may be a typo of.
func decodeReset(ms []member, path string, now time.Time, candidates []string) (Request, []FieldError) {
	d := itemDecoder{path: path}
	var times [len(fieldTable)]int // times[i]: how often fieldTable[i] was given
	var unknown map[string]bool
	for _, m := range ms {
		i := fieldIndex(m.key)
		if i < 0 {
			if !unknown[m.key] { // one "unknown field" per key is enough
				if unknown == nil {
					unknown = make(map[string]bool, 2)
				}
				unknown[m.key] = true
				d.problems = append(d.problems, unknownProblem(path, m.key, candidates))
			}
			continue
		}
		times[i]++
		switch {
		case times[i] == 2:
			d.problems = append(d.problems, duplicateProblem(path, m.key))
			d.markBad(m.key)
		case times[i] > 2: // said once is enough
		case m.raw[0] == 'n': // null: absent, as encoding/json treats it
		case !fieldTable[i].set(&d, m.raw):
			d.markBad(m.key)
			d.problem(m.key, ruleType, "must be "+fieldTable[i].want+"; got "+kindOf(m.raw))
		}
	}
	return d.request(now)
}

// request normalises and checks the fields read, and returns them as a Request when they break no rule.
func (d *itemDecoder) request(now time.Time) (Request, []FieldError) {
	f := &d.f
	// Normalise before the rules run, so they hold for what is sent: the mode in lowercase, the group by its full
	// name (which every official example of the consumer-group APIs sends).
	orig := originals{resetMode: f.ResetMode, group: f.ConsumerGroupName}
	f.ResetMode = strings.ToLower(f.ResetMode)
	if f.ConsumerGroupName != "" && IsSubscribeID(f.SubscribeID) {
		if full := fullGroupName(f.SubscribeID, f.ConsumerGroupName); full != "" {
			f.ConsumerGroupName = full
		}
	}
	d.problems = validationProblems(f, orig, d.path, d.bad, d.problems)

	// The datetime forms are beyond struct tags. Check them whenever a value is there and the mode does not
	// already forbid it (a mistyped mode still gets its datetime checked, so one round trip shows both).
	if f.ResetDatetime != "" && !d.bad["ResetDatetime"] && f.ResetMode != "earliest" && f.ResetMode != "latest" {
		dt, p := parseDatetime(f.ResetDatetime, now)
		if p != nil {
			d.problem("ResetDatetime", p.rule, p.text)
		}
		f.ResetDatetime = dt
	}
	d.checkCount("MaxReplay", f.MaxReplay, "replay")
	d.checkCount("MaxSkip", f.MaxSkip, "skip")
	if len(d.problems) > 0 {
		return Request{}, d.problems
	}
	req := Request{
		SubscribeID:       f.SubscribeID,
		TopicName:         f.TopicName,
		ConsumerGroupName: f.ConsumerGroupName,
		AllPartitions:     f.AllPartitions,
		ResetMode:         f.ResetMode,
		ResetDatetime:     f.ResetDatetime,
		DryRun:            f.DryRun,
		Region:            f.Region,
		MaxReplay:         f.MaxReplay,
		MaxSkip:           f.MaxSkip,
	}
	if len(f.PartitionNos) > 0 {
		req.PartitionNos = make([]int, len(f.PartitionNos))
		for i, n := range f.PartitionNos {
			req.PartitionNos[i] = int(n)
		}
	}
	return req, nil
}

// checkCount refuses a negative guard: it could never hold, so every reset would be refused.
func (d *itemDecoder) checkCount(name string, n *int64, verb string) {
	if n != nil && *n < 0 {
		d.problem(name, "min", "must be a whole number >= 0, the most messages any partition may "+verb+
			" (0: none); got "+strconv.FormatInt(*n, 10))
	}
}

// partitions reads PartitionNos: JSON integers or strings of digits (the API's own example sends strings).
// Range and uniqueness are left to the validator tags; an element that is not an integer at all, or more
// elements than a reset may list, are problems of their own, and mark the field bad.
func (d *itemDecoder) partitions(arr []byte) bool {
	if arr[0] != '[' {
		return false
	}
	raws := arrayElements(arr)
	ns := make([]int64, 0, min(len(raws), maxPartitions))
	for i, raw := range raws[:min(len(raws), maxPartitions)] {
		name := "PartitionNos[" + strconv.Itoa(i) + "]"
		text, shown := []byte(raw), Shorten(string(raw))
		switch raw[0] {
		case '"':
			s, _ := unquote(raw)
			text, shown = []byte(s), quote(s)
		case '[', '{', 't', 'f', 'n':
			d.markBad("PartitionNos")
			d.problem(name, ruleType, "must be a partition number (a JSON integer or a string of digits); got "+kindOf(raw))
			continue
		}
		n, rule := parseInteger(text)
		if rule != "" {
			d.markBad("PartitionNos")
			d.problem(name, rule, integerMessage(rule)+"; got "+shown)
			continue
		}
		ns = append(ns, n)
	}
	d.f.PartitionNos = ns
	if len(raws) > maxPartitions {
		d.markBad("PartitionNos")
		d.problem("PartitionNos", "max", "must list at most "+strconv.Itoa(maxPartitions)+" partitions; got "+strconv.Itoa(len(raws)))
	}
	return true
}

// parseInteger reads an optional minus sign and digits. It returns the rule broken when it cannot: type for
// anything else (1.5, 1e3, "", " 1"), min or max for integers beyond int64.
func parseInteger(b []byte) (int64, string) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, ruleType
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, ruleType
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		if b[0] == '-' {
			return 0, "min"
		}
		return 0, "max"
	}
	return n, ""
}

func integerMessage(rule string) string {
	switch rule {
	case "min":
		return "must be a partition number >= 0"
	case "max":
		return "must be a partition number at most 2147483647"
	}
	return "must be a whole partition number (a JSON integer or a string of digits, such as 0 or \"12\")"
}

func unknownProblem(path, key string, candidates []string) FieldError {
	msg := path + displayKey(key) + ": unknown field"
	if s := Suggest(key, candidates); s != "" {
		msg += "; did you mean " + s + "?"
	} else {
		msg += "; the fields are " + strings.Join(candidates, ", ")
	}
	return FieldError{Field: keyField(path, key), Rule: ruleUnknown, Message: msg}
}

// keyField is the Field of a problem with a key: its path, with an empty key written "" so the field is never
// blank, and a key longer than maxQuoted shortened as messages shorten it, so a 60 KB key is not echoed back.
func keyField(path, key string) string {
	if key == "" || len(key) > maxQuoted {
		return path + quote(key)
	}
	return path + key
}

func duplicateProblem(path, key string) FieldError {
	return FieldError{Field: keyField(path, key), Rule: ruleDuplicate,
		Message: path + displayKey(key) + " appears more than once; give each field once"}
}

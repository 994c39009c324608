package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// fields is the payload as validator/v10 checks it: the typed values decoded from the JSON, with short group
// names already expanded and ResetMode lowercased, so the tags state the rules on what is sent to the API.
// Field names follow the JSON spelling where cross-field tags (required_if=ResetMode ...) refer to them.
type fields struct {
	SubscribeID       string  `json:"SubscribeId" validate:"required,max=64,subscribeid"`
	TopicName         string  `json:"TopicName" validate:"required,max=249,kafkaname"`
	ConsumerGroupName string  `json:"ConsumerGroupName" validate:"required,max=249,kafkaname,groupname,groupsubs,groupnested"`
	PartitionNos      []int64 `json:"PartitionNos" validate:"required_without=AllPartitions,excluded_with=AllPartitions,omitempty,min=1,max=1024,unique,dive,min=0,max=2147483647"`
	AllPartitions     bool    `json:"AllPartitions"`
	ResetMode         string  `json:"ResetMode" validate:"required,oneof=earliest latest datetime"`
	ResetDatetime     string  `json:"ResetDatetime" validate:"required_if=ResetMode datetime,excluded_if=ResetMode earliest,excluded_if=ResetMode latest"`
	DryRun            bool    `json:"DryRun"`
	Region            string  `json:"Region" validate:"omitempty,region"`
	MaxReplay         *int64  `json:"MaxReplay"` // >= 0, checked by hand (guardLimit)
	MaxSkip           *int64  `json:"MaxSkip"`
}

// maxPartitions is the most partitions one reset may list (the max tag on PartitionNos says the same).
const maxPartitions = 1024

// groupPrefix starts every full consumer-group name: consumer-grp-<SubscribeId>-<name>.
const groupPrefix = "consumer-grp-"

// GroupPrefix is what the full name of every consumer group of subscription subs starts with:
// consumer-grp-<SubscribeId>-, followed by the group's short name.
func GroupPrefix(subs string) string { return groupPrefix + subs + "-" }

// validatorInstance is the one validator: building it and caching the struct's tags is the expensive part, so
// it happens once, on first use rather than at init, to keep it out of the cold start of invocations that
// never get as far as validating.
var validatorInstance = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Errors then name fields as the caller spelled them (SubscribeId, not SubscribeID).
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	for tag, fn := range map[string]validator.Func{
		"subscribeid": func(fl validator.FieldLevel) bool { return IsSubscribeID(fl.Field().String()) },
		"kafkaname":   func(fl validator.FieldLevel) bool { return isKafkaName(fl.Field().String()) },
		"groupname":   func(fl validator.FieldLevel) bool { return endsAlnum(fl.Field().String()) },
		"groupsubs":   groupOfSubscription,
		"groupnested": notNested,
		"region":      func(fl validator.FieldLevel) bool { return IsRegion(fl.Field().String()) },
	} {
		if err := v.RegisterValidation(tag, fn); err != nil {
			panic("validate: registering " + tag + ": " + err.Error()) // a programming error, caught by any test
		}
	}
	return v
})

// IsSubscribeID reports whether s is subs- followed by lowercase letters and digits.
func IsSubscribeID(s string) bool {
	if len(s) <= len("subs-") || !strings.HasPrefix(s, "subs-") {
		return false
	}
	for i := len("subs-"); i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isKafkaName reports whether s uses only the characters Kafka allows in topic names ([A-Za-z0-9._-]); "." and
// ".." are refused as Kafka refuses them.
func isKafkaName(s string) bool {
	if s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func endsAlnum(s string) bool { return s != "" && isAlnum(s[len(s)-1]) }

// IsRegion reports whether s looks like a TencentCloud region: ^[a-z]{2,}(-[a-z0-9]+)+$ (ap-guangzhou,
// na-siliconvalley, ap-shanghai-fsi).
func IsRegion(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	if i < 2 || i == len(s) {
		return false
	}
	for i < len(s) {
		if s[i] != '-' {
			return false
		}
		i++
		start := i
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == start {
			return false
		}
	}
	return true
}

// fullGroupName is the full name of group in subscription subs, or "" when group is a full name that belongs to
// another subscription. A name that does not start with consumer-grp- is a short name.
func fullGroupName(subs, group string) string {
	if !strings.HasPrefix(group, groupPrefix) {
		return GroupPrefix(subs) + group
	}
	if belongsTo(subs, group) {
		return group
	}
	return ""
}

// belongsTo reports whether the full group name group is consumer-grp-<subs>-<something>.
func belongsTo(subs, group string) bool {
	prefix := GroupPrefix(subs)
	return len(group) > len(prefix) && strings.HasPrefix(group, prefix)
}

// notNested refuses a full name whose own short part starts with consumer-grp- again
// (consumer-grp-<subs>-consumer-grp-<subs>-g2): no group is named so on purpose, and a lookup that tolerated it
// would find another group (...-g2) and answer with that group's state.
func notNested(fl validator.FieldLevel) bool {
	group := fl.Field().String()
	subs := fl.Parent().FieldByName("SubscribeID").String()
	short, ok := strings.CutPrefix(group, GroupPrefix(subs))
	return !ok || !strings.HasPrefix(short, groupPrefix)
}

// groupOfSubscription refuses a full group name of another subscription: resetting it through this SubscribeId
// cannot work, and the mismatch usually means a copy-paste mistake. With an invalid SubscribeId there is no
// telling, and SubscribeId's own error says enough.
func groupOfSubscription(fl validator.FieldLevel) bool {
	group := fl.Field().String()
	subs := fl.Parent().FieldByName("SubscribeID").String()
	if !strings.HasPrefix(group, groupPrefix) || !IsSubscribeID(subs) {
		return true
	}
	return belongsTo(subs, group)
}

// originals are the values as the caller wrote them, for messages about values we normalised before checking.
type originals struct {
	resetMode, group string
}

// validationProblems runs validator/v10 on f and turns its errors into FieldErrors with sentences. Fields in skip
// already have a decoding error (wrong JSON type, ...) and would only repeat it as "required".
func validationProblems(f *fields, orig originals, path string, skip map[string]bool, out []FieldError) []FieldError {
	err := validatorInstance().Struct(f)
	if err == nil {
		return out
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return append(out, FieldError{Field: path + rootFieldName, Rule: "internal", Message: "payload could not be validated: " + err.Error()})
	}
	for _, fe := range ves {
		name := fe.Field() // PartitionNos[3] for an element
		top, _, _ := strings.Cut(name, "[")
		if skip[top] {
			continue
		}
		out = append(out, FieldError{Field: path + name, Rule: fe.Tag(), Message: path + name + " " + sentence(fe, f, orig)})
	}
	return out
}

// sentence says the rule fe broke, in the words of the field it names (which the caller has already prefixed).
func sentence(fe validator.FieldError, f *fields, orig originals) string {
	top, _, _ := strings.Cut(fe.Field(), "[")
	element := top != fe.Field() // PartitionNos[3], not PartitionNos
	switch fe.Tag() {
	case "required":
		if s, ok := requiredSentences[top]; ok {
			return s
		}
		return "is required"
	case "required_without":
		return "is required unless AllPartitions is true: list the partitions to reset, such as [0, 1]"
	case "excluded_with":
		return "and AllPartitions are exclusive: list the partitions or set AllPartitions to true, not both"
	case "required_if":
		return `is required when ResetMode is datetime: the API would silently treat an empty one as time 0 and reset to the earliest offset`
	case "excluded_if":
		return "is only allowed when ResetMode is datetime; got ResetMode " + f.ResetMode +
			", which ignores it: drop ResetDatetime, or set ResetMode to datetime to reset to that time"
	case "max":
		return maxSentence(fe, top, element, f, orig)
	case "min":
		if element {
			return fmt.Sprintf("must be a partition number >= 0; got %v", fe.Value())
		}
		return "must list at least one partition (or use AllPartitions: true)"
	case "unique":
		return "lists partition " + strconv.FormatInt(firstDuplicate(f.PartitionNos), 10) + " more than once; give each partition once"
	case "oneof":
		return "must be one of earliest, latest, datetime; got " + quote(orig.resetMode)
	case "subscribeid":
		return `must be "subs-" followed by lowercase letters and digits, such as subs-635ns8r71g; got ` + quote(f.SubscribeID)
	case "kafkaname":
		return kafkaNameSentence(fe.Value().(string), top, orig)
	case "groupname":
		return "must end with a letter or digit; got " + quote(orig.group)
	case "groupsubs":
		return "is the full name of a group of another subscription (it does not start with " + GroupPrefix(f.SubscribeID) +
			"); got " + quote(orig.group) + `; give the short name (such as "1") or the full name of a group of ` + f.SubscribeID
	case "groupnested":
		return "is a full name whose short part starts with " + groupPrefix + " again; got " + quote(orig.group) +
			`; give the short name (such as "1") or the full name ` + GroupPrefix(f.SubscribeID) + "<name> once"
	case "region":
		return "must be a region name such as ap-guangzhou or na-siliconvalley; got " + quote(f.Region)
	}
	return "breaks the rule " + fe.Tag()
}

// requiredSentences say more than "is required" where the field's form is not obvious.
var requiredSentences = map[string]string{
	"ConsumerGroupName": `is required: give the short name (such as "1") or the full name consumer-grp-<SubscribeId>-<name>`,
	"ResetMode":         "is required: one of earliest, latest, datetime",
}

func maxSentence(fe validator.FieldError, top string, element bool, f *fields, orig originals) string {
	switch {
	case top == "PartitionNos" && element:
		return fmt.Sprintf("must be a partition number at most %s; got %v", fe.Param(), fe.Value())
	case top == "PartitionNos":
		return fmt.Sprintf("must list at most %d partitions; got %d", maxPartitions, len(f.PartitionNos))
	case top == "ConsumerGroupName" && orig.group != f.ConsumerGroupName:
		return fmt.Sprintf("must be at most %s characters as the full name %s...; got %d", fe.Param(), groupPrefix, len(f.ConsumerGroupName))
	}
	return fmt.Sprintf("must be at most %s characters; got %d", fe.Param(), len(fe.Value().(string)))
}

// kafkaNameSentence is about the group as the caller wrote it, before it was expanded to its full name.
func kafkaNameSentence(v, top string, orig originals) string {
	if top == "ConsumerGroupName" {
		v = orig.group
	}
	if v == "." || v == ".." {
		return `cannot be "." or ".."`
	}
	return "may only contain letters, digits, '.', '_' and '-'; got " + quote(v)
}

// firstDuplicate returns the first value of ns that appears earlier in ns.
func firstDuplicate(ns []int64) int64 {
	seen := make(map[int64]struct{}, len(ns))
	for _, n := range ns {
		if _, ok := seen[n]; ok {
			return n
		}
		seen[n] = struct{}{}
	}
	return -1
}

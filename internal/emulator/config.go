package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Config is what the emulator serves: its region, the credentials it accepts, its rate limit, how often DTS
// takes checkpoints and how long its Kafka keeps data, the Kafka superuser that feeds the topics, the
// subscriptions with their DTS consumer groups, and faults to inject. The JSON form is the one of SPEC §8;
// decoding it rejects unknown fields and every invalid value with an error naming its JSON path.
type Config struct {
	Region             string         `json:"Region"`
	Credentials        []Credential   `json:"Credentials"`
	RateLimitPerSecond int            `json:"RateLimitPerSecond"` // per action; 0 means DefaultRateLimit, negative disables the limit
	CheckpointSeconds  int            `json:"CheckpointSeconds"`  // 0 means DefaultCheckpointSeconds
	RetentionHours     int            `json:"RetentionHours"`     // 0 means DefaultRetentionHours
	KafkaSuperuser     *KafkaUser     `json:"KafkaSuperuser,omitempty"`
	Subscriptions      []Subscription `json:"Subscriptions"`
	Faults             []Fault        `json:"Faults"`
}

// KafkaUser is a Kafka login. The configuration's KafkaSuperuser bypasses the ACLs: it writes the
// subscriptions' records (on DTS only the subscription itself writes) and is the emulator's own admin client;
// without one, DemoSuperuser / DemoSuperuserPassword. Users log in with SCRAM-SHA-512 or PLAIN.
type KafkaUser struct {
	User     string `json:"User"`
	Password string `json:"Password"`
}

// Credential is a key pair the emulator accepts; Token, when set, must arrive as X-TC-Token (temporary
// credentials), and a request without it fails with AuthFailure.TokenFailure.
type Credential struct {
	SecretID  string `json:"SecretId"`
	SecretKey string `json:"SecretKey"`
	Token     string `json:"Token"`
}

// Subscription is a DTS data subscription: its Kafka topic exists with Partitions partitions from the start.
type Subscription struct {
	SubscribeID    string          `json:"SubscribeId"`
	TopicName      string          `json:"TopicName"`
	Partitions     int             `json:"Partitions"`
	ConsumerGroups []ConsumerGroup `json:"ConsumerGroups"`
}

// ConsumerGroup is a DTS consumer group as created in the console: ConsumerGroupName and AccountName are the
// short names; the Kafka group is consumer-grp-<SubscribeId>-<ConsumerGroupName> and the account
// account-<SubscribeId>-<AccountName>.
type ConsumerGroup struct {
	ConsumerGroupName string `json:"ConsumerGroupName"`
	AccountName       string `json:"AccountName"`
	Password          string `json:"Password"`
	Description       string `json:"Description"`
}

// Fault is an injected misbehaviour for requests of Action ("*" for every action). In order, a matching fault
// sleeps DelayMs (stopping early when the request's context ends), then either drops the connection without an
// answer (Drop), answers the error Code (with Message, or a generated one) in the API's envelope, or answers
// the HTTP Status with the raw Body and no envelope, as a broken gateway in front of the API would (an HTML
// 502 page, a truncated reply); a fault with only DelayMs lets the action run after the delay. Times is how
// many requests it applies to; 0 means every request, forever.
type Fault struct {
	Action  string `json:"Action"`
	Code    string `json:"Code"`
	Message string `json:"Message"`
	DelayMs int    `json:"DelayMs"`
	Drop    bool   `json:"Drop"`
	Status  int    `json:"Status"`
	Body    string `json:"Body"`
	Times   int    `json:"Times"`
}

// DefaultRateLimit is the number of requests per second and action DTS accepts before RequestLimitExceeded.
const DefaultRateLimit = 20

// DefaultCheckpointSeconds is how often DTS takes a checkpoint of the log ends ("about every 10 s").
const DefaultCheckpointSeconds = 10

// DefaultRetentionHours is how long a subscription's Kafka keeps data (one day).
const DefaultRetentionHours = 24

// MaxConsumerGroups is the number of consumer groups a DTS subscription holds at most.
const MaxConsumerGroups = 10

// The demo configuration served when dtslocal runs without -config (documented in docs/EMULATOR.md).
const (
	DemoSecretID    = "AKIDdtslocalDEMO"
	DemoSecretKey   = "dtslocal-demo-secret-key"
	DemoRegion      = "ap-guangzhou"
	DemoSubscribeID = "subs-demo000001"
	DemoTopicName   = "topic-subs-demo000001-cdb-1"

	DemoGroupName   = "g1"
	DemoAccountName = "acct1"
	DemoPassword    = "secret12"

	DemoSuperuser         = "dtslocal-admin"
	DemoSuperuserPassword = "dtslocal-admin-secret"
)

// DemoConfig returns the demo subscription subs-demo000001 (topic topic-subs-demo000001-cdb-1, 3 partitions,
// consumer group g1 with account acct1, password secret12) in ap-guangzhou, accepting the demo key pair
// AKIDdtslocalDEMO / dtslocal-demo-secret-key, with the demo Kafka superuser dtslocal-admin /
// dtslocal-admin-secret.
func DemoConfig() Config {
	return Config{
		Region:             DemoRegion,
		Credentials:        []Credential{{SecretID: DemoSecretID, SecretKey: DemoSecretKey}},
		RateLimitPerSecond: DefaultRateLimit,
		CheckpointSeconds:  DefaultCheckpointSeconds,
		RetentionHours:     DefaultRetentionHours,
		KafkaSuperuser:     &KafkaUser{User: DemoSuperuser, Password: DemoSuperuserPassword},
		Subscriptions: []Subscription{{
			SubscribeID: DemoSubscribeID,
			TopicName:   DemoTopicName,
			Partitions:  3,
			ConsumerGroups: []ConsumerGroup{
				{ConsumerGroupName: DemoGroupName, AccountName: DemoAccountName, Password: DemoPassword, Description: "demo group"},
			},
		}},
	}
}

// LoadConfig reads and validates a JSON configuration file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes and validates the JSON form of a Config. Unknown fields, wrong JSON types and invalid
// values are errors that name their path, such as Subscriptions[0].ConsumerGroups[1].Password.
func ParseConfig(b []byte) (Config, error) {
	var cfg Config
	if err := decodeConfig(b, &cfg); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ConfigError is an invalid configuration value at a JSON path.
type ConfigError struct {
	Path    string // JSON path, e.g. Subscriptions[0].Partitions; empty for the document itself
	Message string
}

func (e *ConfigError) Error() string {
	if e.Path == "" {
		return "config: " + e.Message
	}
	return "config: " + e.Path + ": " + e.Message
}

func cfgErr(path, format string, args ...any) error {
	return &ConfigError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// decodeConfig walks the document object by object so that an unknown field or a wrong type is reported
// with its full path (encoding/json's DisallowUnknownFields names the field but not where it is).
func decodeConfig(b []byte, cfg *Config) error {
	var top map[string]json.RawMessage
	if err := strictObject(b, "", &top); err != nil {
		return err
	}
	return fields(top, "", map[string]func(json.RawMessage, string) error{
		"Region":             value(&cfg.Region),
		"RateLimitPerSecond": value(&cfg.RateLimitPerSecond),
		"CheckpointSeconds":  value(&cfg.CheckpointSeconds),
		"RetentionHours":     value(&cfg.RetentionHours),
		"KafkaSuperuser": object(&cfg.KafkaSuperuser, func(u *KafkaUser) map[string]func(json.RawMessage, string) error {
			return map[string]func(json.RawMessage, string) error{"User": value(&u.User), "Password": value(&u.Password)}
		}),
		"Credentials": list(&cfg.Credentials, func(c *Credential) map[string]func(json.RawMessage, string) error {
			return map[string]func(json.RawMessage, string) error{
				"SecretId": value(&c.SecretID), "SecretKey": value(&c.SecretKey), "Token": value(&c.Token),
			}
		}),
		"Subscriptions": list(&cfg.Subscriptions, func(s *Subscription) map[string]func(json.RawMessage, string) error {
			return map[string]func(json.RawMessage, string) error{
				"SubscribeId": value(&s.SubscribeID), "TopicName": value(&s.TopicName), "Partitions": value(&s.Partitions),
				"ConsumerGroups": list(&s.ConsumerGroups, func(g *ConsumerGroup) map[string]func(json.RawMessage, string) error {
					return map[string]func(json.RawMessage, string) error{
						"ConsumerGroupName": value(&g.ConsumerGroupName), "AccountName": value(&g.AccountName),
						"Password": value(&g.Password), "Description": value(&g.Description),
					}
				}),
			}
		}),
		"Faults": list(&cfg.Faults, func(f *Fault) map[string]func(json.RawMessage, string) error {
			return map[string]func(json.RawMessage, string) error{
				"Action": value(&f.Action), "Code": value(&f.Code), "Message": value(&f.Message),
				"DelayMs": value(&f.DelayMs), "Drop": value(&f.Drop), "Status": value(&f.Status),
				"Body": value(&f.Body), "Times": value(&f.Times),
			}
		}),
	})
}

func strictObject(b []byte, path string, into *map[string]json.RawMessage) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return cfgErr(path, "want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(into); err != nil {
		return cfgErr(path, "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return cfgErr(path, "unexpected data after the JSON object")
	}
	return nil
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func fields(obj map[string]json.RawMessage, path string, known map[string]func(json.RawMessage, string) error) error {
	for name := range obj {
		if _, ok := known[name]; !ok {
			return cfgErr(join(path, name), "unknown field")
		}
	}
	// Decode in a stable order so the first error reported does not depend on map iteration.
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := known[name](obj[name], join(path, name)); err != nil {
			return err
		}
	}
	return nil
}

func value[T any](dst *T) func(json.RawMessage, string) error {
	return func(raw json.RawMessage, path string) error {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return cfgErr(path, "must not be null")
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return cfgErr(path, "want a JSON %s, got %s", jsonKind(*dst), te.Value)
			}
			return cfgErr(path, "%v", err)
		}
		return nil
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int:
		return "integer"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// object decodes one nested object into a new *T; null is as if absent.
func object[T any](dst **T, schema func(*T) map[string]func(json.RawMessage, string) error) func(json.RawMessage, string) error {
	return func(raw json.RawMessage, path string) error {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil
		}
		var obj map[string]json.RawMessage
		if err := strictObject(raw, path, &obj); err != nil {
			return err
		}
		v := new(T)
		if err := fields(obj, path, schema(v)); err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

func list[T any](dst *[]T, schema func(*T) map[string]func(json.RawMessage, string) error) func(json.RawMessage, string) error {
	return func(raw json.RawMessage, path string) error {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return cfgErr(path, "want a JSON array")
		}
		if items == nil { // null: as if absent
			return nil
		}
		out := make([]T, len(items))
		for i, item := range items {
			p := fmt.Sprintf("%s[%d]", path, i)
			var obj map[string]json.RawMessage
			if err := strictObject(item, p, &obj); err != nil {
				return err
			}
			if err := fields(obj, p, schema(&out[i])); err != nil {
				return err
			}
		}
		*dst = out
		return nil
	}
}

var (
	regionRe      = regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)+$`)
	subscribeIDRe = regexp.MustCompile(`^subs-[a-z0-9]+$`)
	kafkaNameRe   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	errorCodeRe   = regexp.MustCompile(`^[A-Za-z]+(\.[A-Za-z0-9]+)*$`)
)

// MaxPartitions bounds a subscription's partition count.
const MaxPartitions = 1024

// Validate checks every value of the configuration; errors are *ConfigError values naming their path.
func (c Config) Validate() error {
	if !regionRe.MatchString(c.Region) {
		return cfgErr("Region", "want a region such as ap-guangzhou, got %q", c.Region)
	}
	for _, check := range []func() error{
		c.validateCredentials, c.validateTimes, c.validateSuperuser, c.validateSubscriptions, c.validateFaults,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateCredentials() error {
	if len(c.Credentials) == 0 {
		return cfgErr("Credentials", "at least one credential is required")
	}
	ids := map[string]bool{}
	for i, cr := range c.Credentials {
		p := fmt.Sprintf("Credentials[%d]", i)
		switch {
		case cr.SecretID == "" || strings.ContainsAny(cr.SecretID, "/, \t\r\n"):
			return cfgErr(p+".SecretId", "want a non-empty SecretId without '/', ',' or spaces")
		case ids[cr.SecretID]:
			return cfgErr(p+".SecretId", "duplicate SecretId %q", cr.SecretID)
		case cr.SecretKey == "":
			return cfgErr(p+".SecretKey", "must not be empty")
		}
		ids[cr.SecretID] = true
	}
	return nil
}

// The bounds of CheckpointSeconds and RetentionHours: a checkpoint at least every day, data kept at most a year.
const (
	maxCheckpointSeconds = 86400
	maxRetentionHours    = 8760
)

func (c Config) validateTimes() error {
	if c.CheckpointSeconds < 0 || c.CheckpointSeconds > maxCheckpointSeconds {
		return cfgErr("CheckpointSeconds", "want 1-%d (or 0 for %d), got %d", maxCheckpointSeconds, DefaultCheckpointSeconds, c.CheckpointSeconds)
	}
	if c.RetentionHours < 0 || c.RetentionHours > maxRetentionHours {
		return cfgErr("RetentionHours", "want 1-%d (or 0 for %d), got %d", maxRetentionHours, DefaultRetentionHours, c.RetentionHours)
	}
	return nil
}

func (c Config) validateSuperuser() error {
	u := c.KafkaSuperuser
	switch {
	case u == nil:
		return nil
	case u.User == "" || !kafkaNameRe.MatchString(u.User) || len(u.User) > 128:
		return cfgErr("KafkaSuperuser.User", "want 1-128 chars of [A-Za-z0-9._-], got %q", u.User)
	case strings.HasPrefix(u.User, "account-"):
		return cfgErr("KafkaSuperuser.User", "must not start with account-, the prefix of the DTS group accounts, got %q", u.User)
	case len(u.Password) <= 3 || len(u.Password) > 128:
		return cfgErr("KafkaSuperuser.Password", "want more than 3 and at most 128 characters")
	}
	return nil
}

func (c Config) validateSubscriptions() error {
	subs, topics := map[string]bool{}, map[string]bool{}
	for i, s := range c.Subscriptions {
		p := fmt.Sprintf("Subscriptions[%d]", i)
		switch {
		case !subscribeIDRe.MatchString(s.SubscribeID) || len(s.SubscribeID) > 64:
			return cfgErr(p+".SubscribeId", "want subs- followed by lowercase letters or digits (at most 64 chars), got %q", s.SubscribeID)
		case subs[s.SubscribeID]:
			return cfgErr(p+".SubscribeId", "duplicate SubscribeId %q", s.SubscribeID)
		case !validKafkaName(s.TopicName):
			return cfgErr(p+".TopicName", "want 1-249 chars of [A-Za-z0-9._-], got %q", s.TopicName)
		case topics[s.TopicName]:
			return cfgErr(p+".TopicName", "topic %q is used by another subscription", s.TopicName)
		case s.Partitions < 1 || s.Partitions > MaxPartitions:
			return cfgErr(p+".Partitions", "want 1-%d, got %d", MaxPartitions, s.Partitions)
		case len(s.ConsumerGroups) > MaxConsumerGroups:
			return cfgErr(p+".ConsumerGroups", "a subscription holds at most %d consumer groups, got %d", MaxConsumerGroups, len(s.ConsumerGroups))
		}
		subs[s.SubscribeID], topics[s.TopicName] = true, true
		if err := validateGroups(p, s); err != nil {
			return err
		}
	}
	return nil
}

// validateGroups checks the groups of subscription s (at path p): each valid, names unique, and one password
// per account, since the account is one Kafka user.
func validateGroups(p string, s Subscription) error {
	names := map[string]bool{}
	passwords := map[string]int{} // account → index of the first group naming it
	for j, g := range s.ConsumerGroups {
		gp := fmt.Sprintf("%s.ConsumerGroups[%d]", p, j)
		if err := validateGroup(s.SubscribeID, g); err != nil {
			var pe *paramError
			if errors.As(err, &pe) {
				return cfgErr(gp+"."+pe.field, "%s", pe.msg)
			}
			return err
		}
		if names[g.ConsumerGroupName] {
			return cfgErr(gp+".ConsumerGroupName", "duplicate consumer group %q", g.ConsumerGroupName)
		}
		names[g.ConsumerGroupName] = true
		if first, ok := passwords[g.AccountName]; ok && s.ConsumerGroups[first].Password != g.Password {
			return cfgErr(gp+".Password", "the account %q has another password in %s.ConsumerGroups[%d]; one account is one Kafka user with one password", g.AccountName, p, first)
		} else if !ok {
			passwords[g.AccountName] = j
		}
	}
	return nil
}

func (c Config) validateFaults() error {
	for i, f := range c.Faults {
		p := fmt.Sprintf("Faults[%d]", i)
		if err := validateFault(f); err != nil {
			var pe *paramError
			if errors.As(err, &pe) {
				return cfgErr(p+"."+pe.field, "%s", pe.msg)
			}
			return err
		}
	}
	return nil
}

// Superuser is the configured Kafka superuser, or the demo one.
func (c Config) Superuser() KafkaUser {
	if c.KafkaSuperuser != nil {
		return *c.KafkaSuperuser
	}
	return KafkaUser{User: DemoSuperuser, Password: DemoSuperuserPassword}
}

// Accounts are the Kafka users of the configured DTS accounts (account-<SubscribeId>-<AccountName>, the
// group's password), each once, in configuration order.
func (c Config) Accounts() []KafkaUser {
	var out []KafkaUser
	seen := map[string]bool{}
	for _, s := range c.Subscriptions {
		for _, g := range s.ConsumerGroups {
			if u := accountUser(s.SubscribeID, g.AccountName); !seen[u] {
				seen[u] = true
				out = append(out, KafkaUser{User: u, Password: g.Password})
			}
		}
	}
	return out
}

// paramError is an invalid value of one named field, shared by the config and the API parameter checks.
type paramError struct{ field, msg string }

func (e *paramError) Error() string { return e.field + ": " + e.msg }

func validKafkaName(s string) bool {
	return len(s) >= 1 && len(s) <= 249 && kafkaNameRe.MatchString(s) && s != "." && s != ".."
}

func endsAlnum(s string) bool {
	c := s[len(s)-1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validateGroup(subscribeID string, g ConsumerGroup) error {
	full := groupPrefix(subscribeID) + g.ConsumerGroupName
	switch {
	case g.ConsumerGroupName == "" || !kafkaNameRe.MatchString(g.ConsumerGroupName) || !endsAlnum(g.ConsumerGroupName) || !validKafkaName(full):
		return &paramError{"ConsumerGroupName", fmt.Sprintf("want a short name of [A-Za-z0-9._-] ending with a letter or digit (the full name %q must be a valid Kafka group), got %q", full, g.ConsumerGroupName)}
	case strings.HasPrefix(g.ConsumerGroupName, "consumer-grp-"):
		return &paramError{"ConsumerGroupName", fmt.Sprintf("want the short name, not the full name %q", g.ConsumerGroupName)}
	case g.AccountName == "" || !kafkaNameRe.MatchString(g.AccountName) || len(g.AccountName) > 128:
		return &paramError{"AccountName", fmt.Sprintf("want 1-128 chars of [A-Za-z0-9._-], got %q", g.AccountName)}
	case len(g.Password) <= 3 || len(g.Password) > 128:
		return &paramError{"Password", "want more than 3 and at most 128 characters"}
	case len(g.Description) > 256:
		return &paramError{"Description", "want at most 256 characters"}
	}
	return nil
}

// validateFault checks a fault's values, then that it does exactly one thing.
func validateFault(f Fault) error {
	switch {
	case f.Action != "*" && !knownAction(f.Action):
		return &paramError{"Action", fmt.Sprintf("want \"*\" or one of %s, got %q", strings.Join(actionNames(), ", "), f.Action)}
	case f.Code != "" && !errorCodeRe.MatchString(f.Code):
		return &paramError{"Code", fmt.Sprintf("want an error code such as InternalError or AuthFailure.SignatureFailure, got %q", f.Code)}
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return &paramError{"Status", fmt.Sprintf("want an HTTP status 100-599 (or 0 for none), got %d", f.Status)}
	case len(f.Body) > maxBody:
		return &paramError{"Body", fmt.Sprintf("want at most %d bytes, got %d", maxBody, len(f.Body))}
	case f.DelayMs < 0 || f.DelayMs > 600000:
		return &paramError{"DelayMs", fmt.Sprintf("want 0-600000, got %d", f.DelayMs)}
	case f.Times < 0:
		return &paramError{"Times", fmt.Sprintf("want 0 (forever) or more, got %d", f.Times)}
	}
	return validateFaultEffect(f)
}

// validateFaultEffect checks that a fault answers at most one of Code, Drop and Status, and does something.
func validateFaultEffect(f Fault) error {
	switch {
	case f.Code != "" && f.Drop:
		return &paramError{"Drop", "a fault either drops the connection or answers Code, not both"}
	case f.Code == "" && f.Message != "":
		return &paramError{"Message", "a Message needs a Code"}
	case f.Status != 0 && (f.Code != "" || f.Drop):
		return &paramError{"Status", "a fault answers one of Code, Drop or Status, not several"}
	case f.Status == 0 && f.Body != "":
		return &paramError{"Body", "a Body needs a Status"}
	case f.Code == "" && !f.Drop && f.Status == 0 && f.DelayMs == 0:
		return &paramError{"Code", "a fault needs a Code, a DelayMs, Drop or a Status"}
	}
	return nil
}

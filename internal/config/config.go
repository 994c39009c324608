// Package config reads the function's configuration from the environment once, at start, and checks it.
// Credentials are deliberately not here: SCF refreshes the execution role's temporary credentials through
// each invocation's environment, so the DTS client reads them per call.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"dtsreset/internal/dts"
	"dtsreset/validate"
)

// DefaultEndpoint is the DTS API host used when DTS_ENDPOINT is not set.
const DefaultEndpoint = dts.DefaultEndpoint

// Config is the checked configuration.
type Config struct {
	Region              string   // DTS_REGION, else TENCENTCLOUD_REGION
	Endpoint            string   // DTS_ENDPOINT: a host, or a URL for the emulator
	RoleARN             string   // DTS_ROLE_ARN
	STSEndpoint         string   // DTS_STS_ENDPOINT: like Endpoint; "" is the SDK's STS host
	APIToken            string   // RESET_API_TOKEN
	AllowedSubscribeIDs []string // RESET_ALLOWED_SUBSCRIBE_IDS
	Precheck            bool     // RESET_PRECHECK
	Verify              bool     // RESET_VERIFY
	LogLevel            slog.Level
}

// Error names the variable that is wrong and why.
type Error struct {
	Variable string
	Problem  string
}

func (e *Error) Error() string { return e.Variable + ": " + e.Problem }

// roleARNPattern is the form of a CAM role ARN; SubscribeIds and regions follow validate's rules, the payload's.
var roleARNPattern = regexp.MustCompile(`^qcs::cam::uin/[0-9]+:role(Name)?/[A-Za-z0-9_+=,.@/-]+$`)

// Load reads the configuration through getenv (os.Getenv in main) and returns every problem it finds.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	var c Config
	c.Region = l.region()
	c.Endpoint = l.endpoint("DTS_ENDPOINT", DefaultEndpoint)
	c.RoleARN = l.roleARN()
	c.STSEndpoint = l.endpoint("DTS_STS_ENDPOINT", "")
	c.APIToken = l.apiToken()
	c.AllowedSubscribeIDs = l.allowList()
	c.Precheck = l.boolean("RESET_PRECHECK", true)
	c.Verify = l.boolean("RESET_VERIFY", true)
	c.LogLevel = l.logLevel()
	return c, errors.Join(l.errs...)
}

// loader reads one variable at a time, each trimmed, and collects every problem.
type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }

func (l *loader) bad(name, format string, args ...any) {
	l.errs = append(l.errs, &Error{Variable: name, Problem: fmt.Sprintf(format, args...)})
}

func (l *loader) region() string {
	region, name := l.get("DTS_REGION"), "DTS_REGION"
	if region == "" {
		region, name = l.get("TENCENTCLOUD_REGION"), "TENCENTCLOUD_REGION"
	}
	switch {
	case region == "":
		l.bad(name, "no region: set DTS_REGION or TENCENTCLOUD_REGION (SCF sets the latter), e.g. ap-guangzhou")
	case !validate.IsRegion(region):
		l.bad(name, "%q is not a region name such as ap-guangzhou", region)
	}
	return region
}

// endpoint reads a host or URL; an unset one is def, and "" is not checked.
func (l *loader) endpoint(name, def string) string {
	v := cmp.Or(l.get(name), def)
	if v != "" {
		if _, _, err := dts.ParseEndpoint(v); err != nil {
			l.bad(name, "%s", err)
		}
	}
	return v
}

func (l *loader) roleARN() string {
	v := l.get("DTS_ROLE_ARN")
	if v != "" && !roleARNPattern.MatchString(v) {
		l.bad("DTS_ROLE_ARN", "%q is not a CAM role ARN such as qcs::cam::uin/100000000001:roleName/dtsreset", v)
	}
	return v
}

// apiToken is trimmed like every other variable: a token pasted with a trailing newline would otherwise never
// match what callers send (the handler trims the presented token, as HTTP trims header values).
func (l *loader) apiToken() string {
	v := l.get("RESET_API_TOKEN")
	switch {
	case v == "":
	case len(v) < 16:
		// A short token is guessable; refuse it rather than give a false sense of protection.
		l.bad("RESET_API_TOKEN", "must be at least 16 characters (got %d)", len(v))
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		l.bad("RESET_API_TOKEN", "must not contain spaces or control characters: an Authorization header cannot carry it as one token")
	}
	return v
}

func (l *loader) allowList() []string {
	list := l.get("RESET_ALLOWED_SUBSCRIBE_IDS")
	if list == "" {
		return nil
	}
	var ids []string
	before := len(l.errs)
	for _, id := range strings.Split(list, ",") {
		switch id = strings.TrimSpace(id); {
		case id == "":
		case !validate.IsSubscribeID(id):
			l.bad("RESET_ALLOWED_SUBSCRIBE_IDS", "%q is not a SubscribeId such as subs-635ns8r71g", id)
		default:
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && len(l.errs) == before {
		// "," or " , " would otherwise switch the allow-list off: fail closed instead.
		l.bad("RESET_ALLOWED_SUBSCRIBE_IDS", "is set but lists no SubscribeId; unset it to allow every subscription")
	}
	return ids
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.bad(name, "%q is not a boolean (true or false)", v)
		return def
	}
	return b
}

func (l *loader) logLevel() slog.Level {
	level := slog.LevelInfo
	if v := l.get("LOG_LEVEL"); v != "" && level.UnmarshalText([]byte(v)) != nil {
		l.bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
	return level
}

// Variables lists the variables err names, in order, for a message that must not repeat their values (the
// reply to an unauthenticated caller).
func Variables(err error) []string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, inner := range joined.Unwrap() {
			out = append(out, Variables(inner)...)
		}
		return out
	}
	var ce *Error
	if errors.As(err, &ce) {
		return []string{ce.Variable}
	}
	return nil
}

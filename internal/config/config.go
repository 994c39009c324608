// Package config reads the function's configuration from the environment once, at start, and checks it.
// Credentials are deliberately not here: SCF refreshes the execution role's temporary credentials through
// each invocation's environment, so the DTS client reads them per call.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"dtsreset/internal/dts"
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

var (
	regionPattern      = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	subscribeIDPattern = regexp.MustCompile(`^subs-[a-z0-9]+$`)
	roleARNPattern     = regexp.MustCompile(`^qcs::cam::uin/[0-9]+:role(Name)?/[A-Za-z0-9_+=,.@/-]+$`)
)

// Load reads the configuration through getenv (os.Getenv in main) and returns every problem it finds.
func Load(getenv func(string) string) (Config, error) {
	c := Config{Precheck: true, Verify: true, LogLevel: slog.LevelInfo}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, &Error{Variable: name, Problem: fmt.Sprintf(format, args...)})
	}

	c.Region = strings.TrimSpace(getenv("DTS_REGION"))
	regionVar := "DTS_REGION"
	if c.Region == "" {
		c.Region = strings.TrimSpace(getenv("TENCENTCLOUD_REGION"))
		regionVar = "TENCENTCLOUD_REGION"
	}
	switch {
	case c.Region == "":
		bad("TENCENTCLOUD_REGION", "no region: set DTS_REGION or TENCENTCLOUD_REGION (SCF sets the latter), e.g. ap-guangzhou")
	case !regionPattern.MatchString(c.Region):
		bad(regionVar, "%q is not a region name such as ap-guangzhou", c.Region)
	}

	c.Endpoint = strings.TrimSpace(getenv("DTS_ENDPOINT"))
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if _, _, err := dts.ParseEndpoint(c.Endpoint); err != nil {
		bad("DTS_ENDPOINT", "%s", err)
	}

	c.RoleARN = strings.TrimSpace(getenv("DTS_ROLE_ARN"))
	if c.RoleARN != "" && !roleARNPattern.MatchString(c.RoleARN) {
		bad("DTS_ROLE_ARN", "%q is not a CAM role ARN such as qcs::cam::uin/100000000001:roleName/dtsreset", c.RoleARN)
	}

	if c.STSEndpoint = strings.TrimSpace(getenv("DTS_STS_ENDPOINT")); c.STSEndpoint != "" {
		if _, _, err := dts.ParseEndpoint(c.STSEndpoint); err != nil {
			bad("DTS_STS_ENDPOINT", "%s", err)
		}
	}

	// Trimmed like every other variable: a token pasted with a trailing newline would otherwise never match
	// what callers send (the handler trims the presented token, as HTTP trims header values).
	c.APIToken = strings.TrimSpace(getenv("RESET_API_TOKEN"))
	switch {
	case c.APIToken == "":
	case len(c.APIToken) < 16:
		// A short token is guessable; refuse it rather than give a false sense of protection.
		bad("RESET_API_TOKEN", "must be at least 16 characters (got %d)", len(c.APIToken))
	case strings.ContainsFunc(c.APIToken, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		bad("RESET_API_TOKEN", "must not contain spaces or control characters: an Authorization header cannot carry it as one token")
	}

	if list := strings.TrimSpace(getenv("RESET_ALLOWED_SUBSCRIBE_IDS")); list != "" {
		before := len(errs)
		for _, id := range strings.Split(list, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if !subscribeIDPattern.MatchString(id) {
				bad("RESET_ALLOWED_SUBSCRIBE_IDS", "%q is not a SubscribeId such as subs-635ns8r71g", id)
				continue
			}
			c.AllowedSubscribeIDs = append(c.AllowedSubscribeIDs, id)
		}
		if len(c.AllowedSubscribeIDs) == 0 && len(errs) == before {
			// "," or " , " would otherwise switch the allow-list off: fail closed instead.
			bad("RESET_ALLOWED_SUBSCRIBE_IDS", "is set but lists no SubscribeId; unset it to allow every subscription")
		}
	}

	for _, b := range []struct {
		name string
		dst  *bool
	}{{"RESET_PRECHECK", &c.Precheck}, {"RESET_VERIFY", &c.Verify}} {
		v := strings.TrimSpace(getenv(b.name))
		if v == "" {
			continue
		}
		parsed, err := strconv.ParseBool(v)
		if err != nil {
			bad(b.name, "%q is not a boolean (true or false)", v)
			continue
		}
		*b.dst = parsed
	}

	if v := strings.TrimSpace(getenv("LOG_LEVEL")); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
		}
	}
	return c, errors.Join(errs...)
}

// Variables lists the variables err names, in order, for a message that must not repeat their values (the
// reply to an unauthenticated caller).
func Variables(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var ce *Error
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ce) {
				out = append(out, ce.Variable)
			}
		}
	}
	walk(err)
	return out
}

// Command main is the dtsreset SCF function: it resets the offsets of a DTS data-subscription consumer group
// through the DTS API ResetConsumerGroupOffset, safely (precheck, plan, verify), and answers the API's RequestId.
//
// main only wires: configuration → DTS client → reset service → handler → scf-go-lib's RPC server.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"dtsreset/handler"
	"dtsreset/internal/config"
	"dtsreset/internal/dts"
	"dtsreset/internal/reset"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		cloudfunction.StartHandler(handler.Failing(configError(logger, err, config.Variables(err)), logger))
		return
	}
	client, err := dts.NewClient(dts.Options{
		Region:      cfg.Region,
		Endpoint:    cfg.Endpoint,
		RoleARN:     cfg.RoleARN,
		STSEndpoint: cfg.STSEndpoint,
		Logger:      logger,
	})
	if err != nil {
		cloudfunction.StartHandler(handler.Failing(configError(logger, err, []string{"DTS_ENDPOINT", "DTS_STS_ENDPOINT", "DTS_ROLE_ARN"}), logger))
		return
	}
	if cfg.APIToken == "" {
		// Not an error: a function with only timer and direct triggers needs no token, and an HTTP trigger may
		// be protected by API Gateway's own authentication. But an open HTTP trigger without it lets anyone who
		// finds the URL reset offsets, so say so where the operator looks.
		logger.Warn("RESET_API_TOKEN is not set: the function does not authenticate HTTP callers; set it, or " +
			"protect the API Gateway / Function URL trigger with the platform's authentication (docs/SECURITY.md)")
	}
	service := reset.New(client, reset.Options{Precheck: cfg.Precheck, Verify: cfg.Verify, Logger: logger})
	cloudfunction.StartHandler(invocationCredentials{handler.New(service, handler.Options{
		APIToken:            cfg.APIToken,
		AllowedSubscribeIDs: cfg.AllowedSubscribeIDs,
		Logger:              logger,
	})})
}

// invocationCredentials takes each invocation's credentials once, as it starts, from its own Environment map
// (else the process environment, else none: the SDK's chain), and hands them down in ctx, so that every DTS
// call of the invocation signs with that one set while concurrent invocations rewrite the process
// environment. It sits here rather than in internal/dts so that dts needs nothing of scf-go-lib and the
// snapshot is taken once per invocation by construction, with no per-ctx memo to keep.
type invocationCredentials struct{ next cloudfunction.Handler }

func (h invocationCredentials) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var env map[string]string
	if fc, ok := functioncontext.FromContext(ctx); ok {
		env = fc.Environment
	}
	return h.next.Invoke(dts.WithInvocationCredentials(ctx, env), payload)
}

// configError keeps the instance alive and makes every invocation fail with a message naming the variables:
// a crash at start would only show up as an opaque initialisation failure in the SCF console. The reply names
// the variables but not their values, since it may go to an unauthenticated HTTP caller; the log has both.
func configError(logger *slog.Logger, err error, variables []string) error {
	logger.Error("invalid configuration", "error", err.Error())
	return reset.Errorf(reset.KindInternal, reset.CodeConfig, "invalid configuration of %s; the function's log says why",
		strings.Join(variables, ", "))
}

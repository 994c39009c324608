// Command main is the dtsreset SCF function: it resets the offsets of a DTS data-subscription consumer group
// through the DTS API ResetConsumerGroupOffset, safely (precheck, plan, verify), and answers the API's RequestId.
//
// main only wires: configuration → DTS client → reset service → handler → scf-go-lib's RPC server.
package main

import (
	"log/slog"
	"os"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"dtsreset/handler"
	"dtsreset/internal/config"
	"dtsreset/internal/dts"
	"dtsreset/internal/reset"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		cloudfunction.StartHandler(handler.Failing(configError(logger, err), logger))
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
		cloudfunction.StartHandler(handler.Failing(configError(logger, err), logger))
		return
	}
	service := reset.New(client, reset.Options{Precheck: cfg.Precheck, Verify: cfg.Verify, Logger: logger})
	cloudfunction.StartHandler(handler.New(service, handler.Options{
		APIToken:            cfg.APIToken,
		AllowedSubscribeIDs: cfg.AllowedSubscribeIDs,
		Logger:              logger,
	}))
}

// configError keeps the instance alive and makes every invocation fail with a message naming the variable:
// a crash at start would only show up as an opaque initialisation failure in the SCF console.
func configError(logger *slog.Logger, err error) error {
	logger.Error("invalid configuration", "error", err.Error())
	return reset.Errorf(reset.KindInternal, reset.CodeConfig, "invalid configuration: %s", err)
}

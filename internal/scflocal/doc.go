// Package scflocal runs an SCF Go function binary on this machine the way Tencent Cloud's SCF Go runtime
// does, so that tests, benchmarks and the `scflocal` command exercise the compiled binary through
// scf-go-lib's own protocol rather than a Go function call.
//
// The model: scf-go-lib's cloudfunction.StartHandler serves net/rpc on the port named by
// _LAMBDA_SERVER_PORT, with two methods, Function.Ping and Function.Invoke. SCF starts the binary once per
// instance and sends each invocation as a messages.InvokeRequest carrying the event (Payload), a RequestId,
// an absolute Deadline (the handler's ctx deadline: a zero one means an already-expired ctx) and an
// Environment, a JSON object the library applies with os.Setenv before every invocation; that is how SCF
// hands the function refreshed role credentials without restarting it. A returned error comes back as
// InvokeResponse.Error; a panic as an Error with ShouldExit, after which SCF discards the instance.
//
// Process (Start, Invoke) is that runtime side. Gateway is a local HTTP trigger in front of it: each HTTP
// request becomes a Function URL or an API Gateway event, and the function's integration response becomes
// the HTTP response; GatewayOptions.Route limits it to one method and path, as a deployed trigger is called. The
// package knows nothing of what the function does (cmd/scflocal renders dtsreset's replies).
package scflocal

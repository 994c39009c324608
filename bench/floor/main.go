// Command floor is the smallest SCF Go function: scf-go-lib's RPC server with a handler that echoes nothing.
// bench/run.sh builds it like bin/main and times its cold start beside ours: the floor of this machine (exec,
// the Go runtime, scf-go-lib), against which the function's own start-up cost reads.
package main

import (
	"context"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

type handler struct{}

func (handler) Invoke(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil }

func main() { cloudfunction.StartHandler(handler{}) }

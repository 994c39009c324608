// Command envcheck is `make deploy`'s check of the exported variables: it loads the function's configuration
// from serverless.yml's environment with each ${env:X} taken from this process's environment, and exits 1,
// naming each variable, when the function would refuse it (every invocation would fail with
// InternalError.Config). Usage: go run ./deploy/cmd/envcheck [serverless.yml]
package main

import (
	"fmt"
	"os"
	"strings"

	"dtsreset/deploy"
)

func main() {
	file := "serverless.yml"
	if len(os.Args) > 1 {
		file = os.Args[1]
	}
	b, err := os.ReadFile(file)
	if err == nil {
		err = deploy.CheckEnvironment(b, os.Getenv)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "make deploy: the function would refuse this configuration (every invocation would fail with InternalError.Config); fix the exported variable:\n  %s\n",
			strings.ReplaceAll(err.Error(), "\n", "\n  "))
		os.Exit(1)
	}
}

package deploy

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"dtsreset/internal/config"
)

// CheckEnvironment loads the function's configuration with internal/config's own rules (those it applies at
// start, where a refusal fails every invocation with InternalError.Config) from what serverless.yml gives SCF:
// inputs.environment.variables, and inputs.region as TENCENTCLOUD_REGION, each ${env:X} filled in by getenv.
// `make deploy` passes os.Getenv (deploy/cmd/envcheck), so the values checked are the ones exported for the
// deploy; the error names each variable the function would refuse.
func CheckEnvironment(serverless []byte, getenv func(string) string) error {
	var doc struct {
		Inputs struct {
			Region      string `yaml:"region"`
			Environment struct {
				Variables map[string]string `yaml:"variables"`
			} `yaml:"environment"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(serverless, &doc); err != nil {
		return fmt.Errorf("serverless.yml: %w", err)
	}
	expand := func(s string) string {
		return envRef.ReplaceAllStringFunc(s, func(ref string) string { return getenv(envRef.FindStringSubmatch(ref)[1]) })
	}
	env := map[string]string{"TENCENTCLOUD_REGION": expand(doc.Inputs.Region)}
	for k, v := range doc.Inputs.Environment.Variables {
		env[k] = expand(v)
	}
	_, err := config.Load(func(k string) string { return env[k] })
	return err
}

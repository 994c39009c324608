package deploy

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The repository's files, relative to this package.
const (
	serverlessFile = "../serverless.yml"
	makefile       = "../Makefile"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rules are the checks' facts, read from the code rather than written down twice: DEPLOY_VARS and PKG_DIR
// from the Makefile, the variables the function reads from internal/config's source (every upper-case
// string constant in it) plus those SCF sets, which serverless.yml must not set.
func rules(t *testing.T) Rules {
	t.Helper()
	r, err := ParseMakefile(read(t, makefile))
	if err != nil {
		t.Fatal(err)
	}
	envName := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	r.KnownVars = stringConstants(t, "../internal/config", func(_, val string) bool { return envName.MatchString(val) })
	// Set by SCF from the execution role and the function's region: never in serverless.yml.
	for _, scf := range []string{"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "TENCENTCLOUD_REGION"} {
		r.KnownVars = slices.DeleteFunc(r.KnownVars, func(v string) bool { return v == scf })
	}
	for _, want := range []string{"RESET_API_TOKEN", "RESET_ALLOWED_SUBSCRIBE_IDS", "LOG_LEVEL"} {
		if !slices.Contains(r.KnownVars, want) {
			t.Fatalf("internal/config's variables %v lack %s: the scan no longer finds them", r.KnownVars, want)
		}
	}
	return r
}

// stringConstants returns the string literals in dir's non-test Go files that keep(name of the enclosing
// const, or "", value) admits, sorted and unique.
func stringConstants(t *testing.T, dir string, keep func(name, val string) bool) []string {
	t.Helper()
	pkgs, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, file := range pkgs {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == len(vs.Values) {
				for i, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil && keep(vs.Names[i].Name, s) {
							out = append(out, s)
						}
					}
				}
				return true // literals below (in calls, composite values) are seen unnamed
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && keep("", s) {
					out = append(out, s)
				}
			}
			return true
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dtsActions are the DTS actions the function calls: internal/dts's Action* constants, as CAM spells them.
func dtsActions(t *testing.T) []string {
	t.Helper()
	var actions []string
	for _, a := range stringConstants(t, "../internal/dts", func(name, _ string) bool { return strings.HasPrefix(name, "Action") }) {
		actions = append(actions, "dts:"+a)
	}
	if len(actions) < 4 {
		t.Fatalf("internal/dts's Action constants: got %v, want the four the function calls at least", actions)
	}
	return actions
}

func TestRepositoryFiles(t *testing.T) {
	if probs := CheckServerless(read(t, serverlessFile), rules(t)); len(probs) != 0 {
		t.Errorf("serverless.yml: %d problems:\n%s", len(probs), joinProblems(probs))
	}
	actions := dtsActions(t)
	for _, tt := range []struct {
		file  string
		check func([]byte) []Problem
	}{
		{"scf-trust-policy.json", CheckTrustPolicy},
		{"cam-policy.json", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"cam-policy-scoped.json", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, true) }},
		{"cam-policy-assume-role.json", CheckAssumeRolePolicy},
	} {
		if probs := tt.check(read(t, tt.file)); len(probs) != 0 {
			t.Errorf("deploy/%s: %d problems:\n%s", tt.file, len(probs), joinProblems(probs))
		}
	}
}

func joinProblems(probs []Problem) string {
	var b strings.Builder
	for _, p := range probs {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// TestServerlessMistakes makes each mistake in a copy of the real serverless.yml and wants the check to name
// it. A replacement that no longer matches the file fails the test, so the table cannot go stale.
func TestServerlessMistakes(t *testing.T) {
	good := string(read(t, serverlessFile))
	r := rules(t)
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"misspelled input", "  memorySize: 64", "  memorysize: 64", "unknown field inputs.memorysize (did you mean memorySize?)"},
		{"misspelled top-level field", "\ninputs:\n", "\ninput:\n", "unknown field input (did you mean inputs?)"},
		{"misspelled timer field", "cronExpression:", "cronExpresion:", "unknown field timer.parameters.cronExpresion (did you mean cronExpression?)"},
		{"misspelled variable", "  RESET_VERIFY:", "  RESET_VERIFIY:", "variable RESET_VERIFIY is not one the function reads (did you mean RESET_VERIFY?)"},
		{"src is the zip", "src: ./dist/pkg", "src: ./dist/main.zip", `src "./dist/main.zip" is a zip`},
		{"src.src is the zip", "src: ./dist/pkg", "src:\n    src: ./dist/main.zip", `src "./dist/main.zip" is a zip`},
		{"src is another folder", "src: ./dist/pkg", "src: ./bin", `src "./bin" is not dist/pkg`},
		{"description with parentheses", "consumer groups\n", "consumer groups (ResetConsumerGroupOffset)\n", "description \"Safely"},
		{"description with a dash", "DTS data subscription", "DTS data-subscription", "SCF allows only letters, digits, spaces, commas, periods"},
		{"empty variable", `RESET_PRECHECK: "true"`, `RESET_PRECHECK: ""`, "RESET_PRECHECK is empty"},
		{"null variable", "LOG_LEVEL: info", "LOG_LEVEL:", "LOG_LEVEL is empty"},
		{"variable that deploys undefined", "LOG_LEVEL: info", "LOG_LEVEL: undefined", `LOG_LEVEL is the string "undefined"`},
		{"unquoted boolean variable", `RESET_VERIFY: "true"`, "RESET_VERIFY: true", `RESET_VERIFY: true is a YAML bool, not a string: quote it`},
		{"unguarded env reference", "LOG_LEVEL: info", "LOG_LEVEL: ${env:LOG_LEVEL}", "${env:LOG_LEVEL} is not in the Makefile's DEPLOY_VARS"},
		{"unguarded env reference in region", "region: ${env:REGION}", "region: ${env:TENCENTCLOUD_REGION}", "${env:TENCENTCLOUD_REGION} is not in the Makefile's DEPLOY_VARS"},
		{"api gateway trigger", "    - http:\n", "    - apigw:\n        parameters:\n          endpoints:\n            - path: /reset\n              method: POST\n    - http:\n", "apigw: SCF stopped creating API Gateway triggers"},
		{"api gateway instead of the function url", "    - http:\n", "    - apigw:\n", "want exactly one http event (the Function URL), got 0"},
		{"two function urls", "    - timer:\n", "    - http:\n        parameters:\n          netConfig:\n            enableExtranet: true\n          authType: CAM\n    - timer:\n", "want exactly one http event (the Function URL), got 2"},
		{"function url without extranet", "enableExtranet: true", "enableExtranet: false", "enableExtranet: got false, want true"},
		{"function url without netConfig", "          netConfig:\n            enableIntranet: false\n            enableExtranet: true\n", "", "netConfig is missing"},
		{"function url with an unknown auth type", "authType: NONE", "authType: APP", `authType: got "APP", want NONE`},
		{"function url open without a token", "      RESET_API_TOKEN: ${env:RESET_API_TOKEN}", "", "authType NONE without RESET_API_TOKEN"},
		{"function url parameter misspelled", "authType: NONE", "authtype: NONE", "unknown field http.parameters.authtype (did you mean authType?)"},
		{"timer enabled", "enable: false", "enable: true", "enable: got true, want false"},
		{"timer cron of 5 fields", `"0 0 2 * * * *"`, `"0 2 * * *"`, "SCF's cron has 7 fields"},
		{"timer argument not JSON", `argument: '{"SubscribeId"`, `argument: '"SubscribeId"`, "argument must be a JSON object"},
		{"retryNum without asyncRunEnable", "  environment:\n", "  retryNum: 2\n  environment:\n", "retryNum takes effect only with asyncRunEnable: true"},
		{"retryNum with asyncRunEnable false", "  environment:\n", "  asyncRunEnable: false\n  retryNum: 2\n  environment:\n", "retryNum takes effect only with asyncRunEnable: true"},
		{"asyncRunEnable without cls", "  environment:\n", "  asyncRunEnable: true\n  retryNum: 2\n  environment:\n", "asyncRunEnable: true needs a cls log topic"},
		{"runtime", "runtime: Go1", "runtime: Go1.26", `runtime: got "Go1.26", want Go1`},
		{"handler", "handler: main", "handler: main.Handler", `handler: got "main.Handler", want main`},
		{"web function", "type: event", "type: web", `type: got "web", want event`},
		{"memory size", "memorySize: 64 ", "memorySize: 100 ", `memorySize "100"`},
		{"timeout", "timeout: 30 ", "timeout: 1000 ", `timeout "1000"`},
		{"function name", "name: dtsreset-${stage}", "name: dtsreset_${stage}_", "name \"dtsreset_${stage}_\""},
		{"component", "component: scf", "component: tencent-scf", `component: got "tencent-scf", want scf`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(good, tt.old, tt.new, 1)
			if bad == good {
				t.Fatalf("serverless.yml no longer contains %q: update the test", tt.old)
			}
			probs := CheckServerless([]byte(bad), r)
			if !slices.ContainsFunc(probs, func(p Problem) bool { return strings.Contains(p.Msg, tt.want) }) {
				t.Errorf("got problems:\n%swant one containing %q", joinProblems(probs), tt.want)
			}
		})
	}
}

func TestServerlessNotYAML(t *testing.T) {
	for _, in := range []string{"inputs: [", "- a\n- b\n", ""} {
		if probs := CheckServerless([]byte(in), rules(t)); len(probs) != 1 || probs[0].Line != 0 {
			t.Errorf("CheckServerless(%q): got %v, want one problem with the file", in, probs)
		}
	}
}

func TestPolicyMistakes(t *testing.T) {
	actions := dtsActions(t)
	trust := string(read(t, "scf-trust-policy.json"))
	dtsPolicy := string(read(t, "cam-policy.json"))
	scopedPolicy := string(read(t, "cam-policy-scoped.json"))
	assume := string(read(t, "cam-policy-assume-role.json"))
	tests := []struct {
		name, file, old, new, want string
		check                      func([]byte) []Problem
	}{
		{"trust: another service", trust, `"scf.qcloud.com"`, `"cvm.qcloud.com"`, "want {\"service\": [\"scf.qcloud.com\"]}", CheckTrustPolicy},
		{"trust: an account may assume it", trust, `"service"`, `"qcs"`, "want {\"service\"", CheckTrustPolicy},
		{"trust: action without name/", trust, `"name/sts:AssumeRole"`, `"sts:AssumeRole"`, `want ["name/sts:AssumeRole"]`, CheckTrustPolicy},
		{"trust: misspelled field", trust, `"principal"`, `"principle"`, "unknown field", CheckTrustPolicy},
		{"trust: version", trust, `"2.0"`, `"1.0"`, `version: got "1.0"`, CheckTrustPolicy},
		{"dts: wildcard action", dtsPolicy, `"dts:DescribeSubscribeDetail"`, `"dts:*"`, "is a wildcard", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"dts: an action missing", dtsPolicy, "\"dts:DescribeOffsetByTime\",\n", "", "want exactly", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"dts: an action too many", dtsPolicy, `"dts:ResetConsumerGroupOffset"`, `"dts:ResetConsumerGroupOffset", "dts:DeleteConsumerGroup"`, "want exactly", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"dts: deny", dtsPolicy, `"allow"`, `"deny"`, `effect "deny"`, func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"dts: misspelled resource", dtsPolicy, `"resource"`, `"resouce"`, "unknown field", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, false) }},
		{"scoped: resource of another product", scopedPolicy, "qcs::dts:", "qcs::ckafka:", "want the form qcs::dts:", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, true) }},
		{"scoped: wildcard resource", scopedPolicy, `"qcs::dts:ap-guangzhou:uin/100000000001:subscribe/subs-635ns8r71g"`, `"*"`, "want the form", func(b []byte) []Problem { return CheckDTSPolicy(b, actions, true) }},
		{"assume: any role", assume, `"qcs::cam::uin/100000000001:roleName/dtsreset-target"`, `"*"`, "want the form qcs::cam::uin/<uin>:roleName/<role>", CheckAssumeRolePolicy},
		{"assume: another action", assume, `"sts:AssumeRole"`, `"sts:GetFederationToken"`, "want sts:AssumeRole only", CheckAssumeRolePolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(tt.file, tt.old, tt.new, 1)
			if bad == tt.file {
				t.Fatalf("the policy no longer contains %q: update the test", tt.old)
			}
			probs := tt.check([]byte(bad))
			if !slices.ContainsFunc(probs, func(p Problem) bool { return strings.Contains(p.Msg, tt.want) }) {
				t.Errorf("got problems:\n%swant one containing %q", joinProblems(probs), tt.want)
			}
		})
	}
}

// TestConfigAcceptsEnvironment loads the function's configuration from serverless.yml's variables, as SCF
// would set them (${env:X} given an example value), so a value written in serverless.yml that the function
// refuses fails here, not on the first invocation. The values exported for a deploy are checked by make
// deploy itself (deploy/cmd/envcheck; TestMakeDeployRefuses).
func TestConfigAcceptsEnvironment(t *testing.T) {
	example := map[string]string{
		"STAGE": "prod", "REGION": "ap-guangzhou",
		"RESET_API_TOKEN": "0123456789abcdef0123", "RESET_ALLOWED_SUBSCRIBE_IDS": "subs-635ns8r71g,subs-7l2ly86kao",
	}
	for _, v := range rules(t).DeployVars {
		if example[v] == "" {
			t.Fatalf("DEPLOY_VARS has %s: give it an example value here", v)
		}
	}
	if err := CheckEnvironment(read(t, serverlessFile), func(k string) string { return example[k] }); err != nil {
		t.Errorf("the function refuses serverless.yml's environment with %v: %v", example, err)
	}
}

// TestCheckEnvironmentRefuses gives CheckEnvironment exported values the function would refuse and wants the
// error to name the variable.
func TestCheckEnvironmentRefuses(t *testing.T) {
	good := map[string]string{
		"STAGE": "prod", "REGION": "ap-guangzhou",
		"RESET_API_TOKEN": "0123456789abcdef0123", "RESET_ALLOWED_SUBSCRIBE_IDS": "subs-635ns8r71g",
	}
	for _, tt := range []struct{ name, variable, value, want string }{
		{"token with a space", "RESET_API_TOKEN", "0123456789 abcdef0123", "RESET_API_TOKEN: must not contain spaces"},
		{"short token", "RESET_API_TOKEN", "0123456789abcde", "RESET_API_TOKEN: must be at least 16 characters"},
		{"allow-list with a bad id", "RESET_ALLOWED_SUBSCRIBE_IDS", "subs-635ns8r71g;subs-7l2ly86kao", "RESET_ALLOWED_SUBSCRIBE_IDS: "},
		{"allow-list of commas", "RESET_ALLOWED_SUBSCRIBE_IDS", ",", "RESET_ALLOWED_SUBSCRIBE_IDS: is set but lists no SubscribeId"},
		{"region", "REGION", "guangzhou", "TENCENTCLOUD_REGION: \"guangzhou\" is not a region name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEnvironment(read(t, serverlessFile), func(k string) string {
				if k == tt.variable {
					return tt.value
				}
				return good[k]
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s=%q: got %v, want an error containing %q", tt.variable, tt.value, err, tt.want)
			}
		})
	}
}

// TestMakeDeployRefuses runs `make deploy` with each required variable unset (or empty) and wants it to stop
// before packaging or deploying, naming the variable.
func TestMakeDeployRefuses(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	full := map[string]string{
		"STAGE": "prod", "REGION": "ap-guangzhou",
		"RESET_API_TOKEN": "0123456789abcdef0123", "RESET_ALLOWED_SUBSCRIBE_IDS": "subs-635ns8r71g",
	}
	type tc struct {
		name string
		env  map[string]string
		want string
	}
	var tests []tc
	for _, v := range rules(t).DeployVars {
		unset, empty := map[string]string{}, map[string]string{}
		for k, val := range full {
			if k != v {
				unset[k], empty[k] = val, val
			}
		}
		empty[v] = ""
		tests = append(tests, tc{v + " unset", unset, "make deploy: " + v + " is not set"},
			tc{v + " empty", empty, "make deploy: " + v + " is not set"})
	}
	short := map[string]string{}
	for k, v := range full {
		short[k] = v
	}
	short["RESET_API_TOKEN"] = "0123456789abcde" // 15
	// Values set but refused by the function's own configuration rules: every invocation would fail.
	spaced, badList := maps.Clone(full), maps.Clone(full)
	spaced["RESET_API_TOKEN"] = "0123456789 abcdef0123"
	badList["RESET_ALLOWED_SUBSCRIBE_IDS"] = "subs-635ns8r71g subs-7l2ly86kao"
	tests = append(tests, tc{"short token", short, "RESET_API_TOKEN: must be at least 16 characters"},
		tc{"token with a space", spaced, "RESET_API_TOKEN: must not contain spaces"},
		tc{"malformed allow-list", badList, "RESET_ALLOWED_SUBSCRIBE_IDS: \"subs-635ns8r71g subs-7l2ly86kao\" is not a SubscribeId"},
		// PATH without scf: stops before packaging, saying how to install it.
		tc{"no scf command", full, "npm install -g serverless-cloud-framework"})

	goEnv := goCaches(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// go too: make deploy checks the values with go run ./deploy/cmd/envcheck.
			path := filepath.Dir(mustLookPath(t, "make")) + ":" + filepath.Dir(mustLookPath(t, "go")) + ":/usr/bin:/bin"
			for _, dir := range filepath.SplitList(path) {
				if _, err := os.Stat(filepath.Join(dir, "scf")); err == nil && tt.name == "no scf command" {
					t.Skipf("%s/scf exists: with every variable set, make deploy would deploy", dir)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "make", "-s", "-C", "..", "deploy")
			cmd.Env = append([]string{"PATH=" + path, "HOME=" + t.TempDir()}, goEnv...)
			for k, v := range tt.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("make deploy succeeded, want a refusal:\n%s", out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("got\n%s\nwant it to say %q", out, tt.want)
			}
			if strings.Contains(string(out), "go test") || strings.Contains(string(out), "go build") {
				t.Errorf("make deploy went on to check or build after refusing:\n%s", out)
			}
		})
	}
}

// goCaches are this go's caches and module settings as NAME=value, so that make deploy's go run, under a
// scratch HOME, reuses the build cache and downloads nothing.
func goCaches(t *testing.T) []string {
	t.Helper()
	names := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOTOOLCHAIN"}
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(vals) != len(names) {
		t.Fatalf("go env %v: got %q", names, out)
	}
	env := []string{"GOPROXY=off"}
	for i, n := range names {
		env = append(env, n+"="+vals[i])
	}
	return env
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestREADMEDeployAgrees holds the README's Deploy steps to the files they drive: the role they create is
// serverless.yml's role, every variable make deploy insists on is exported there, and the deploy/ files they
// name are the ones in this folder, each of them named.
func TestREADMEDeployAgrees(t *testing.T) {
	readme := string(read(t, "../README.md"))
	_, section, ok := strings.Cut(readme, "\n## Deploy\n")
	if !ok {
		t.Fatal(`README.md has no "## Deploy" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")

	var doc struct {
		Inputs struct {
			Role string `yaml:"role"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(read(t, serverlessFile), &doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--RoleName " + doc.Inputs.Role, "--AttachRoleName " + doc.Inputs.Role, "make deploy\n", "scf info", "scf logs", "scf remove"} {
		if !strings.Contains(section, want) {
			t.Errorf("README Deploy lacks %q (serverless.yml's role is %q)", want, doc.Inputs.Role)
		}
	}
	for _, v := range rules(t).DeployVars {
		if !regexp.MustCompile(`(?m)^\s+export .*\b` + v + `=`).MatchString(section) {
			t.Errorf("README Deploy does not export %s, which make deploy insists on", v)
		}
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`deploy/([A-Za-z0-9_.-]+\.json)`).FindAllStringSubmatch(section, -1) {
		named[m[1]] = true
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("README Deploy names deploy/%s: %v", m[1], err)
		}
	}
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !named[f] {
			t.Errorf("deploy/%s is not named in README Deploy", f)
		}
	}
}

// Package deploy checks, offline, what `scf deploy` and CAM are given: serverless.yml (the Serverless Cloud
// Framework's scf component) and the CAM documents in this folder — the execution role's trust policy
// (scf-trust-policy.json) and its permission policies (cam-policy*.json).
//
// The mistakes it looks for are the ones the cloud reports late or not at all: an input the component
// ignores because it is misspelled; `src` naming a zip, which the component does not unpack; a description
// with characters CreateFunction refuses; an environment value that deploys empty, or as the string
// "undefined" (what the CLI makes of an unset ${env:X}); an API Gateway trigger, which SCF no longer
// creates; a Function URL without extranet access or with an unknown auth type; the example timer enabled;
// retryNum without asyncRunEnable, which the component silently drops. `make deploy-check` runs the checks
// (check_test.go) on the real files; `make deploy` runs them before packaging.
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"dtsreset/validate"
)

// Problem is one mistake, at a line of its file (0 when the file as a whole is wrong).
type Problem struct {
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// Rules are the facts about this project a serverless.yml is checked against.
type Rules struct {
	// DeployVars are the variables `make deploy` refuses to run without: the only ${env:X} allowed.
	DeployVars []string
	// PkgDir is the folder `make package` writes the binary main to: the only src allowed.
	PkgDir string
	// KnownVars are the environment variables the function reads: any other name is a typo.
	KnownVars []string
}

// The scf component's inputs (its docs/configure.md), so that a misspelling is not silently ignored.
var knownInputs = []string{
	"name", "namespace", "role", "enableRoleAuth", "src", "type", "handler", "entryFile", "runtime", "region",
	"description", "memorySize", "timeout", "initTimeout", "eip", "publicAccess", "environment", "vpcConfig",
	"layers", "deadLetter", "cls", "asyncRunEnable", "traceEnable", "msgTTL", "retryNum", "installDependency",
	"tags", "cfs", "ignoreTriggers", "events", "image", "protocolType", "protocolParams", "provisionedNum",
	"qualifier",
}

var (
	topLevel = []string{"org", "app", "stage", "component", "name", "inputs"}
	// asyncOnly are applied by the component only with asyncRunEnable: true.
	asyncOnly = []string{"retryNum", "traceEnable", "msgTTL"}

	envRef = regexp.MustCompile(`\$\{env[:.]([^}]*)\}`)
	// CreateFunction's Description: letters, digits, spaces, commas, newlines and periods, at most 1000.
	descriptionChars = regexp.MustCompile(`^[A-Za-z0-9 ,.\n]*$`)
	// CreateFunction's FunctionName: a letter first, letters, digits, - and _, not ending in - or _, 2-60.
	functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)
	varName      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// CheckServerless returns every mistake it finds in serverless.yml's content, in file order.
func CheckServerless(content []byte, r Rules) []Problem {
	var c checker
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return []Problem{{0, "not YAML: " + err.Error()}}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return []Problem{{0, "not a YAML mapping"}}
	}
	root := doc.Content[0]
	c.envRefs(root, r.DeployVars)
	c.keys(root, topLevel, "")
	if comp := c.scalar(root, "component", true); comp != nil && comp.Value != "scf" {
		c.add(comp, "component: got %q, want scf", comp.Value)
	}
	inputs := c.mapping(root, "inputs", true)
	if inputs != nil {
		c.inputs(inputs, r)
	}
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Line < c.problems[j].Line })
	return c.problems
}

type checker struct{ problems []Problem }

func (c *checker) add(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.problems = append(c.problems, Problem{line, fmt.Sprintf(format, args...)})
}

// get returns the key and value nodes of name in mapping m, or nils.
func get(m *yaml.Node, name string) (key, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// keys reports keys of m that are not in known, naming a close known one.
func (c *checker) keys(m *yaml.Node, known []string, where string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if slices.Contains(known, k.Value) {
			continue
		}
		msg := fmt.Sprintf("unknown field %s%s", where, k.Value)
		if s := validate.Suggest(k.Value, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		c.add(k, "%s: the scf component ignores it", msg)
	}
}

func (c *checker) scalar(m *yaml.Node, name string, required bool) *yaml.Node {
	return c.field(m, name, required, yaml.ScalarNode, "a single value")
}

func (c *checker) mapping(m *yaml.Node, name string, required bool) *yaml.Node {
	return c.field(m, name, required, yaml.MappingNode, "a mapping")
}

// field returns m's value under name when it is of kind, reporting it missing (when required) or of another
// kind ("name must be <what>").
func (c *checker) field(m *yaml.Node, name string, required bool, kind yaml.Kind, what string) *yaml.Node {
	k, v := get(m, name)
	switch {
	case v == nil:
		if required {
			c.add(m, "%s is missing", name)
		}
		return nil
	case v.Kind != kind:
		c.add(k, "%s must be %s", name, what)
		return nil
	}
	return v
}

// envRefs reports every ${env:X} whose X `make deploy` does not insist on: unset, it deploys as "undefined".
func (c *checker) envRefs(n *yaml.Node, guarded []string) {
	if n.Kind == yaml.ScalarNode {
		for _, m := range envRef.FindAllStringSubmatch(n.Value, -1) {
			if !slices.Contains(guarded, m[1]) {
				c.add(n, "%s is not in the Makefile's DEPLOY_VARS: when it is unset the scf CLI deploys the string \"undefined\"", m[0])
			}
		}
	}
	for _, child := range n.Content {
		c.envRefs(child, guarded)
	}
}

func (c *checker) inputs(in *yaml.Node, r Rules) {
	c.keys(in, knownInputs, "inputs.")
	if v := c.scalar(in, "name", true); v != nil {
		// ${stage} is the top-level stage; check the name as a short stage would make it.
		if name := strings.ReplaceAll(v.Value, "${stage}", "prod"); !functionName.MatchString(name) {
			c.add(v, "name %q: SCF wants a letter first, then letters, digits, - or _, not ending in - or _, 2-60 characters", v.Value)
		}
	}
	for _, want := range [][2]string{{"runtime", "Go1"}, {"handler", "main"}} {
		if v := c.scalar(in, want[0], true); v != nil && v.Value != want[1] {
			c.add(v, "%s: got %q, want %s (the binary main, scf-go-lib)", want[0], v.Value, want[1])
		}
	}
	if v := c.scalar(in, "type", false); v != nil && v.Value != "event" {
		c.add(v, "type: got %q, want event (a web function does not speak scf-go-lib's RPC)", v.Value)
	}
	c.scalar(in, "region", true)
	c.src(in, r.PkgDir)
	if v := c.scalar(in, "description", false); v != nil {
		if !descriptionChars.MatchString(v.Value) || len(v.Value) > 1000 {
			c.add(v, "description %q: SCF allows only letters, digits, spaces, commas, periods and newlines, at most 1000", v.Value)
		}
	}
	c.limits(in)
	c.environment(in, r.KnownVars)
	c.async(in)
	if _, ev := get(in, "events"); ev != nil {
		c.events(ev, in)
	} else {
		c.add(in, "events is missing: the Function URL (http event) is the function's HTTP trigger")
	}
}

func (c *checker) src(in *yaml.Node, pkgDir string) {
	k, v := get(in, "src")
	if v == nil {
		c.add(in, "src is missing")
		return
	}
	if v.Kind == yaml.MappingNode {
		if _, bucket := get(v, "bucket"); bucket != nil {
			return // code already in COS (bucket + object): nothing local to check
		}
		c.keys(v, []string{"src", "exclude", "bucket", "object"}, "src.")
		if v = c.scalar(v, "src", true); v == nil {
			return
		}
	} else if v.Kind != yaml.ScalarNode {
		c.add(k, "src must be a folder (or src.src, or a COS bucket and object)")
		return
	}
	dir := path.Clean(v.Value)
	switch {
	case strings.HasSuffix(strings.ToLower(dir), ".zip"):
		c.add(v, "src %q is a zip: the scf component wants the folder holding main (%s), and zips it itself", v.Value, pkgDir)
	case dir != path.Clean(pkgDir):
		c.add(v, "src %q is not %s, the folder `make package` writes main to", v.Value, pkgDir)
	}
}

func (c *checker) limits(in *yaml.Node) {
	if v := c.scalar(in, "memorySize", false); v != nil {
		var mb int
		if !intValue(v, &mb) || !(mb == 64 || mb >= 128 && mb <= 3072 && mb%128 == 0) {
			c.add(v, "memorySize %q: SCF allows 64, or 128 to 3072 in steps of 128 (MB)", v.Value)
		}
	}
	if v := c.scalar(in, "timeout", false); v != nil {
		var s int
		if !intValue(v, &s) || s < 1 || s > 900 {
			c.add(v, "timeout %q: SCF allows 1 to 900 (seconds)", v.Value)
		}
	}
}

func intValue(n *yaml.Node, out *int) bool {
	return n.Tag == "!!int" && n.Decode(out) == nil
}

func (c *checker) environment(in *yaml.Node, known []string) {
	env := c.mapping(in, "environment", false)
	if env == nil {
		return
	}
	c.keys(env, []string{"variables"}, "environment.")
	vars := c.mapping(env, "variables", true)
	if vars == nil {
		return
	}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		k, v := vars.Content[i], vars.Content[i+1]
		switch {
		case !varName.MatchString(k.Value):
			c.add(k, "variable name %q: SCF wants a letter first, then letters, digits and _", k.Value)
		case !slices.Contains(known, k.Value):
			msg := fmt.Sprintf("variable %s is not one the function reads", k.Value)
			if s := validate.Suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			c.add(k, "%s", msg)
		}
		switch {
		case v.Kind != yaml.ScalarNode:
			c.add(v, "%s must be a single string", k.Value)
		case v.Tag == "!!null" || strings.TrimSpace(v.Value) == "":
			c.add(v, "%s is empty: SCF refuses empty variable values (leave the variable out instead)", k.Value)
		case v.Value == "undefined":
			c.add(v, "%s is the string \"undefined\"", k.Value)
		case v.Tag != "!!str":
			c.add(v, "%s: %s is a YAML %s, not a string: quote it (\"%s\")", k.Value, v.Value, strings.TrimPrefix(v.Tag, "!!"), v.Value)
		}
	}
}

func (c *checker) async(in *yaml.Node) {
	async := false
	if v := c.scalar(in, "asyncRunEnable", false); v != nil {
		async = v.Tag == "!!bool" && v.Value == "true"
	}
	for _, name := range asyncOnly {
		if k, _ := get(in, name); k != nil && !async {
			c.add(k, "%s takes effect only with asyncRunEnable: true; without it the component drops it (SCF's default retries apply)", name)
		}
	}
	if k, _ := get(in, "asyncRunEnable"); k != nil && async {
		if _, cls := get(in, "cls"); cls == nil {
			c.add(k, "asyncRunEnable: true needs a cls log topic (inputs.cls)")
		}
	}
}

func (c *checker) events(ev, in *yaml.Node) {
	if ev.Kind != yaml.SequenceNode {
		c.add(ev, "events must be a list")
		return
	}
	urls := 0
	for _, item := range ev.Content {
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			c.add(item, "an event is a mapping with one key, its kind (http, timer)")
			continue
		}
		kind, body := item.Content[0], item.Content[1]
		switch kind.Value {
		case "http":
			urls++
			c.httpEvent(kind, body, in)
		case "timer":
			c.timerEvent(kind, body)
		case "apigw":
			c.add(kind, "apigw: SCF stopped creating API Gateway triggers (2024-07-01; offline since 2025-06-30): use the http event (Function URL)")
		default:
			c.add(kind, "event %s: not a trigger this function handles (http, timer)", kind.Value)
		}
	}
	if urls != 1 {
		c.add(ev, "want exactly one http event (the Function URL), got %d", urls)
	}
}

// parameters checks an event's shape, {name?, parameters: {...known}}, and returns parameters.
func (c *checker) parameters(kind, body *yaml.Node, known []string) *yaml.Node {
	if body.Kind != yaml.MappingNode {
		c.add(kind, "%s: want a mapping with parameters", kind.Value)
		return nil
	}
	c.keys(body, []string{"name", "parameters"}, kind.Value+".")
	p := c.mapping(body, "parameters", true)
	if p != nil {
		c.keys(p, known, kind.Value+".parameters.")
	}
	return p
}

func (c *checker) httpEvent(kind, body, in *yaml.Node) {
	p := c.parameters(kind, body, []string{"name", "qualifier", "netConfig", "authType", "corsConfig"})
	if p == nil {
		return
	}
	if net := c.mapping(p, "netConfig", true); net != nil {
		c.keys(net, []string{"enableIntranet", "enableExtranet"}, "http.parameters.netConfig.")
		if v := c.scalar(net, "enableExtranet", true); v != nil && !(v.Tag == "!!bool" && v.Value == "true") {
			c.add(v, "enableExtranet: got %s, want true (the README calls the Function URL from outside Tencent Cloud)", v.Value)
		}
		if v := c.scalar(net, "enableIntranet", false); v != nil && v.Tag != "!!bool" {
			c.add(v, "enableIntranet: got %q, want true or false", v.Value)
		}
	}
	auth := c.scalar(p, "authType", true)
	if auth == nil {
		return
	}
	switch auth.Value {
	case "CAM":
	case "NONE":
		// Anyone may reach the URL: the bearer token is then the only gate.
		if env := envValue(in, "RESET_API_TOKEN"); env == "" {
			c.add(auth, "authType NONE without RESET_API_TOKEN: anyone who finds the URL could reset offsets")
		}
	default:
		c.add(auth, "authType: got %q, want NONE (our bearer token) or CAM (callers sign with their CAM identity)", auth.Value)
	}
}

// envValue is inputs.environment.variables[name], or "".
func envValue(in *yaml.Node, name string) string {
	_, env := get(in, "environment")
	if env == nil || env.Kind != yaml.MappingNode {
		return ""
	}
	_, vars := get(env, "variables")
	if vars == nil || vars.Kind != yaml.MappingNode {
		return ""
	}
	_, v := get(vars, name)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func (c *checker) timerEvent(kind, body *yaml.Node) {
	p := c.parameters(kind, body, []string{"name", "qualifier", "cronExpression", "enable", "argument"})
	if p == nil {
		return
	}
	if v := c.scalar(p, "cronExpression", true); v != nil && len(strings.Fields(v.Value)) != 7 {
		c.add(v, "cronExpression %q: SCF's cron has 7 fields (second minute hour day month weekday year)", v.Value)
	}
	if v := c.scalar(p, "enable", true); v != nil && !(v.Tag == "!!bool" && v.Value == "false") {
		c.add(v, "enable: got %s, want false: the example timer ships disabled (enable it deliberately, with your own payload)", v.Value)
	}
	if v := c.scalar(p, "argument", true); v != nil {
		var obj map[string]any
		switch {
		case len(v.Value) > 4096:
			c.add(v, "argument: %d bytes, SCF allows 4 KB", len(v.Value))
		case json.Unmarshal([]byte(v.Value), &obj) != nil:
			c.add(v, "argument must be a JSON object (the reset payload)")
		}
	}
}

// ParseMakefile reads DEPLOY_VARS and PKG_DIR (`NAME := value` lines) from the Makefile.
func ParseMakefile(content []byte) (Rules, error) {
	var r Rules
	for line := range bytes.Lines(content) {
		name, val, ok := strings.Cut(string(line), ":=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(name) {
		case "DEPLOY_VARS":
			r.DeployVars = strings.Fields(val)
		case "PKG_DIR":
			r.PkgDir = strings.TrimSpace(val)
		}
	}
	if len(r.DeployVars) == 0 || r.PkgDir == "" {
		return r, fmt.Errorf("the Makefile lacks a DEPLOY_VARS := or PKG_DIR := line")
	}
	return r, nil
}

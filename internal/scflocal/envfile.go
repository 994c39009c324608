package scflocal

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// ParseEnv reads KEY=VALUE lines: blank lines and lines starting with # are skipped, an optional
// "export " prefix is dropped, and a value wrapped in matching single or double quotes is unwrapped (no
// escapes), so a file can be shared with `set -a; . FILE`. A line without "=" or with an empty key is an
// error naming its line.
func ParseEnv(r io.Reader) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, got %q", n, sc.Text())
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env, sc.Err()
}

// ReadEnvFile is ParseEnv on a file.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env, err := ParseEnv(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return env, nil
}

// SCFEnv is the environment of a process started as SCF starts an instance: the variables SCF itself sets
// (TENCENTCLOUD_RUNENV=SCF, SCF_FUNCTIONNAME, SCF_FUNCTIONVERSION, TENCENTCLOUD_REGION), then vars, which
// win. Sorted, for reproducible test output.
func SCFEnv(functionName, region string, vars map[string]string) []string {
	m := map[string]string{
		"TENCENTCLOUD_RUNENV": "SCF",
		"SCF_FUNCTIONNAME":    functionName,
		"SCF_FUNCTIONVERSION": "$LATEST",
		"TENCENTCLOUD_REGION": region,
	}
	for k, v := range vars {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

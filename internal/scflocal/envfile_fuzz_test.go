package scflocal

import (
	"bufio"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseEnv: ParseEnv never panics. On success every key is non-empty and holds no '=', newline, space or
// tab, every key and value occurs in the input, and the map is the one the documented rules give (envModel);
// written back as KEY=VALUE lines (the value in quotes where its edges would otherwise be trimmed or
// unquoted, "export " before a key that would read as a comment) it parses back to the same map. On failure
// the error names a line ("line N: ...") that exists, is not blank or a comment, and has no "=" after an
// optional "export ", an empty key, or a space or tab in the key, while every earlier line is well-formed; or
// the input has a line longer than the scanner's limit.
func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{
		"# creds\n\nTENCENTCLOUD_SECRETID=AKID1\nexport DTS_ENDPOINT = http://127.0.0.1:9123\nQ=\"a b=c\"\nS='x'\nEMPTY=\n",
		"A=1\nA=2\n",
		"A=1\r\nB=2\r\n",
		"A=\"x'\nB='\"y\"'\nC=\"\"\nD=''\nE='\n",
		"A=  spaced  \nB=' kept '\n",
		"export export=1\nexport  A=2\nexport\tB=3\n",
		"export #A=1\n#B=2\n  # C=3\n",
		"A\rB=1\n",
		"NOEQUALS\n",
		"=v\n",
		"A B=c\n",
		"OK=1\n\n\nA\tB=c\n",
		"A==b=c\n",
		"\xff\xfe=\x00\n",
		"A=1",
		"",
		"\n\n\n",
		"\u00a0A\u00a0=\u00a0b\u00a0\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		env, err := ParseEnv(strings.NewReader(in))
		lines := scannerLines(in)
		if err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return
			}
			n := errorLine(err.Error())
			if n < 1 || n > len(lines) {
				t.Fatalf("error %q names no line of the %d-line input %q", err, len(lines), in)
			}
			if envLineOK(lines[n-1]) {
				t.Fatalf("error %q names line %d, %q, which is well-formed", err, n, lines[n-1])
			}
			for i, line := range lines[:n-1] {
				if !envLineOK(line) {
					t.Fatalf("error %q names line %d, but line %d (%q) is already bad", err, n, i+1, line)
				}
			}
			return
		}
		for i, line := range lines {
			if !envLineOK(line) {
				t.Fatalf("accepted %q, whose line %d (%q) is malformed", in, i+1, line)
			}
		}
		if want := envModel(lines); !reflect.DeepEqual(env, want) {
			t.Fatalf("%q parsed to %q, the documented rules give %q", in, env, want)
		}
		for k, v := range env {
			if k == "" || strings.ContainsAny(k, "=\n \t") {
				t.Fatalf("key %q from %q", k, in)
			}
			if !strings.Contains(in, k) || !strings.Contains(in, v) {
				t.Fatalf("%q=%q does not come from %q", k, v, in)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("value %q of %s holds a newline", v, k)
			}
		}
		out := writeEnv(env)
		again, err := ParseEnv(strings.NewReader(out))
		if err != nil {
			t.Fatalf("written back as %q: %v", out, err)
		}
		if !reflect.DeepEqual(env, again) {
			t.Fatalf("%q parsed to %q, written back as %q, parsed to %q", in, env, out, again)
		}
	})
}

// scannerLines splits in the way bufio.ScanLines does: at '\n', dropping one '\r' before it, and no empty
// last line for a final '\n'.
func scannerLines(in string) []string {
	lines := strings.Split(in, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// envLineOK restates the line rules of ParseEnv's documentation.
func envLineOK(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return true
	}
	line = strings.TrimPrefix(line, "export ")
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		return false
	}
	key := strings.TrimSpace(line[:eq])
	return key != "" && !strings.ContainsAny(key, " \t")
}

// envModel applies ParseEnv's documented rules to well-formed lines: blank lines and comments skipped, an
// "export " prefix dropped, KEY=VALUE split at the first "=", both trimmed, a value wrapped in matching single
// or double quotes unwrapped once, a later line for a key replacing an earlier one.
func envModel(lines []string) map[string]string {
	env := map[string]string{}
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		eq := strings.IndexByte(line, '=')
		key, value := strings.TrimSpace(line[:eq]), strings.TrimSpace(line[eq+1:])
		for _, q := range []string{`"`, "'"} {
			if len(value) >= 2 && strings.HasPrefix(value, q) && strings.HasSuffix(value, q) {
				value = value[1 : len(value)-1]
				break
			}
		}
		env[key] = value
	}
	return env
}

// errorLine is N of an error "line N: ...", or 0.
func errorLine(msg string) int {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0
	}
	num, _, ok := strings.Cut(rest, ":")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0
	}
	return n
}

// writeEnv writes env as an env file, sorted: KEY=VALUE, the value in single quotes when it has surrounding
// white space or is itself wrapped in matching quotes, and "export " before a key starting with '#'.
func writeEnv(env map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if strings.HasPrefix(k, "#") {
			b.WriteString("export ")
		}
		b.WriteString(k + "=")
		if v != strings.TrimSpace(v) || len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = "'" + v + "'"
		}
		b.WriteString(v + "\n")
	}
	return b.String()
}

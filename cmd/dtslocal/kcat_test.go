package main_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcat is the path of Debian's kcat (librdkafka), a Kafka client nobody here wrote. CI installs it
// (.ci/run); only a -short run may go without.
func kcat(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs kcat against dtslocal")
	}
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is not installed (apt-get install kcat; .ci/run does): %v", err)
	}
	return path
}

// kcatRun runs kcat with args and stdin for at most d, and returns its exit error and output.
func kcatRun(t *testing.T, path string, d time.Duration, stdin string, args ...string) (error, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return ctx.Err(), string(out)
	}
	return err, string(out)
}

func saslArgs(mechanism, user, password string) []string {
	return []string{"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=" + mechanism,
		"-X", "sasl.username=" + user, "-X", "sasl.password=" + password}
}

// TestKcat: librdkafka logs in as DTS's Kafka wants it (SCRAM-SHA-512, PLAIN too) with the account dtslocal
// prints, reads the demo group to the end, and is refused with a wrong password, without credentials, on
// another group, and when producing; the superuser produces. This is also the regression test of the
// SaslHandshake trap: kfake advertises SaslHandshake v1 only, and librdkafka 2.0 starts no SASL handshake
// unless v0 is advertised too.
func TestKcat(t *testing.T) {
	path := kcat(t)
	_, st := start(t, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0")
	const (
		topic   = "topic-subs-demo000001-cdb-1"
		group   = "consumer-grp-subs-demo000001-g1"
		account = "account-subs-demo000001-acct1"
	)
	// The demo's log holds offsets 24-119 of every partition; g1 is committed at 115.
	consume := func(group string, sasl []string) []string {
		args := append([]string{"-b", st.kafka, "-m", "5", "-G", group, "-e", "-f", "%p %o\\n"}, sasl...)
		return append(args, topic)
	}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		ok     bool
		output []string // fragments of the output
	}{
		{"SCRAM-SHA-512 reads the group from its offsets", "", consume(group, saslArgs("SCRAM-SHA-512", account, "secret12")), true,
			[]string{"0 115", "1 119", "2 117"}},
		{"PLAIN reads too", "", consume(group, saslArgs("PLAIN", account, "secret12")), true, []string{"Reached end of topic"}},
		{"wrong password", "", []string{"-b", st.kafka, "-m", "2", "-L"}, false, []string{"Failed to acquire metadata"}},
		{"no credentials", "", []string{"-b", st.kafka, "-m", "2", "-L"}, false, []string{"Failed to acquire metadata"}},
		{"another group", "", consume("consumer-grp-subs-demo000001-g2", saslArgs("SCRAM-SHA-512", account, "secret12")), false,
			[]string{"Group authorization failed"}},
		{"the account cannot produce", "x\n", append([]string{"-b", st.kafka, "-P", "-t", topic, "-p", "0"}, saslArgs("SCRAM-SHA-512", account, "secret12")...), false,
			[]string{"Topic authorization failed"}},
		{"the superuser produces", "hello\n", append([]string{"-b", st.kafka, "-P", "-t", topic, "-p", "0"}, saslArgs("SCRAM-SHA-512", "dtslocal-admin", "dtslocal-admin-secret")...), true, nil},
	}
	tests[2].args = append(tests[2].args, saslArgs("SCRAM-SHA-512", account, "secret13")...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, out := kcatRun(t, path, 20*time.Second, tt.stdin, tt.args...)
			if tt.ok != (err == nil) {
				t.Errorf("kcat %v: %v, want success %v\n%s", tt.args, err, tt.ok, out)
			}
			for _, want := range tt.output {
				if !strings.Contains(out, want) {
					t.Errorf("kcat %v: output lacks %q:\n%s", tt.args, want, out)
				}
			}
		})
	}
	// What the superuser wrote is there for the account: offset 120 of partition 0, read from the group's
	// offsets, which kcat -G committed at the end of the first read.
	err, out := kcatRun(t, path, 20*time.Second, "", "-b", st.kafka, "-C", "-t", topic, "-p", "0", "-o", "120", "-e", "-f", "%o %s\\n",
		"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username="+account, "-X", "sasl.password=secret12")
	if err != nil || !strings.Contains(out, "120 hello") {
		t.Errorf("reading the superuser's record: %v\n%s", err, out)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	flowBegin = "<!-- manual-flow: begin"
	flowEnd   = "<!-- manual-flow: end -->"
)

// manualFlow is the README's manual flow: the ```bash block between the manual-flow markers, as it is.
func manualFlow(t *testing.T, readme string) string {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), flowBegin)
	section, _, ok2 := strings.Cut(rest, flowEnd)
	_, fenced, ok3 := strings.Cut(section, "```bash\n")
	block, _, ok4 := strings.Cut(fenced, "\n```")
	if !ok || !ok2 || !ok3 || !ok4 {
		t.Fatalf("README.md has no ```bash block between %q and %q", flowBegin, flowEnd)
	}
	return block + "\n"
}

// TestREADMEManualFlow runs the README's manual flow with bash as a newcomer pastes it: each server it starts
// in the background must print its address line before the next command uses it, the dry run must answer,
// and the sample events must print as tables. It runs in a scratch view of the checkout (every top-level
// entry symlinked), so what the flow writes (bin/, local.env, the logs) lands there, not in the developer's
// tree; each file it writes must be one git ignores. Bounded, and in its own process group, so nothing it
// started outlives the test. The flow uses port 0 throughout, so it cannot collide with anything listening.
func TestREADMEManualFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three binaries and runs two servers")
	}
	for _, tool := range []string{"bash", "curl", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's flow needs %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	block := manualFlow(t, filepath.Join(root, "README.md"))
	dir := scratchCheckout(t, root)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-eu", "-c", block)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	// Whatever happens, nothing the flow started survives the test.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the README's manual flow failed: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"api http://127.0.0.1:", "kafka 127.0.0.1:", "gateway http://127.0.0.1:", // the address lines
		// curl's dry run plans real offsets from the emulator's seeded data, as the README says.
		`"SubscribeId":"subs-demo000001"`, `"DryRun":true`, `{"PartitionNo":0,"CurrentOffset":115,"TargetOffset":24,"Replay":91,"Skip":0}`,
		"POST /reset?dryRun=true 200", // scflocal's access line
		"==> events/direct-dryrun-all.json", "==> events/url-reset-latest.json", "HTTP 200",
		"PARTITION  CURRENT-OFFSET  TARGET-OFFSET  REPLAY  SKIP  RESULT-OFFSET",
		"2          115             120            0       5     120", // the Function URL event's reset, verified
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the flow's output lacks %q:\n%s", want, got)
		}
	}
	// What the flow wrote must be git-ignored, or a newcomer's `git status` fills with it.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, e := range entries {
		if e.Type()&os.ModeSymlink == 0 {
			name := e.Name()
			if e.IsDir() {
				// As a directory: a pattern such as "bin/" matches only a directory, and in root (a fresh
				// clone) bin/ need not exist, so git would take a bare "bin" for a file and not ignore it.
				name += "/"
			}
			written = append(written, name)
		}
	}
	if len(written) == 0 {
		t.Fatal("the flow wrote nothing: the scratch checkout is not where it ran")
	}
	for _, name := range written {
		if err := exec.Command("git", "-C", root, "check-ignore", "-q", name).Run(); err != nil {
			t.Errorf("the flow writes %s, which git does not ignore (.gitignore)", name)
		}
	}
}

// scratchCheckout is a temporary directory with a symlink to every top-level entry of root but .git and
// what the README's flow writes, so that the flow runs on the real sources without touching root.
func scratchCheckout(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == ".git" || name == "bin" || name == "dist" || strings.HasSuffix(name, ".env") || strings.HasSuffix(name, ".log") {
			continue
		}
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

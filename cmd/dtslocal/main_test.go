package main_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// bin is the real dtslocal binary, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dtslocal-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "dtslocal")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	cancel()
	code := 1
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// start runs dtslocal and returns its api URL and kafka address once it printed them.
func start(t *testing.T, args ...string) (cmd *exec.Cmd, api, kafka string) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(20 * time.Second)
	for i := 0; api == "" || kafka == ""; i++ {
		if i == 2 { // dtslocal prints exactly two lines
			t.Fatalf("dtslocal printed no address line for api or kafka")
		}
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("dtslocal exited before printing its addresses")
			}
			if v, ok := strings.CutPrefix(line, "api "); ok {
				api = v
			} else if v, ok := strings.CutPrefix(line, "kafka "); ok {
				kafka = v
			} else {
				t.Fatalf("unexpected stdout line %q", line)
			}
		case <-timeout:
			t.Fatal("dtslocal did not print its addresses")
		}
	}
	return cmd, api, kafka
}

func TestDtslocal(t *testing.T) {
	cmd, api, kafka := start(t, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0", "-data", t.TempDir())
	if !strings.HasPrefix(api, "http://127.0.0.1:") || strings.HasSuffix(api, ":0") || !strings.HasPrefix(kafka, "127.0.0.1:") {
		t.Fatalf("addresses api %q kafka %q", api, kafka)
	}

	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = strings.TrimPrefix(api, "http://")
	prof.HttpProfile.ReqTimeout = 10
	client := common.NewCommonClient(common.NewCredential("AKIDdtslocalDEMO", "dtslocal-demo-secret-key"), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("dts", "2021-12-06", "DescribeSubscribeDetail")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req.SetContext(ctx)
	if err := req.SetActionParameters(map[string]any{"SubscribeId": "subs-demo000001"}); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		t.Fatalf("DescribeSubscribeDetail: %v", err)
	}
	if body := string(resp.GetBody()); !strings.Contains(body, `"Broker":"`+kafka+`"`) {
		t.Errorf("DescribeSubscribeDetail: %s, want Broker %s", body, kafka)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dtslocal did not exit after SIGTERM")
	}
}

func TestDtslocalBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(path, []byte(`{"Region": "ap-guangzhou", "Credentials": [], "Extra": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-config", path, "-http", "127.0.0.1:0", "-kafka", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Extra") {
		t.Errorf("got %v and %q, want a failure naming Extra", err, out)
	}
}

// TestExitStatus: asking for help is not a failure; a bad flag or argument is.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-h"}, 0, "Usage of dtslocal"},
		{[]string{"-help"}, 0, "Usage of dtslocal"},
		{[]string{"-nope"}, 1, "flag provided but not defined"},
		{[]string{"extra"}, 1, "unexpected arguments"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, tt.args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

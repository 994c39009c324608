package scflocal

import (
	"strings"
	"testing"
)

func TestParseEnv(t *testing.T) {
	in := "# creds\n\nTENCENTCLOUD_SECRETID=AKID1\nexport DTS_ENDPOINT = http://127.0.0.1:9123\nQ=\"a b=c\"\nS='x'\nEMPTY=\n"
	got, err := ParseEnv(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"TENCENTCLOUD_SECRETID": "AKID1", "DTS_ENDPOINT": "http://127.0.0.1:9123", "Q": "a b=c", "S": "x", "EMPTY": ""}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"NOEQUALS\n", "=v\n", "A B=c\n"} {
		if _, err := ParseEnv(strings.NewReader("OK=1\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("ParseEnv(%q): got %v, want an error naming line 2", bad, err)
		}
	}
}

func TestSCFEnv(t *testing.T) {
	got := strings.Join(SCFEnv("fn", "ap-guangzhou", map[string]string{"TENCENTCLOUD_REGION": "ap-shanghai", "X": "1"}), " ")
	want := "SCF_FUNCTIONNAME=fn SCF_FUNCTIONVERSION=$LATEST TENCENTCLOUD_REGION=ap-shanghai TENCENTCLOUD_RUNENV=SCF X=1"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

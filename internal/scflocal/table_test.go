package scflocal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

const (
	resultJSON = `{"RequestId":"req-reset-1","SubscribeId":"subs-demo000001","TopicName":"topic-subs-demo000001-cdb-1",` +
		`"ConsumerGroupName":"consumer-grp-subs-demo000001-g1","ResetMode":"datetime","ResetDatetime":"2023-05-16 00:00:00",` +
		`"DryRun":false,"GroupState":"Empty","Verified":true,"Partitions":[` +
		`{"PartitionNo":0,"CurrentOffset":120,"TargetOffset":100,"ResultOffset":100},` +
		`{"PartitionNo":1,"CurrentOffset":5,"TargetOffset":5,"ResultOffset":5},` +
		`{"PartitionNo":12,"CurrentOffset":123456789,"TargetOffset":0,"ResultOffset":0}]}`
	resultTable = `SUBSCRIBE-ID     TOPIC                        GROUP                            MODE                          DRY-RUN  REQUEST-ID   STATE  VERIFIED
subs-demo000001  topic-subs-demo000001-cdb-1  consumer-grp-subs-demo000001-g1  datetime 2023-05-16 00:00:00  false    req-reset-1  Empty  true

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  RESULT-OFFSET
0          120             100            100
1          5               5              5
12         123456789       0              0
`
	dryRunJSON = `{"RequestId":"","SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"consumer-grp-subs-demo000001-g1",` +
		`"ResetMode":"earliest","DryRun":true,"Verified":false,"Partitions":[{"PartitionNo":0,"TargetOffset":0},{"PartitionNo":1,"CurrentOffset":7,"TargetOffset":3}]}`
	dryRunTable = `SUBSCRIBE-ID     TOPIC  GROUP                            MODE      DRY-RUN  REQUEST-ID  STATE  VERIFIED
subs-demo000001  t      consumer-grp-subs-demo000001-g1  earliest  true     -           -      false

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  RESULT-OFFSET
0          -               0              -
1          7               3              -
`
	errorJSON = `{"Error":{"Code":"InvalidParameter","Message":"2 fields are invalid","Fields":[` +
		`{"Field":"ResetMode","Rule":"oneof","Message":"ResetMode must be one of earliest, latest, datetime"},` +
		`{"Field":"PartitionNos[1]","Rule":"min","Message":"must be >= 0"}]},"RequestId":""}`
	errorTable = `ERROR InvalidParameter: 2 fields are invalid
  ResetMode (oneof): ResetMode must be one of earliest, latest, datetime
  PartitionNos[1] (min): must be >= 0
`
	activeJSON  = `{"Error":{"Code":"FailedOperation.GroupActive","Message":"group has members: c1 [0 1]"},"RequestId":"up-9"}`
	activeTable = `ERROR FailedOperation.GroupActive: group has members: c1 [0 1]
  RequestId: up-9
`
)

func TestPrintTable(t *testing.T) {
	batchJSON := `{"Results":[` + dryRunJSON + `,` + activeJSON + `],"Failed":1}`
	batchTable := "BATCH 2 resets, 1 failed\n\n[1/2]\n" + dryRunTable + "\n[2/2]\n" + activeTable
	apigw := func(status int, body string) string {
		b, _ := json.Marshal(IntegrationResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body})
		return string(b)
	}
	tests := []struct {
		name, payload, want string
	}{
		{"result", resultJSON, resultTable},
		{"dry run with absent offsets", dryRunJSON, dryRunTable},
		{"error with fields", errorJSON, errorTable},
		{"error with upstream request id", activeJSON, activeTable},
		{"batch", batchJSON, batchTable},
		{"api gateway result", apigw(200, resultJSON), "HTTP 200\n" + resultTable},
		{"api gateway error", apigw(400, errorJSON), "HTTP 400\n" + errorTable},
		{"api gateway batch", apigw(207, batchJSON), "HTTP 207\n" + batchTable},
		{"api gateway text body", apigw(502, "bad gateway"), "HTTP 502\nbad gateway\n"},
		{"unknown object", `{"a":1}`, "{\n  \"a\": 1\n}\n"},
		{"not json", `hello`, "hello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PrintTable(&buf, []byte(tt.payload)); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPrintReply(t *testing.T) {
	tests := []struct {
		name string
		r    Reply
		want string
	}{
		{"dtsreset error object", Reply{Error: &messages.InvokeResponse_Error{Message: errorJSON, Type: "Error"}}, errorTable},
		{"plain error", Reply{Error: &messages.InvokeResponse_Error{Message: "boom", Type: "errorString"}}, "ERROR errorString: boom\n"},
		{"panic", Reply{Error: &messages.InvokeResponse_Error{Message: "nil map", Type: "Error", ShouldExit: true}}, "ERROR panic (Error): nil map\n"},
		{"payload", Reply{Payload: []byte(activeJSON)}, activeTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PrintReply(&buf, tt.r); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	wrap := func(status int, body string) []byte {
		b, _ := json.Marshal(IntegrationResponse{StatusCode: status, Body: body})
		return b
	}
	tests := []struct {
		name string
		r    Reply
		want bool
	}{
		{"result", Reply{Payload: []byte(resultJSON)}, false},
		{"function error", Reply{Error: &messages.InvokeResponse_Error{Message: errorJSON}}, true},
		{"http 200", Reply{Payload: wrap(200, resultJSON)}, false},
		{"http 409", Reply{Payload: wrap(409, activeJSON)}, true},
		{"batch all ok", Reply{Payload: []byte(`{"Results":[],"Failed":0}`)}, false},
		{"batch with failures", Reply{Payload: []byte(`{"Results":[],"Failed":2}`)}, true},
		{"http 207 batch", Reply{Payload: wrap(207, `{"Results":[],"Failed":1}`)}, true},
	}
	for _, tt := range tests {
		if got := Failed(tt.r); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

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

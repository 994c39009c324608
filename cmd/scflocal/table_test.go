package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"dtsreset/internal/scflocal"
)

const (
	resultJSON = `{"RequestId":"req-reset-1","SubscribeId":"subs-demo000001","TopicName":"topic-subs-demo000001-cdb-1",` +
		`"ConsumerGroupName":"consumer-grp-subs-demo000001-g1","ResetMode":"datetime","ResetDatetime":"2023-05-16 00:00:00",` +
		`"DryRun":false,"GroupState":"Empty","Verified":true,"Partitions":[` +
		`{"PartitionNo":0,"CurrentOffset":120,"TargetOffset":100,"ResultOffset":100,"Replay":20,"Skip":0},` +
		`{"PartitionNo":1,"CurrentOffset":5,"TargetOffset":5,"ResultOffset":5,"Replay":0,"Skip":0},` +
		`{"PartitionNo":12,"CurrentOffset":123456789,"TargetOffset":0,"ResultOffset":0,"Replay":123456789,"Skip":0}],` +
		`"Warnings":["the time lies before retention"]}`
	resultTable = `SUBSCRIBE-ID     TOPIC                        GROUP                            MODE                          DRY-RUN  REQUEST-ID   STATE  VERIFIED
subs-demo000001  topic-subs-demo000001-cdb-1  consumer-grp-subs-demo000001-g1  datetime 2023-05-16 00:00:00  false    req-reset-1  Empty  true

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  REPLAY     SKIP  RESULT-OFFSET
0          120             100            20         0     100
1          5               5              0          0     5
12         123456789       0              123456789  0     0
warning: the time lies before retention
`
	dryRunJSON = `{"RequestId":"","SubscribeId":"subs-demo000001","TopicName":"t","ConsumerGroupName":"consumer-grp-subs-demo000001-g1",` +
		`"ResetMode":"earliest","DryRun":true,"Verified":false,"Partitions":[{"PartitionNo":0,"TargetOffset":0},{"PartitionNo":1,"CurrentOffset":7,"TargetOffset":3},` +
		`{"PartitionNo":2,"CurrentOffset":-1,"TargetOffset":3}]}`
	dryRunTable = `SUBSCRIBE-ID     TOPIC  GROUP                            MODE      DRY-RUN  REQUEST-ID  STATE  VERIFIED
subs-demo000001  t      consumer-grp-subs-demo000001-g1  earliest  true     -           -      false

PARTITION  CURRENT-OFFSET  TARGET-OFFSET  REPLAY  SKIP  RESULT-OFFSET
0          -               0              -       -     -
1          7               3              -       -     -
2          none            3              -       -     -
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
		b, _ := json.Marshal(scflocal.IntegrationResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body})
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
			if err := printTable(&buf, []byte(tt.payload)); err != nil {
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
		r    scflocal.Reply
		want string
	}{
		{"dtsreset error object", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: errorJSON, Type: "Error"}}, errorTable},
		{"plain error", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: "boom", Type: "errorString"}}, "ERROR errorString: boom\n"},
		{"panic", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: "nil map", Type: "Error", ShouldExit: true}}, "ERROR panic (Error): nil map\n"},
		{"payload", scflocal.Reply{Payload: []byte(activeJSON)}, activeTable},
		// A timer or direct batch with a failed item fails with the whole batch reply as the message.
		{"failed batch", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: `{"Results":[` + dryRunJSON + `,` + activeJSON + `],"Failed":1}`, Type: "Error"}},
			"BATCH 2 resets, 1 failed\n\n[1/2]\n" + dryRunTable + "\n[2/2]\n" + activeTable},
		{"error JSON that is not ours", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: `{"errorCode":-1}`, Type: "Error"}}, "ERROR Error: {\"errorCode\":-1}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := printReply(&buf, tt.r); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestReplyFailed(t *testing.T) {
	wrap := func(status int, body string) []byte {
		b, _ := json.Marshal(scflocal.IntegrationResponse{StatusCode: status, Body: body})
		return b
	}
	tests := []struct {
		name string
		r    scflocal.Reply
		want bool
	}{
		{"result", scflocal.Reply{Payload: []byte(resultJSON)}, false},
		{"function error", scflocal.Reply{Error: &messages.InvokeResponse_Error{Message: errorJSON}}, true},
		{"http 200", scflocal.Reply{Payload: wrap(200, resultJSON)}, false},
		{"http 409", scflocal.Reply{Payload: wrap(409, activeJSON)}, true},
		{"batch all ok", scflocal.Reply{Payload: []byte(`{"Results":[],"Failed":0}`)}, false},
		{"batch with failures", scflocal.Reply{Payload: []byte(`{"Results":[],"Failed":2}`)}, true},
		{"http 207 batch", scflocal.Reply{Payload: wrap(207, `{"Results":[],"Failed":1}`)}, true},
	}
	for _, tt := range tests {
		if got := replyFailed(tt.r); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Command fn is a test-only SCF function for package scflocal: it speaks scf-go-lib's real net/rpc protocol
// (cloudfunction.StartHandler), so the invoker and the gateway are tested against the library, not a mock.
//
// The payload (or, for an API Gateway event, its body) is a command object; every field is optional:
//
//	{"getenv": ["K", ...],     report these environment variables (proves Environment arrives per invocation)
//	 "sleepMs": N,             sleep N ms, or until ctx is done, in which case ctx.Err() is returned
//	 "deaf": true,             with sleepMs: sleep the full time, ignoring ctx (a function deaf to deadlines)
//	 "panic": "msg",           panic (scf-go-lib recovers it into an Error with ShouldExit)
//	 "exit": N,                os.Exit(N) mid-invocation, after a log line
//	 "error": "msg",           return an error of type *fnError
//	 "reply": {...}}           return this JSON verbatim (integration responses, table printer inputs)
//
// Otherwise it answers an echo: the raw event, the requested variables and what functioncontext carried. For
// API Gateway events (objects with httpMethod) the echo is wrapped in a 200 integration response.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"
)

type command struct {
	Getenv  []string        `json:"getenv"`
	SleepMs int             `json:"sleepMs"`
	Deaf    bool            `json:"deaf"`
	Panic   string          `json:"panic"`
	Exit    *int            `json:"exit"`
	Error   string          `json:"error"`
	Reply   json.RawMessage `json:"reply"`
}

type apigwEvent struct {
	HTTPMethod      string `json:"httpMethod"`
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

// Echo is what the function answers when no reply is given.
type Echo struct {
	Event        json.RawMessage   `json:"event"`
	Env          map[string]string `json:"env"`
	RequestID    string            `json:"requestId"`
	FunctionName string            `json:"functionName"`
	Region       string            `json:"region"`
	MemoryMB     int32             `json:"memoryMb"`
	TimeLimitMs  int32             `json:"timeLimitMs"`
	Deadline     time.Time         `json:"deadline"`
}

type fnError struct{ msg string }

func (e *fnError) Error() string { return e.msg }

type handler struct{}

func (handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	fmt.Printf(`{"msg":"invoke","bytes":%d}`+"\n", len(payload))
	var ev apigwEvent
	_ = json.Unmarshal(payload, &ev)
	cmdJSON := payload
	if ev.HTTPMethod != "" {
		cmdJSON = []byte(ev.Body)
		if ev.IsBase64Encoded {
			cmdJSON, _ = base64.StdEncoding.DecodeString(ev.Body)
		}
	}
	var cmd command
	_ = json.Unmarshal(cmdJSON, &cmd) // not a command: plain echo

	if cmd.SleepMs > 0 && cmd.Deaf {
		time.Sleep(time.Duration(cmd.SleepMs) * time.Millisecond)
	} else if cmd.SleepMs > 0 {
		select {
		case <-time.After(time.Duration(cmd.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if cmd.Panic != "" {
		panic(cmd.Panic)
	}
	if cmd.Exit != nil {
		fmt.Println(`{"msg":"exiting"}`)
		os.Exit(*cmd.Exit)
	}
	if cmd.Error != "" {
		return nil, &fnError{cmd.Error}
	}
	if len(cmd.Reply) > 0 {
		return cmd.Reply, nil
	}

	echo := Echo{Event: payload, Env: map[string]string{}}
	for _, k := range cmd.Getenv {
		echo.Env[k] = os.Getenv(k)
	}
	if fc, ok := functioncontext.FromContext(ctx); ok {
		echo.RequestID, echo.FunctionName, echo.Region = fc.RequestID, fc.FunctionName, fc.TencentcloudRegion
		echo.MemoryMB, echo.TimeLimitMs = fc.MemoryLimitInMb, fc.TimeLimitInMs
	}
	echo.Deadline, _ = ctx.Deadline()
	out, err := json.Marshal(echo)
	if err != nil || ev.HTTPMethod == "" {
		return out, err
	}
	return json.Marshal(map[string]any{
		"isBase64Encoded": false, "statusCode": 200,
		"headers": map[string]string{"Content-Type": "application/json"}, "body": string(out),
	})
}

func main() { cloudfunction.StartHandler(handler{}) }

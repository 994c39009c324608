package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"dtsreset/internal/scflocal"
)

// The reply shapes of the dtsreset function (SPEC §5), decoded loosely: the printer must show whatever
// came back, so unknown fields are ignored and absent offsets print as "-".
type tableResult struct {
	RequestID         string `json:"RequestId"`
	SubscribeID       string `json:"SubscribeId"`
	TopicName         string `json:"TopicName"`
	ConsumerGroupName string `json:"ConsumerGroupName"`
	ResetMode         string `json:"ResetMode"`
	ResetDatetime     string `json:"ResetDatetime"`
	DryRun            bool   `json:"DryRun"`
	GroupState        string `json:"GroupState"`
	Verified          bool   `json:"Verified"`
	Partitions        []struct {
		PartitionNo   int64  `json:"PartitionNo"`
		CurrentOffset *int64 `json:"CurrentOffset"`
		TargetOffset  *int64 `json:"TargetOffset"`
		ResultOffset  *int64 `json:"ResultOffset"`
		Replay        *int64 `json:"Replay"`
		Skip          *int64 `json:"Skip"`
	} `json:"Partitions"`
	Warnings []string `json:"Warnings"`
}

type tableError struct {
	Error struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
		Fields  []struct {
			Field   string `json:"Field"`
			Rule    string `json:"Rule"`
			Message string `json:"Message"`
		} `json:"Fields"`
	} `json:"Error"`
	RequestID string `json:"RequestId"`
}

type tableBatch struct {
	Results []json.RawMessage `json:"Results"`
	Failed  int               `json:"Failed"`
}

// printTable renders one reply payload of the dtsreset function for people, in the manner of
// kafka-consumer-groups.sh: a result (or dry run) as a header block and a PARTITION / CURRENT-OFFSET /
// TARGET-OFFSET / RESULT-OFFSET table; an error object as "ERROR <Code>: <Message>" and its fields; a batch
// item by item; an API Gateway integration response as "HTTP <status>" and then its body, rendered the
// same way. Anything else is printed as (indented) JSON or raw text. The error is w's.
func printTable(w io.Writer, payload []byte) error {
	var buf bytes.Buffer
	printPayload(&buf, payload, true)
	_, err := w.Write(buf.Bytes())
	return err
}

// printReply is printTable for a whole Reply. A function error whose message is one of the dtsreset
// function's replies is rendered as that reply: an error object, or the batch reply that a timer or direct
// batch with failed items fails with. Any other function error prints as "ERROR <Type>: <Message>".
func printReply(w io.Writer, r scflocal.Reply) error {
	if r.Error == nil {
		return printTable(w, r.Payload)
	}
	if isReply([]byte(r.Error.Message)) {
		return printTable(w, []byte(r.Error.Message))
	}
	msg := fmt.Sprintf("ERROR %s: %s\n", r.Error.Type, r.Error.Message)
	if r.Error.ShouldExit {
		msg = fmt.Sprintf("ERROR panic (%s): %s\n", r.Error.Type, r.Error.Message)
	}
	_, err := io.WriteString(w, msg)
	return err
}

// isReply reports whether b is a dtsreset error object or batch reply.
func isReply(b []byte) bool {
	var e tableError
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		return true
	}
	var batch tableBatch
	_, ok := objectOf(b)["Results"]
	return ok && json.Unmarshal(b, &batch) == nil
}

// replyFailed reports whether the reply is a failure: a function error, an integration response with a
// statusCode of 400 or more, or a batch with failed items (HTTP 207).
func replyFailed(r scflocal.Reply) bool {
	if r.Error != nil {
		return true
	}
	src := r.Payload
	obj := objectOf(src)
	if raw, ok := obj["statusCode"]; ok {
		var status int
		if json.Unmarshal(raw, &status) != nil || status >= 400 {
			return true
		}
		var ir scflocal.IntegrationResponse
		_ = json.Unmarshal(src, &ir)
		src = []byte(ir.Body)
		obj = objectOf(src)
	}
	var b tableBatch
	if _, ok := obj["Results"]; ok && json.Unmarshal(src, &b) == nil {
		return b.Failed > 0
	}
	return false
}

// objectOf decodes a JSON object's top level, or returns nil.
func objectOf(b []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func printPayload(w *bytes.Buffer, payload []byte, unwrapHTTP bool) {
	obj := objectOf(payload)
	_, isHTTP := obj["statusCode"]
	_, isBatch := obj["Results"]
	_, isErr := obj["Error"]
	_, isResult := obj["SubscribeId"]
	switch {
	case obj == nil:
		w.Write(payload)
		if len(payload) > 0 && payload[len(payload)-1] != '\n' {
			w.WriteByte('\n')
		}
	case isHTTP && unwrapHTTP:
		var ir scflocal.IntegrationResponse
		if err := json.Unmarshal(payload, &ir); err != nil {
			printJSON(w, payload)
			return
		}
		fmt.Fprintf(w, "HTTP %d\n", ir.StatusCode)
		body := []byte(ir.Body)
		if ir.IsBase64Encoded {
			fmt.Fprintf(w, "(base64 body, %d characters)\n", len(ir.Body))
			return
		}
		if len(body) > 0 {
			printPayload(w, body, false)
		}
	case isBatch:
		var b tableBatch
		if err := json.Unmarshal(payload, &b); err != nil {
			printJSON(w, payload)
			return
		}
		fmt.Fprintf(w, "BATCH %d resets, %d failed\n", len(b.Results), b.Failed)
		for i, item := range b.Results {
			fmt.Fprintf(w, "\n[%d/%d]\n", i+1, len(b.Results))
			printPayload(w, item, false)
		}
	case isErr:
		var e tableError
		if err := json.Unmarshal(payload, &e); err != nil {
			printJSON(w, payload)
			return
		}
		fmt.Fprintf(w, "ERROR %s: %s\n", e.Error.Code, e.Error.Message)
		for _, f := range e.Error.Fields {
			fmt.Fprintf(w, "  %s (%s): %s\n", f.Field, dash(f.Rule), f.Message)
		}
		if e.RequestID != "" {
			fmt.Fprintf(w, "  RequestId: %s\n", e.RequestID)
		}
	case isResult:
		var res tableResult
		if err := json.Unmarshal(payload, &res); err != nil {
			printJSON(w, payload)
			return
		}
		printResult(w, res)
	default:
		printJSON(w, payload)
	}
}

func printResult(w *bytes.Buffer, r tableResult) {
	mode := r.ResetMode
	if r.ResetDatetime != "" {
		mode += " " + r.ResetDatetime
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBSCRIBE-ID\tTOPIC\tGROUP\tMODE\tDRY-RUN\tREQUEST-ID\tSTATE\tVERIFIED")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\t%s\t%t\n", dash(r.SubscribeID), dash(r.TopicName),
		dash(r.ConsumerGroupName), dash(mode), r.DryRun, dash(r.RequestID), dash(r.GroupState), r.Verified)
	tw.Flush()
	w.WriteByte('\n')
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tCURRENT-OFFSET\tTARGET-OFFSET\tREPLAY\tSKIP\tRESULT-OFFSET")
	for _, p := range r.Partitions {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", p.PartitionNo, offset(p.CurrentOffset), offset(p.TargetOffset),
			offset(p.Replay), offset(p.Skip), offset(p.ResultOffset))
	}
	tw.Flush()
	for _, warning := range r.Warnings {
		w.WriteString("warning: " + warning + "\n")
	}
}

func printJSON(w *bytes.Buffer, b []byte) {
	if err := json.Indent(w, b, "", "  "); err != nil {
		w.Write(b)
	}
	w.WriteByte('\n')
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// offset renders an offset of a reply: "-" when absent (not read), "none" for -1 (the group has no committed
// offset on the partition, as DTS reports a never-consumed one).
func offset(o *int64) string {
	switch {
	case o == nil:
		return "-"
	case *o == -1:
		return "none"
	}
	return strconv.FormatInt(*o, 10)
}

package dts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// groupFilter keeps one group of a DescribeConsumerGroups reply while the reply streams in.
//
// Why here, under the SDK: a page is up to 100 groups of up to 1024 partitions, ~9 MB of JSON, and the SDK
// reads a reply whole (io.ReadAll, growing as it goes) and then copies it twice more on its way to us, which
// with our decode peaked at ~9× the page (78 MB for 120 groups of 1024 partitions: SCF kills a 64 MB
// function). The SDK has no streaming hook for JSON replies, so the transport decodes the reply as a stream
// (json.Decoder, one Items element at a time) and hands the SDK a reply of the same shape that holds only the
// wanted group; every other key of the reply (RequestId, TotalCount, an Error, whatever its case) is passed on
// verbatim, so the SDK and DecodeResponse judge it as before. The names of all the page's groups are kept
// aside, for paging and for the not-found message. Paging stays at 100 groups a call, so a lookup still makes
// ceil(groups/100) calls.
type groupFilter struct {
	want  string   // the full group name
	names []string // every group of the last reply's Items, in order
}

type groupFilterKey struct{}

// withGroupFilter returns ctx carrying f for the transport (guardedTransport) of the call made with it.
func withGroupFilter(ctx context.Context, f *groupFilter) context.Context {
	return context.WithValue(ctx, groupFilterKey{}, f)
}

func groupFilterFrom(ctx context.Context) *groupFilter {
	f, _ := ctx.Value(groupFilterKey{}).(*groupFilter)
	return f
}

// shapeError is a reply that is JSON but not the shape of a DescribeConsumerGroups reply.
type shapeError string

func (e shapeError) Error() string { return string(e) }

const errShape = shapeError("not a JSON object with a Response object")

// rewrite reads the reply from r and returns it with only the wanted group in Response.Items. A read error is
// returned as it is (the transport's, or the deadline's); a reply that is not valid JSON, or not an object
// with a Response object, is a badReply.
func (f *groupFilter) rewrite(r io.Reader) ([]byte, error) {
	f.names = f.names[:0]
	dec := json.NewDecoder(r)
	var out bytes.Buffer
	err := f.object(dec, &out, func(key string, out *bytes.Buffer) error {
		if !strings.EqualFold(key, "Response") { // encoding/json matches keys so
			return copyValue(dec, out)
		}
		return f.object(dec, out, func(key string, out *bytes.Buffer) error {
			if !strings.EqualFold(key, "Items") {
				return copyValue(dec, out)
			}
			return f.items(dec, out)
		})
	})
	if err == nil {
		// Nothing may follow the object: encoding/json would refuse the reply.
		if _, terr := dec.Token(); terr != io.EOF {
			err = shapeError("data after the reply's object")
		}
	}
	if err != nil {
		if isReadError(err) {
			return nil, err
		}
		return nil, &badReply{why: "the reply is not valid JSON of its documented shape: " + err.Error()}
	}
	return out.Bytes(), nil
}

// object copies one JSON object from dec to out, each member's value through member.
func (f *groupFilter) object(dec *json.Decoder, out *bytes.Buffer, member func(key string, out *bytes.Buffer) error) error {
	if tok, err := dec.Token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return errShape
	}
	out.WriteByte('{')
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if i > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		if err := member(key, out); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return err
	}
	out.WriteByte('}')
	return nil
}

// items reads the Items array one group at a time (one group's JSON and its decoded form are all it holds),
// records every name and copies only the wanted group. A later Items key replaces an earlier one, as
// encoding/json decodes them.
func (f *groupFilter) items(dec *json.Decoder, out *bytes.Buffer) error {
	f.names = f.names[:0]
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		out.WriteString("null")
		return nil
	}
	if tok != json.Delim('[') {
		return shapeError("Items is not an array")
	}
	out.WriteByte('[')
	kept := 0
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		// Every group is decoded and checked, not only the wanted one, so that the rewritten reply fails
		// wherever the whole one would: a reply is an answer or not, whichever group is wrong in it.
		var g GroupInfo
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		if why := (&DescribeConsumerGroupsResponse{Items: []GroupInfo{g}}).check(); why != "" {
			return &badReply{why: why}
		}
		f.names = append(f.names, g.ConsumerGroupName)
		if g.ConsumerGroupName != f.want {
			continue
		}
		if kept > 0 {
			out.WriteByte(',')
		}
		out.Write(raw)
		kept++
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return err
	}
	out.WriteByte(']')
	return nil
}

// copyValue copies the next JSON value from dec to out as it is.
func copyValue(dec *json.Decoder, out *bytes.Buffer) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	out.Write(raw)
	return nil
}

// isReadError tells a failure to read the reply (the connection, the deadline) from a reply that is not
// JSON: encoding/json returns the reader's errors as they are, and its own as SyntaxError,
// UnmarshalTypeError, or io.ErrUnexpectedEOF / io.EOF for a reply that ends too soon; ours are shapeError.
func isReadError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var sh shapeError
	return !errors.As(err, &se) && !errors.As(err, &te) && !errors.As(err, &sh) &&
		!errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF)
}

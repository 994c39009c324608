package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"dtsreset/validate"
)

// The subscription LargeDTS serves.
const (
	LargeSubscribeID = "subs-memory0001"
	LargeTopic       = "topic-subs-memory0001-cdb-1"
)

// LargeDTS answers the four actions of a reset for one subscription with many large groups, in the API's
// shapes, as fast as it can render them. It checks no signature (the function signs every request anyway;
// what is measured here is the function's memory) and keeps one state: the target group's offsets, which a
// reset sets (earliest: 0).
type LargeDTS struct {
	srv        *http.Server
	URL        string // the endpoint, for DTS_ENDPOINT
	groups     int
	partitions int
	Target     string // the full name of the group on the last page

	mu       sync.Mutex
	reset    bool // the target group was reset to earliest
	describe int  // DescribeConsumerGroups calls
}

// StartLargeDTS serves a subscription of groups consumer groups (Target, the last, on the last page) of
// partitions partitions each on a loopback port, until Close.
func StartLargeDTS(groups, partitions int) (*LargeDTS, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &LargeDTS{URL: "http://" + l.Addr().String(), groups: groups, partitions: partitions,
		Target: largeGroupName(groups - 1)}
	d.srv = &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go d.srv.Serve(l)
	return d, nil
}

// Close stops the server.
func (d *LargeDTS) Close() { d.srv.Close() }

func largeGroupName(i int) string {
	return fmt.Sprintf("%sg%03d", validate.GroupPrefix(LargeSubscribeID), i)
}

// DescribeCalls is how many DescribeConsumerGroups calls arrived.
func (d *LargeDTS) DescribeCalls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.describe
}

// PageBytes is the size of a full page of 100 groups as served.
func (d *LargeDTS) PageBytes() int { return len(d.page(0, 100)) }

func (d *LargeDTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Offset, Limit int
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &in)
	rid := strconv.FormatInt(time.Now().UnixNano(), 36)
	w.Header().Set("Content-Type", "application/json")
	switch r.Header.Get("X-TC-Action") {
	case "DescribeConsumerGroups":
		d.mu.Lock()
		d.describe++
		d.mu.Unlock()
		w.Write(d.page(in.Offset, in.Limit))
	case "DescribeOffsetByTime":
		var b bytes.Buffer
		b.WriteString(`{"Response":{"Items":[`)
		for p := range d.partitions {
			if p > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"PartitionNo":%d,"Offset":0}`, p)
		}
		fmt.Fprintf(&b, `],"RequestId":"%s"}}`, rid)
		w.Write(b.Bytes())
	case "DescribeSubscribeDetail":
		fmt.Fprintf(w, `{"Response":{"SubscribeId":%q,"Topic":%q,"Region":"ap-guangzhou","RequestId":"%s"}}`, LargeSubscribeID, LargeTopic, rid)
	case "ResetConsumerGroupOffset":
		d.mu.Lock()
		d.reset = true
		d.mu.Unlock()
		fmt.Fprintf(w, `{"Response":{"RequestId":"%s"}}`, rid)
	default:
		fmt.Fprintf(w, `{"Response":{"Error":{"Code":"InvalidAction","Message":"unknown action"},"RequestId":"%s"}}`, rid)
	}
}

// page renders DescribeConsumerGroups from offset: every group with every partition, as the API lists them
// (about 85 bytes a partition: 100 groups of 1024 partitions are ~9 MB).
func (d *LargeDTS) page(offset, limit int) []byte {
	d.mu.Lock()
	reset := d.reset
	d.mu.Unlock()
	if limit <= 0 {
		limit = 10
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"Response":{"TotalCount":%d,"Items":[`, d.groups)
	for i := offset; i < min(offset+limit, d.groups); i++ {
		if i > offset {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Account":"account-%s-a%03d","ConsumerGroupName":%q,"Description":"","ConsumerGroupState":"Empty",`+
			`"CreatedAt":"2026-11-28 08:00:00","UpdatedAt":"2026-11-28 08:00:00","Latency":0,"PartitionAssignment":[],"StateOfPartition":[`,
			LargeSubscribeID, i, largeGroupName(i))
		for p := range d.partitions {
			if p > 0 {
				b.WriteByte(',')
			}
			off := int64(100000 + p)
			if reset && i == d.groups-1 {
				off = 0
			}
			fmt.Fprintf(&b, `{"PartitionNo":%d,"ConsumerGroupOffset":%d,"ConsumerGroupLag":%d,"Latency":0}`, p, off, 200000-off)
		}
		fmt.Fprintf(&b, `],"ConsumerGroupOffset":%d,"ConsumerGroupLag":%d}`, 100000+d.partitions-1, 100000-d.partitions+1)
	}
	fmt.Fprintf(&b, `],"RequestId":"%s"}}`, strconv.FormatInt(time.Now().UnixNano(), 36))
	return b.Bytes()
}

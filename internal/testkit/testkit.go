// Package testkit starts the real parts that the function's tests run against: the DTS emulator behind a
// loopback HTTP server, with its in-process Kafka, and real kgo clients to produce records, hold a consumer
// group active and read where a group resumes. It is imported only by tests (never by the function), so the
// function's packages keep their distance from the emulator.
package testkit

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
)

// Demo names, as emulator.DemoConfig serves them.
const (
	SubscribeID = emulator.DemoSubscribeID
	Topic       = emulator.DemoTopicName
	Group       = "consumer-grp-" + emulator.DemoSubscribeID + "-g1"
	GroupShort  = "g1"
)

// Beijing is the API's time zone.
var Beijing = time.FixedZone("UTC+8", 8*3600)

// DTS is an emulator served on loopback.
type DTS struct {
	Emu    *emulator.Emulator
	URL    string
	Cred   emulator.Credential
	Region string
}

// StartDTS serves cfg (emulator.DemoConfig() when cfg is nil) and closes it when the test ends.
func StartDTS(t testing.TB, cfg *emulator.Config, opts ...emulator.Option) *DTS {
	t.Helper()
	c := emulator.DemoConfig()
	if cfg != nil {
		c = *cfg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	emu, err := emulator.New(ctx, c, opts...)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("emulator Close: %v", err)
		}
	})
	return &DTS{Emu: emu, URL: srv.URL, Cred: c.Credentials[0], Region: c.Region}
}

// Env is the function's environment for this emulator, with the credentials as SCF passes the role's.
func (d *DTS) Env() map[string]string {
	return map[string]string{
		"DTS_ENDPOINT":              d.URL,
		"TENCENTCLOUD_REGION":       d.Region,
		"TENCENTCLOUD_SECRETID":     d.Cred.SecretID,
		"TENCENTCLOUD_SECRETKEY":    d.Cred.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": d.Cred.Token,
	}
}

// SetEnv applies Env to the test process (t.Setenv restores it).
func (d *DTS) SetEnv(t *testing.T) {
	t.Helper()
	for k, v := range d.Env() {
		t.Setenv(k, v)
	}
}

// RecordTime is the timestamp of record i of every partition written by Produce: 2026-11-28 07:00 Beijing
// plus i×15 minutes, so datetime resets land between records.
func RecordTime(i int) time.Time {
	return time.Date(2026, 11, 28, 7, 0, 0, 0, Beijing).Add(time.Duration(i) * 15 * time.Minute)
}

// Produce writes n records to each of the partitions of topic; record i of partition p has the value "p-i"
// and the timestamp RecordTime(i).
func (d *DTS) Produce(t testing.TB, topic string, partitions, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.Emu.KafkaAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, 0, partitions*n)
	for p := 0; p < partitions; p++ {
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, "%d-%d", p, i), Timestamp: RecordTime(i)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// Commit sets the group's committed offsets directly in Kafka, as a consumer that read that far would.
func (d *DTS) Commit(t testing.TB, group, topic string, offsets map[int32]int64) {
	t.Helper()
	adm := d.admin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	os := make(kadm.Offsets)
	for p, o := range offsets {
		os.AddOffset(topic, p, o, -1)
	}
	resp, err := adm.CommitOffsets(ctx, group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit %s: %v", group, err)
	}
}

// admin is a Kafka admin client of the emulator's cluster, closed when the test ends.
func (d *DTS) admin(t testing.TB) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.Emu.KafkaAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// Committed reads the group's committed offsets from Kafka.
func (d *DTS) Committed(t testing.TB, group string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := d.admin(t).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets %s: %v", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) { out[o.Partition] = o.At })
	return out
}

// Consumer is a real kgo consumer in a group; it never commits by itself.
type Consumer struct {
	*kgo.Client
}

// Join starts a consumer of topic in group and waits (bounded) until it has an assignment, so the group is
// active (Stable) when Join returns. Leave (or the end of the test) closes it, which leaves the group.
func (d *DTS) Join(t testing.TB, group, topic, clientID string) *Consumer {
	t.Helper()
	c := d.newConsumer(t, group, topic, clientID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(c.Client)
	for i := 0; i < 400; i++ {
		c.poll(ctx, 50*time.Millisecond)
		groups, err := adm.DescribeGroups(ctx, group)
		if err == nil {
			if g, ok := groups[group]; ok && g.State == "Stable" && len(g.Members) > 0 {
				return c
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	t.Fatalf("consumer %s did not join %s within 20s", clientID, group)
	return nil
}

func (d *DTS) newConsumer(t testing.TB, group, topic, clientID string) *Consumer {
	t.Helper()
	cl, err := kgo.NewClient(append(emulator.SubscriberOpts(group, topic, clientID), kgo.SeedBrokers(d.Emu.KafkaAddrs()...))...)
	if err != nil {
		t.Fatal(err)
	}
	c := &Consumer{cl}
	t.Cleanup(c.Leave)
	return c
}

// Leave closes the consumer, which leaves the group (the group turns Empty when it was the last member).
func (c *Consumer) Leave() { c.Close() }

// FirstRecords starts a new consumer in group and returns the first record it reads from each of n
// partitions: where the group resumes. The consumer leaves before FirstRecords returns.
func (d *DTS) FirstRecords(t testing.TB, group, topic string, n int) map[int32]*kgo.Record {
	t.Helper()
	c := d.newConsumer(t, group, topic, "dtsreset-test-reader")
	defer c.Leave()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[int32]*kgo.Record{}
	for i := 0; i < 400 && len(out) < n && ctx.Err() == nil; i++ {
		c.poll(ctx, 200*time.Millisecond).EachRecord(func(r *kgo.Record) {
			if _, ok := out[r.Partition]; !ok {
				out[r.Partition] = r
			}
		})
	}
	if len(out) < n {
		t.Fatalf("read the first record of %d partitions of %d within 20s", len(out), n)
	}
	return out
}

// poll fetches for at most d: long enough to join, heartbeat and fetch, short enough to re-check the loop.
func (c *Consumer) poll(parent context.Context, d time.Duration) kgo.Fetches {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	return c.PollFetches(ctx)
}

// Package testkit starts the real parts that the function's tests run against: the DTS emulator behind a
// loopback HTTP server, with its in-process Kafka, and real kgo clients to produce records, hold a consumer
// group active and read where a group resumes. It is imported only by tests (never by the function), so the
// function's packages keep their distance from the emulator.
package testkit

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
	"dtsreset/validate"
)

// Demo names, as emulator.DemoConfig serves them.
const (
	SubscribeID = emulator.DemoSubscribeID
	Topic       = emulator.DemoTopicName
	Group       = emuclient.DemoGroup
	GroupShort  = emuclient.DemoGroupShort
)

// Epoch is where the emulator's clock starts in StartDTS: DTS's world runs from 2026-11-28 12:00 UTC (20:00
// Beijing) at real speed, so the log of RecordTime is a few hours old, well within retention and before the
// newest checkpoint, whatever day the tests run. Request signatures are still checked against the real
// clock, which the SDK signs with.
var Epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// DTS is an emulator served on loopback.
type DTS struct {
	Emu       *emulator.Emulator
	URL       string
	Cred      emulator.Credential
	Region    string
	Superuser emuclient.Login // feeds records and administers the cluster
}

// StartDTS serves cfg (emulator.DemoConfig() when cfg is nil) on DTS's clock starting at Epoch, and closes it
// when the test ends. o may set another clock; signatures are checked on the real one unless o says otherwise.
func StartDTS(t testing.TB, cfg *emulator.Config, o emulator.Options) *DTS {
	t.Helper()
	c := emulator.DemoConfig()
	if cfg != nil {
		c = *cfg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	clock := func() time.Time { return Epoch.Add(time.Since(start)) }
	if o.Now == nil {
		o.Now = clock
	}
	if o.SignatureNow == nil {
		o.SignatureNow = time.Now
	}
	emu, err := emulator.New(ctx, c, o)
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
	su := c.Superuser()
	return &DTS{Emu: emu, URL: srv.URL, Cred: c.Credentials[0], Region: c.Region, Superuser: emuclient.Login{User: su.User, Password: su.Password}}
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
	return time.Date(2026, 11, 28, 7, 0, 0, 0, validate.Beijing()).Add(time.Duration(i) * 15 * time.Minute)
}

// Produce writes, as the superuser, n records to each of the partitions of topic; record i of partition p
// has the value "p-i" and the timestamp RecordTime(i).
func (d *DTS) Produce(t testing.TB, topic string, partitions, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, 0, partitions*n)
	for p := 0; p < partitions; p++ {
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, "%d-%d", p, i), Timestamp: RecordTime(i)})
		}
	}
	if err := emuclient.Produce(ctx, d.Emu.KafkaAddrs(), d.Superuser, recs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// Commit sets the group's committed offsets directly in Kafka (as the superuser), as a consumer that read
// that far would.
func (d *DTS) Commit(t testing.TB, group, topic string, offsets map[int32]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := emuclient.Commit(ctx, d.Emu.KafkaAddrs(), d.Superuser, group, topic, offsets); err != nil {
		t.Fatal(err)
	}
}

// Committed reads the group's committed offsets on the demo topic from Kafka.
func (d *DTS) Committed(t testing.TB, group string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := emuclient.Committed(ctx, d.Emu.KafkaAddrs(), d.Superuser, group, d.topicOf(t, group))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Login is the DTS account of a configured group (full Kafka name), as its consumers log in.
func (d *DTS) Login(t testing.TB, group string) emuclient.Login {
	t.Helper()
	for _, s := range d.Emu.Config().Subscriptions {
		for _, g := range s.ConsumerGroups {
			if validate.GroupPrefix(s.SubscribeID)+g.ConsumerGroupName == group {
				return emuclient.Login{User: "account-" + s.SubscribeID + "-" + g.AccountName, Password: g.Password}
			}
		}
	}
	t.Fatalf("no configured consumer group %s", group)
	return emuclient.Login{}
}

func (d *DTS) topicOf(t testing.TB, group string) string {
	t.Helper()
	for _, s := range d.Emu.Config().Subscriptions {
		if strings.HasPrefix(group, validate.GroupPrefix(s.SubscribeID)) {
			return s.TopicName
		}
	}
	t.Fatalf("no subscription has the consumer group %s", group)
	return ""
}

// Consumer is a real kgo consumer in a group, logged in with the group's account; it never commits by itself.
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
	if err := emuclient.WaitJoined(ctx, c.Client, group); err != nil {
		t.Fatalf("consumer %s: %v", clientID, err)
	}
	return c
}

func (d *DTS) newConsumer(t testing.TB, group, topic, clientID string) *Consumer {
	t.Helper()
	cl, err := emuclient.Subscriber(d.Emu.KafkaAddrs(), d.Login(t, group), group, topic, clientID)
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
	out, err := emuclient.FirstRecords(ctx, c.Client, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

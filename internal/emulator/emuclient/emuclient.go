// Package emuclient holds the Kafka clients that the emulator's users run against its broker, each returning
// its errors: the superuser feeding records, committing and reading offsets as an admin would, and
// subscribers logging in with a DTS account. The test kit (which turns the errors into test failures) and
// `scflocal demo` share them, and dtslocal -demo seeds the same data as the demo with SeedDemo.
//
// Every client logs in as DTS's Kafka expects: SASL_PLAINTEXT with SCRAM-SHA-512.
package emuclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Login is a Kafka user and password: the superuser of the emulator's configuration, or a DTS account
// account-<SubscribeId>-<AccountName> with its group's password.
type Login struct {
	User, Password string
}

// Client is a kgo client of the brokers at addrs, logged in as l with SCRAM-SHA-512, with opts on top.
func Client(addrs []string, l Login, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.SASL(scram.Auth{User: l.User, Pass: l.Password}.AsSha512Mechanism()),
	}
	return kgo.NewClient(append(base, opts...)...)
}

// Produce writes recs (each with its Topic, Partition and Timestamp) as l, which must be allowed to write:
// on DTS only the subscription does, so in the emulator only the superuser.
func Produce(ctx context.Context, addrs []string, l Login, recs ...*kgo.Record) error {
	cl, err := Client(addrs, l, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// Commit sets group's committed offsets on topic, as a consumer that read that far would.
func Commit(ctx context.Context, addrs []string, l Login, group, topic string, offsets map[int32]int64) error {
	err := withOffsets(addrs, l, topic, offsets, func(adm *kadm.Client, offs kadm.Offsets) error {
		resp, err := adm.CommitOffsets(ctx, group, offs)
		if err == nil {
			err = resp.Error()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("commit %s: %w", group, err)
	}
	return nil
}

// Committed reads group's committed offsets on topic from Kafka.
func Committed(ctx context.Context, addrs []string, l Login, group, topic string) (map[int32]int64, error) {
	cl, err := Client(addrs, l)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of %s: %w", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			out[o.Partition] = o.At
		}
	})
	return out, nil
}

// DeleteRecordsBefore moves the log start of every listed partition of topic to its offset, as Kafka's
// retention does with old segments.
func DeleteRecordsBefore(ctx context.Context, addrs []string, l Login, topic string, offsets map[int32]int64) error {
	err := withOffsets(addrs, l, topic, offsets, func(adm *kadm.Client, offs kadm.Offsets) error {
		resp, err := adm.DeleteRecords(ctx, offs)
		if err == nil {
			err = resp.Error()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete records of %s: %w", topic, err)
	}
	return nil
}

// withOffsets runs op on an admin client logged in as l, with offsets as kadm.Offsets of topic.
func withOffsets(addrs []string, l Login, topic string, offsets map[int32]int64,
	op func(*kadm.Client, kadm.Offsets) error) error {
	cl, err := Client(addrs, l)
	if err != nil {
		return err
	}
	defer cl.Close()
	offs := make(kadm.Offsets)
	for p, o := range offsets {
		offs.AddOffset(topic, p, o, -1)
	}
	return op(kadm.NewClient(cl), offs)
}

// SubscriberOpts are the kgo options of a client standing in for a subscriber: it joins group, consumes
// topic from the start, and never commits by itself, so only a reset moves the group's offsets. Heartbeats
// and rebalances are quick so that tests and the demo see a member join and leave within a second or two.
func SubscriberOpts(group, topic, clientID string) []kgo.Opt {
	return []kgo.Opt{
		kgo.ClientID(clientID),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(6 * time.Second),
		kgo.HeartbeatInterval(200 * time.Millisecond),
		kgo.RebalanceTimeout(2 * time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
}

// Subscriber is a subscriber (SubscriberOpts) logged in as the DTS account l, with opts on top.
func Subscriber(addrs []string, l Login, group, topic, clientID string, opts ...kgo.Opt) (*kgo.Client, error) {
	return Client(addrs, l, append(SubscriberOpts(group, topic, clientID), opts...)...)
}

// WaitJoined polls cl until group is Stable with a member, or ctx ends. It checks through cl itself, so its
// account must be allowed to describe the group (its own group is).
func WaitJoined(ctx context.Context, cl *kgo.Client, group string) error {
	adm := kadm.NewClient(cl)
	var last error
	for i := 0; i < 1000 && ctx.Err() == nil; i++ {
		Poll(ctx, cl, 50*time.Millisecond)
		groups, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			last = err
			continue
		}
		if g, ok := groups[group]; ok && g.State == "Stable" && len(g.Members) > 0 {
			return nil
		}
	}
	if last != nil {
		return fmt.Errorf("the consumer did not join %s: %w", group, last)
	}
	return fmt.Errorf("the consumer did not join %s: %w", group, context.Cause(ctx))
}

// FirstRecords polls cl until it read a record of each of the n partitions, or ctx ends, and returns the
// first record of each: where the group resumes.
func FirstRecords(ctx context.Context, cl *kgo.Client, n int) (map[int32]*kgo.Record, error) {
	out := map[int32]*kgo.Record{}
	var last error
	for i := 0; i < 1000 && len(out) < n && ctx.Err() == nil; i++ {
		fs := Poll(ctx, cl, 200*time.Millisecond)
		fs.EachRecord(func(r *kgo.Record) {
			if _, ok := out[r.Partition]; !ok {
				out[r.Partition] = r
			}
		})
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				last = err
			}
		})
	}
	if len(out) < n {
		got := make([]int32, 0, len(out))
		for p := range out {
			got = append(got, p)
		}
		slices.Sort(got)
		if last != nil {
			return out, fmt.Errorf("read the first record of partitions %v only, of %d: %w", got, n, last)
		}
		return out, fmt.Errorf("read the first record of partitions %v only, of %d", got, n)
	}
	return out, nil
}

// Poll fetches for at most d: long enough to join, heartbeat and fetch, short enough to re-check a loop.
func Poll(parent context.Context, cl *kgo.Client, d time.Duration) kgo.Fetches {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	return cl.PollFetches(ctx)
}

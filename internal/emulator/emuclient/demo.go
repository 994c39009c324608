package emuclient

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"dtsreset/internal/emulator"
)

// The demo's data, written by SeedDemo into emulator.DemoConfig's subscription: DemoRecords records per
// partition, one every DemoSpacing, the last one DemoSpacing*2/3 ago, so the log spans 30 hours. Retention
// (24 hours) has dropped the first DemoRetained of them, as Kafka would have; group g1 is committed at
// DemoCommitted. The records sit 5 minutes after a DemoSpacing step counted back from the seeding time, so
// DTS's checkpoints (10 s apart) and a few minutes between seeding and asking move no target.
const (
	DemoRecords    = 120
	DemoSpacing    = 15 * time.Minute
	DemoRetained   = 24 // record 24 is 23 h 55 min old at seeding, record 23 already 24 h 10 min
	DemoCommitted  = 115
	DemoGroup      = "consumer-grp-" + emulator.DemoSubscribeID + "-" + DemoGroupShort
	DemoGroupShort = emulator.DemoGroupName
	DemoAccount    = "account-" + emulator.DemoSubscribeID + "-" + emulator.DemoAccountName
	DemoPartitions = 3
)

// DemoRecordTime is the timestamp of record i of every partition when the demo was seeded at now.
func DemoRecordTime(now time.Time, i int) time.Time {
	return now.Add(-DemoRecords*DemoSpacing + time.Duration(i)*DemoSpacing + 5*time.Minute)
}

// DemoSuperuser is the login of emulator.DemoConfig's Kafka superuser.
var DemoSuperuser = Login{User: emulator.DemoSuperuser, Password: emulator.DemoSuperuserPassword}

// DemoSubscriber is the login of the demo group's account.
var DemoSubscriber = Login{User: DemoAccount, Password: emulator.DemoPassword}

// SeedDemo writes the demo's data (see DemoRecords) to the brokers at addrs as the superuser su, stamped
// relative to now: the records, the log start moved past what retention dropped, and g1's commit.
func SeedDemo(ctx context.Context, addrs []string, su Login, now time.Time) error {
	recs := make([]*kgo.Record, 0, DemoPartitions*DemoRecords)
	for p := int32(0); p < DemoPartitions; p++ {
		for i := 0; i < DemoRecords; i++ {
			ts := DemoRecordTime(now, i)
			recs = append(recs, &kgo.Record{Topic: emulator.DemoTopicName, Partition: p, Timestamp: ts,
				Value: fmt.Appendf(nil, `{"order":%d,"partition":%d,"at":"%s"}`, i, p, ts.In(emulator.Beijing).Format("01-02 15:04"))})
		}
	}
	if err := Produce(ctx, addrs, su, recs...); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	retained, committed := map[int32]int64{}, map[int32]int64{}
	for p := int32(0); p < DemoPartitions; p++ {
		retained[p], committed[p] = DemoRetained, DemoCommitted
	}
	if err := DeleteRecordsBefore(ctx, addrs, su, emulator.DemoTopicName, retained); err != nil {
		return err
	}
	return Commit(ctx, addrs, su, DemoGroup, emulator.DemoTopicName, committed)
}

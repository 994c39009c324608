package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
)

// testEnv is an emulator behind an httptest server, with an SDK client signed with the demo credentials.
type testEnv struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	client *common.Client
}

// newTestEmulator serves the demo configuration without the rate limit, so polling tests are not throttled.
func newTestEmulator(t *testing.T, o emulator.Options) *testEnv {
	t.Helper()
	o.NoRateLimit = true
	return newTestEmulatorWith(t, emulator.DemoConfig(), o)
}

// worldClock is DTS's clock in these tests: it starts an hour after recordBase and runs at real speed, so the
// records of produce are within retention and before the newest checkpoint. Signatures are checked against
// the real clock, which the SDK signs with.
func worldClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return recordBase.Add(time.Hour + time.Since(start)) }
}

// newTestEmulatorWith serves cfg with o, on worldClock unless o sets another clock, signatures on the real one.
func newTestEmulatorWith(t *testing.T, cfg emulator.Config, o emulator.Options) *testEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if o.Now == nil {
		o.Now = worldClock()
	}
	if o.SignatureNow == nil {
		o.SignatureNow = time.Now
	}
	emu, err := emulator.New(ctx, cfg, o)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return serve(t, emu)
}

// serve puts emu behind an httptest server and returns an SDK client for its first credential.
func serve(t *testing.T, emu *emulator.Emulator) *testEnv {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfg := emu.Config()
	return &testEnv{emu: emu, srv: srv, client: sdkClient(t, srv.URL, cfg.Credentials[0], cfg.Region)}
}

func sdkClient(t *testing.T, endpoint string, cred emulator.Credential, region string) *common.Client {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = u.Host
	prof.HttpProfile.ReqTimeout = 20
	return common.NewCommonClient(common.NewTokenCredential(cred.SecretID, cred.SecretKey, cred.Token), region, prof)
}

// call sends one action with the SDK and decodes the Response object into out (when not nil). It returns
// the SDK error, if any.
func (env *testEnv) call(t *testing.T, action string, params any, out any) error {
	t.Helper()
	return env.callCtx(t, context.Background(), action, params, out)
}

func (env *testEnv) callCtx(t *testing.T, ctx context.Context, action string, params any, out any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req := tchttp.NewCommonRequest("dts", emulator.Version, action)
	req.SetContext(ctx)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := env.client.Send(req, resp); err != nil {
		return err
	}
	var env2 struct {
		Response json.RawMessage
	}
	if err := json.Unmarshal(resp.GetBody(), &env2); err != nil {
		t.Fatalf("%s: decoding %s: %v", action, resp.GetBody(), err)
	}
	var rid struct{ RequestId string }
	if err := json.Unmarshal(env2.Response, &rid); err != nil || len(rid.RequestId) != 36 {
		t.Errorf("%s: RequestId %q, want a UUID", action, rid.RequestId)
	}
	if out != nil {
		if err := json.Unmarshal(env2.Response, out); err != nil {
			t.Fatalf("%s: decoding %s: %v", action, env2.Response, err)
		}
	}
	return nil
}

// mustCall is call that fails the test on an error.
func (env *testEnv) mustCall(t *testing.T, action string, params any, out any) {
	t.Helper()
	if err := env.call(t, action, params, out); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
}

func codeOf(err error) string {
	var se *sdkerrors.TencentCloudSDKError
	if errors.As(err, &se) {
		return se.Code
	}
	if err == nil {
		return ""
	}
	return fmt.Sprintf("non-SDK error %v", err)
}

// The response shapes, decoded strictly enough to catch a wrong JSON type.
type partitionState struct {
	PartitionNo         int64
	ConsumerGroupOffset int64
	ConsumerGroupLag    int64
	Latency             int64
}

type groupInfo struct {
	Account             string
	ConsumerGroupName   string
	Description         string
	ConsumerGroupOffset int64
	ConsumerGroupLag    int64
	Latency             int64
	StateOfPartition    []partitionState
	CreatedAt           string
	UpdatedAt           string
	ConsumerGroupState  string
	PartitionAssignment []struct {
		ClientId    string
		PartitionNo []int64
	}
}

type groupsResponse struct {
	TotalCount int64
	Items      []groupInfo
}

func (env *testEnv) describeGroup(t *testing.T, name string) groupInfo {
	t.Helper()
	for offset := 0; offset < 1000; offset += 100 {
		var resp groupsResponse
		env.mustCall(t, "DescribeConsumerGroups", map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Offset": offset, "Limit": 100}, &resp)
		for _, g := range resp.Items {
			if g.ConsumerGroupName == name {
				return g
			}
		}
		if int64(offset+100) >= resp.TotalCount {
			break
		}
	}
	t.Fatalf("group %s not listed", name)
	return groupInfo{}
}

func offsetsOf(g groupInfo) []int64 {
	out := make([]int64, len(g.StateOfPartition))
	for i, p := range g.StateOfPartition {
		out[i] = p.ConsumerGroupOffset
	}
	return out
}

const demoGroup = "consumer-grp-" + emulator.DemoSubscribeID + "-g1"

// byTimeNow are DescribeOffsetByTime's parameters for a time after every record.
var byTimeNow = map[string]any{"SubscribeId": emulator.DemoSubscribeID, "Time": "2099-01-01 00:00:00"}

// recordTime is the timestamp of the i-th record produced by produce.
var recordBase = time.Date(2024, 5, 16, 0, 0, 0, 0, time.UTC)

func recordTime(i int) time.Time { return recordBase.Add(time.Duration(i) * time.Minute) }

// produce writes n records to every partition of the demo topic; record i of partition p has value "p-i" and
// timestamp recordTime(i).
func produce(t *testing.T, env *testEnv, partitions, n int) {
	t.Helper()
	for p := range partitions {
		produceTo(t, env, int32(p), n)
	}
}

// The demo's Kafka logins: the superuser feeds and administers, the group's account consumes.
var (
	superuser = emuclient.Login{User: emulator.DemoSuperuser, Password: emulator.DemoSuperuserPassword}
	account   = emuclient.Login{User: "account-" + emulator.DemoSubscribeID + "-acct1", Password: "secret12"}
)

func loginOf(accountName, password string) emuclient.Login {
	return emuclient.Login{User: "account-" + emulator.DemoSubscribeID + "-" + accountName, Password: password}
}

// subscriber is a consumer of the demo topic in group, logged in as l; it never commits by itself.
func subscriber(t *testing.T, env *testEnv, l emuclient.Login, group, clientID string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := emuclient.Subscriber(env.emu.KafkaAddrs(), l, group, emulator.DemoTopicName, clientID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumer joins the demo group with a real kgo client logged in as the group's account; it never commits
// by itself.
func consumer(t *testing.T, env *testEnv, clientID string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := emuclient.Subscriber(env.emu.KafkaAddrs(), account, demoGroup, emulator.DemoTopicName, clientID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// firstRecords polls until it has one record from each of n partitions, and returns them by partition.
func firstRecords(t *testing.T, cl *kgo.Client, n int) map[int32]*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[int32]*kgo.Record{}
	for i := 0; i < 200 && len(out) < n; i++ {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("polled %d partitions of %d before the deadline", len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if _, ok := out[r.Partition]; !ok {
				out[r.Partition] = r
			}
		})
	}
	return out
}

// waitState polls DescribeConsumerGroups until the demo group is in state want.
func waitState(t *testing.T, env *testEnv, want string) groupInfo {
	t.Helper()
	return waitGroupState(t, env, demoGroup, want)
}

// waitGroupState polls DescribeConsumerGroups until group is in state want.
func waitGroupState(t *testing.T, env *testEnv, group, want string) groupInfo {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var g groupInfo
	for i := 0; i < 400 && time.Now().Before(deadline); i++ {
		g = env.describeGroup(t, group)
		if g.ConsumerGroupState == want {
			return g
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group state %s, want %s", g.ConsumerGroupState, want)
	return g
}

// deleteRecordsBefore moves the log start of the first partitions of the demo topic to offset.
func deleteRecordsBefore(t *testing.T, env *testEnv, partitions int, offset int64) {
	t.Helper()
	adm, done := admin(t, env)
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var offs kadm.Offsets
	for p := 0; p < partitions; p++ {
		offs.Add(kadm.Offset{Topic: emulator.DemoTopicName, Partition: int32(p), At: offset, LeaderEpoch: -1})
	}
	resps, err := adm.DeleteRecords(ctx, offs)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
}

// admin is a Kafka admin client on the emulator's cluster, logged in as the superuser; call done to close it.
func admin(t *testing.T, env *testEnv) (*kadm.Client, func()) {
	t.Helper()
	cl, err := emuclient.Client(env.emu.KafkaAddrs(), superuser)
	if err != nil {
		t.Fatal(err)
	}
	return kadm.NewClient(cl), cl.Close
}

// produceTo writes, as the superuser, n records with timestamps recordTime(0..n-1) to one partition of the
// demo topic.
func produceTo(t *testing.T, env *testEnv, partition int32, n int) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: emulator.DemoTopicName, Partition: partition, Value: fmt.Appendf(nil, "%d-%d", partition, i), Timestamp: recordTime(i)}
	}
	produceRecords(t, env, recs...)
}

// produceRecords writes recs as the superuser.
func produceRecords(t *testing.T, env *testEnv, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := emuclient.Produce(ctx, env.emu.KafkaAddrs(), superuser, recs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// commitSync commits offsets of the demo topic through cl's own group membership, as a consumer does.
func commitSync(t *testing.T, cl *kgo.Client, offsets map[int32]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	at := map[int32]kgo.EpochOffset{}
	for p, o := range offsets {
		at[p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	var commitErr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{emulator.DemoTopicName: at},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				commitErr = err
				return
			}
			for _, tp := range resp.Topics {
				for _, p := range tp.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil && commitErr == nil {
						commitErr = err
					}
				}
			}
		})
	if commitErr != nil {
		t.Fatalf("commit: %v", commitErr)
	}
}

package emulator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"dtsreset/internal/emulator"
	"dtsreset/internal/emulator/emuclient"
)

// TestKafkaLogins: the Kafka listener is DTS's, SASL_PLAINTEXT where account-<SubscribeId>-<AccountName> logs
// in with its group's password (SCRAM-SHA-512, PLAIN too) and may read its subscription's topic through its
// own groups only; nobody else gets in, and only the superuser writes.
func TestKafkaLogins(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	produce(t, env, 3, 2)
	env.mustCall(t, "CreateConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
		"ConsumerGroupName": "g2", "AccountName": "acct2", "Password": "pass2222"}, nil)
	const g2 = "consumer-grp-" + emulator.DemoSubscribeID + "-g2"
	acct2 := loginOf("acct2", "pass2222")

	consumeTests := []struct {
		name  string
		sasl  []kgo.Opt // the client's own login instead of emuclient's SCRAM-SHA-512 one; nil keeps that
		login emuclient.Login
		group string
		want  error // nil: reads every partition; else errors.Is target, or errRefused for any error
	}{
		{"account, SCRAM-SHA-512", nil, account, demoGroup, nil},
		{"account, PLAIN", []kgo.Opt{kgo.SASL(plain.Auth{User: account.User, Pass: account.Password}.AsMechanism())}, account, demoGroup, nil},
		{"account created through the API", nil, acct2, g2, nil},
		{"wrong password", nil, loginOf("acct1", "secret13"), demoGroup, errRefused},
		{"no credentials", []kgo.Opt{}, account, demoGroup, errRefused},
		{"SCRAM-SHA-256, which DTS does not use", []kgo.Opt{kgo.SASL(scram.Auth{User: account.User, Pass: account.Password}.AsSha256Mechanism())}, account, demoGroup, errRefused},
		{"another group's account", nil, acct2, demoGroup, kerr.GroupAuthorizationFailed},
		{"own account, another group", nil, account, g2, kerr.GroupAuthorizationFailed},
		{"unknown account", nil, loginOf("nobody", "secret12"), demoGroup, errRefused},
	}
	for _, tt := range consumeTests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := 20 * time.Second
			if tt.want != nil {
				// A refused client retries until its deadline; refusals run side by side, while the readers
				// of one group run one after the other, each leaving before the next joins.
				t.Parallel()
				timeout = 3 * time.Second
			}
			cl := subscriber(t, env, tt.login, tt.group, "login-test", kgo.RetryTimeout(timeout))
			if tt.sasl != nil {
				opts := append(emuclient.SubscriberOpts(tt.group, emulator.DemoTopicName, "login-test"), kgo.SeedBrokers(env.emu.KafkaAddrs()...), kgo.RetryTimeout(timeout))
				var err error
				if cl, err = kgo.NewClient(append(opts, tt.sasl...)...); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(cl.Close)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			got, err := emuclient.FirstRecords(ctx, cl, 3)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("read %d partitions: %v, want all 3", len(got), err)
			case tt.want != nil && len(got) > 0:
				t.Fatalf("read %d partitions, want none", len(got))
			case tt.want != nil && tt.want != errRefused && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			case tt.want != nil && err == nil:
				t.Fatal("got no error, want a refusal")
			}
		})
	}

	produceTests := []struct {
		name  string
		login emuclient.Login
		want  error
	}{
		{"superuser", superuser, nil},
		{"account", account, kerr.TopicAuthorizationFailed},
		{"account created through the API", acct2, kerr.TopicAuthorizationFailed},
	}
	for _, tt := range produceTests {
		t.Run("produce as "+tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// Not idempotent: kgo would first ask for a producer id, which an account may not do either (a
			// cluster permission), and the topic's own refusal is the point here.
			cl, err := emuclient.Client(env.emu.KafkaAddrs(), tt.login, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DisableIdempotentWrite())
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			err = cl.ProduceSync(ctx, &kgo.Record{Topic: emulator.DemoTopicName, Partition: 0, Value: []byte("x")}).FirstErr()
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// errRefused stands for any error: a refused login surfaces as whatever the client makes of a closed
// connection.
var errRefused = errors.New("refused")

// TestKafkaAccountsAcrossRestart: with a data directory, the users and ACLs follow the configuration and the
// group list on every start: a group created through the API keeps its account, a group deleted loses it,
// and a password changed in the configuration is the one that logs in.
func TestKafkaAccountsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	first := newTestEmulator(t, emulator.Options{DataDir: dir})
	produce(t, first, 3, 2)
	for _, g := range []map[string]any{
		{"SubscribeId": emulator.DemoSubscribeID, "ConsumerGroupName": "g2", "AccountName": "acct2", "Password": "pass2222"},
		{"SubscribeId": emulator.DemoSubscribeID, "ConsumerGroupName": "g3", "AccountName": "acct3", "Password": "pass3333"},
	} {
		first.mustCall(t, "CreateConsumerGroup", g, nil)
	}
	first.mustCall(t, "DeleteConsumerGroup", map[string]any{"SubscribeId": emulator.DemoSubscribeID,
		"ConsumerGroupName": "g3", "AccountName": "acct3"}, nil)
	if err := first.emu.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := emulator.DemoConfig()
	cfg.Subscriptions[0].ConsumerGroups[0].Password = "changed1"
	// The emulator's own admin client logs in with the new superuser password: it could not, were kfake's
	// saved users (with the old one) reloaded.
	cfg.KafkaSuperuser = &emulator.KafkaUser{User: emulator.DemoSuperuser, Password: "changed-admin"}
	second := newTestEmulatorWith(t, cfg, emulator.Options{DataDir: dir, NoRateLimit: true})
	tests := []struct {
		name  string
		login emuclient.Login
		group string
		ok    bool
	}{
		{"configured account, new password", loginOf("acct1", "changed1"), demoGroup, true},
		{"configured account, old password", loginOf("acct1", "secret12"), demoGroup, false},
		{"account created through the API", loginOf("acct2", "pass2222"), "consumer-grp-" + emulator.DemoSubscribeID + "-g2", true},
		{"account of a deleted group", loginOf("acct3", "pass3333"), "consumer-grp-" + emulator.DemoSubscribeID + "-g3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := 20 * time.Second
			if !tt.ok {
				timeout = 3 * time.Second
			}
			cl := subscriber(t, second, tt.login, tt.group, "restart-test", kgo.RetryTimeout(timeout))
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			got, err := emuclient.FirstRecords(ctx, cl, 3)
			if tt.ok && err != nil {
				t.Errorf("read %d partitions: %v, want all 3", len(got), err)
			}
			if !tt.ok && (err == nil || len(got) > 0) {
				t.Errorf("read %d partitions (error %v), want a refusal", len(got), err)
			}
		})
	}
}

// TestApiVersionsAdvertisesSaslHandshakeV0 guards the librdkafka interop bug: kfake implements SaslHandshake v1
// only and says so, and librdkafka (kcat) then never starts SASL. The emulator advertises 0-1 (librdkafka
// sends v1) and leaves every other key as kfake has it.
func TestApiVersionsAdvertisesSaslHandshakeV0(t *testing.T) {
	env := newTestEmulator(t, emulator.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := emuclient.Client(env.emu.KafkaAddrs(), superuser)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, version := range []int16{0, 3} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = version
		req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1.0"
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		keys := map[int16]kmsg.ApiVersionsResponseApiKey{}
		for _, k := range resp.ApiKeys {
			keys[k.ApiKey] = k
		}
		if k := keys[int16(kmsg.SASLHandshake)]; k.MinVersion != 0 || k.MaxVersion != 1 {
			t.Errorf("v%d: SaslHandshake %d-%d, want 0-1", version, k.MinVersion, k.MaxVersion)
		}
		if k := keys[int16(kmsg.SASLAuthenticate)]; k.MaxVersion < 1 || len(keys) < 40 {
			t.Errorf("v%d: SaslAuthenticate up to %d among %d keys, want kfake's own list", version, k.MaxVersion, len(keys))
		}
	}
}

// TestKafkaACLsReconciledOnStart: an ACL the configuration does not call for does not survive a restart on
// the same data directory: one granted by hand (here a write for an account) and those of a subscription
// since removed from the configuration.
func TestKafkaACLsReconciledOnStart(t *testing.T) {
	dir := t.TempDir()
	cfg := emulator.DemoConfig()
	cfg.Subscriptions = append(cfg.Subscriptions, emulator.Subscription{SubscribeID: "subs-other", TopicName: "topic-other", Partitions: 1,
		ConsumerGroups: []emulator.ConsumerGroup{{ConsumerGroupName: "o1", AccountName: "oacct", Password: "opass123"}}})
	first := newTestEmulatorWith(t, cfg, emulator.Options{DataDir: dir, NoRateLimit: true})
	adm, done := admin(t, first)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	created, err := adm.CreateACLs(ctx, kadm.NewACLs().Topics(emulator.DemoTopicName).Allow("User:"+account.User).Operations(kadm.OpWrite))
	if err == nil {
		for _, c := range created {
			err = errors.Join(err, c.Err)
		}
	}
	done()
	if err != nil {
		t.Fatalf("granting a write by hand: %v", err)
	}
	write := func(env *testEnv) error {
		cl, err := emuclient.Client(env.emu.KafkaAddrs(), account, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DisableIdempotentWrite())
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		return cl.ProduceSync(ctx, &kgo.Record{Topic: emulator.DemoTopicName, Partition: 0, Value: []byte("x")}).FirstErr()
	}
	if err := write(first); err != nil {
		t.Fatalf("the hand-made grant does not work to begin with: %v", err)
	}
	if err := first.emu.Close(); err != nil {
		t.Fatal(err)
	}

	second := newTestEmulatorWith(t, emulator.DemoConfig(), emulator.Options{DataDir: dir, NoRateLimit: true})
	if err := write(second); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("write after the restart: got %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	cl, err := emuclient.Client(second.emu.KafkaAddrs(), superuser)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	described, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(described.ErrorCode)
	}
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, r := range described.Resources {
		for _, a := range r.ACLs {
			if a.Principal == "User:account-subs-other-oacct" || a.Operation != kmsg.ACLOperationRead {
				t.Errorf("ACL %s on %s %+v survived the restart, want only the configured Read grants", a.Principal, r.ResourceName, a)
			}
			if a.Principal == "User:"+account.User {
				kept++
			}
		}
	}
	if kept != 2 {
		t.Errorf("%d ACLs of %s after the restart, want 2 (Read on its topic and on g1)", kept, account.User)
	}
}

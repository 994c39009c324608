package emulator

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Kafka listener is DTS's: SASL_PLAINTEXT, where each DTS account account-<SubscribeId>-<AccountName> is a
// Kafka user with its group's password, allowed to read its subscription's topic and to use its own groups,
// nothing else (no produce: on DTS only the subscription writes). The superuser bypasses the ACLs.

const (
	mechSCRAM512 = "SCRAM-SHA-512"
	mechPlain    = "PLAIN"
)

// accountUser is the Kafka user of a DTS account.
func accountUser(subscribeID, account string) string { return accountPrefix(subscribeID) + account }

// configuredAccounts maps the Kafka user of every configured account to its password (Validate made it one
// per account).
func configuredAccounts(cfg Config) map[string]string {
	out := map[string]string{}
	for _, u := range cfg.Accounts() {
		out[u.User] = u.Password
	}
	return out
}

// grant is one ACL the emulator manages: principal may Read the topic or group name.
type grant struct {
	principal string
	resource  kmsg.ACLResourceType
	name      string
}

// wantedGrants are the ACLs the group list calls for: per account, its subscription's topic and its groups.
func (e *Emulator) wantedGrants() map[grant]bool {
	out := map[grant]bool{}
	for _, s := range e.cfg.Subscriptions {
		for _, g := range e.store.list(s.SubscribeID) {
			principal := "User:" + accountUser(s.SubscribeID, g.Account)
			out[grant{principal, kmsg.ACLResourceTypeTopic, s.TopicName}] = true
			out[grant{principal, kmsg.ACLResourceTypeGroup, groupPrefix(s.SubscribeID) + g.Name}] = true
		}
	}
	return out
}

// reconcileAccounts makes Kafka's users and ACLs those of the group list: a SCRAM-SHA-512 user for every
// account (the configured ones exist from the start; groups created through the API in an earlier run need
// theirs again), the wanted ACLs created, any other ACL deleted (a group deleted or a subscription
// reconfigured since the data directory was written).
func (e *Emulator) reconcileAccounts(ctx context.Context) error {
	configured := configuredAccounts(e.cfg)
	var upserts []kadm.UpsertSCRAM
	for _, s := range e.cfg.Subscriptions {
		for _, g := range e.store.list(s.SubscribeID) {
			user := accountUser(s.SubscribeID, g.Account)
			if _, ok := configured[user]; ok || slices.ContainsFunc(upserts, func(u kadm.UpsertSCRAM) bool { return u.User == user }) {
				continue
			}
			upserts = append(upserts, kadm.UpsertSCRAM{User: user, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: g.Password})
		}
	}
	if err := e.alterSCRAMs(ctx, nil, upserts); err != nil {
		return err
	}
	have, foreign, err := e.describeGrants(ctx)
	if err != nil {
		return err
	}
	if err := e.deleteFilters(ctx, foreign...); err != nil {
		return err
	}
	want := e.wantedGrants()
	var stale, missing []grant
	for g := range have {
		if !want[g] {
			stale = append(stale, g)
		}
	}
	for g := range want {
		if !have[g] {
			missing = append(missing, g)
		}
	}
	if err := e.deleteGrants(ctx, stale...); err != nil {
		return err
	}
	return e.createGrants(ctx, missing...)
}

func (e *Emulator) alterSCRAMs(ctx context.Context, del []kadm.DeleteSCRAM, upsert []kadm.UpsertSCRAM) error {
	if len(del) == 0 && len(upsert) == 0 {
		return nil
	}
	res, err := e.adm.AlterUserSCRAMs(ctx, del, upsert)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("emulator: kafka users: %w", err)
	}
	return nil
}

// describeGrants lists the ACLs in Kafka: those of the shape the emulator creates as grants, and every other
// one (another operation, a deny, a pattern, a host) as a filter matching exactly that entry.
func (e *Emulator) describeGrants(ctx context.Context) (map[grant]bool, []kmsg.DeleteACLsRequestFilter, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, e.kcl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: describing ACLs: %w", err)
	}
	ours := map[grant]bool{}
	var foreign []kmsg.DeleteACLsRequestFilter
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			if r.ResourcePatternType == kmsg.ACLResourcePatternTypeLiteral && a.Host == "*" &&
				a.Operation == kmsg.ACLOperationRead && a.PermissionType == kmsg.ACLPermissionTypeAllow {
				ours[grant{a.Principal, r.ResourceType, r.ResourceName}] = true
				continue
			}
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourceName, f.ResourcePatternType = r.ResourceType, kmsg.StringPtr(r.ResourceName), r.ResourcePatternType
			f.Principal, f.Host = kmsg.StringPtr(a.Principal), kmsg.StringPtr(a.Host)
			f.Operation, f.PermissionType = a.Operation, a.PermissionType
			foreign = append(foreign, f)
		}
	}
	return ours, foreign, nil
}

func (e *Emulator) deleteGrants(ctx context.Context, gs ...grant) error {
	filters := make([]kmsg.DeleteACLsRequestFilter, 0, len(gs))
	for _, g := range gs {
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName = g.resource, kmsg.StringPtr(g.name)
		f.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		f.Principal, f.Host = kmsg.StringPtr(g.principal), kmsg.StringPtr("*")
		f.Operation, f.PermissionType = kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
		filters = append(filters, f)
	}
	return e.deleteFilters(ctx, filters...)
}

func (e *Emulator) deleteFilters(ctx context.Context, filters ...kmsg.DeleteACLsRequestFilter) error {
	if len(filters) == 0 {
		return nil
	}
	req := kmsg.NewPtrDeleteACLsRequest()
	req.Filters = filters
	resp, err := req.RequestWith(ctx, e.kcl)
	if err != nil {
		return fmt.Errorf("emulator: deleting ACLs: %w", err)
	}
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return fmt.Errorf("emulator: deleting ACLs: %w", err)
		}
	}
	return nil
}

func (e *Emulator) createGrants(ctx context.Context, gs ...grant) error {
	if len(gs) == 0 {
		return nil
	}
	req := kmsg.NewPtrCreateACLsRequest()
	for _, g := range gs {
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName = g.resource, g.name
		c.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		c.Principal, c.Host = g.principal, "*"
		c.Operation, c.PermissionType = kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, c)
	}
	resp, err := req.RequestWith(ctx, e.kcl)
	if err != nil {
		return fmt.Errorf("emulator: creating ACLs: %w", err)
	}
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return fmt.Errorf("emulator: creating ACLs: %w", err)
		}
	}
	return nil
}

// grantGroup gives a group created through the API its account: the SCRAM-SHA-512 user (a new account, or
// one whose password the caller already proved equal) and the ACLs on the topic and the group.
func (e *Emulator) grantGroup(ctx context.Context, sub *Subscription, g dtsGroup) error {
	user := accountUser(sub.SubscribeID, g.Account)
	err := e.alterSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: g.Password}})
	if err != nil {
		return err
	}
	return e.createGrants(ctx,
		grant{"User:" + user, kmsg.ACLResourceTypeTopic, sub.TopicName},
		grant{"User:" + user, kmsg.ACLResourceTypeGroup, groupPrefix(sub.SubscribeID) + g.Name})
}

// revokeGroup takes a deleted group's ACL away from its account, and the account itself (its topic ACL and
// SCRAM user) when no other group of the subscription uses it. A PLAIN user from the configuration stays
// (kfake removes none), but without ACLs it can read nothing.
func (e *Emulator) revokeGroup(ctx context.Context, sub *Subscription, g dtsGroup) error {
	principal := "User:" + accountUser(sub.SubscribeID, g.Account)
	if err := e.deleteGrants(ctx, grant{principal, kmsg.ACLResourceTypeGroup, groupPrefix(sub.SubscribeID) + g.Name}); err != nil {
		return err
	}
	for _, other := range e.store.list(sub.SubscribeID) {
		if other.Account == g.Account {
			return nil
		}
	}
	if err := e.deleteGrants(ctx, grant{principal, kmsg.ACLResourceTypeTopic, sub.TopicName}); err != nil {
		return err
	}
	return e.alterSCRAMs(ctx, []kadm.DeleteSCRAM{{User: accountUser(sub.SubscribeID, g.Account), Mechanism: kadm.ScramSha512}}, nil)
}

// softwareName is what a broker accepts as ApiVersions v3+ ClientSoftwareName and ClientSoftwareVersion.
var softwareName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

// controlApiVersions answers ApiVersions with kfake's own answer, except that SaslHandshake is advertised
// from v0. kfake implements only v1, and librdkafka (kcat) enables its SASL handshake only when v0 is
// advertised too (confluentinc/librdkafka PR #4983); told 0-1, it sends v1 and logs in. Requests kfake must
// refuse (a version above its own, an invalid client name, v5's cluster check) are left to kfake.
func (e *Emulator) controlApiVersions(ctx context.Context) error {
	own, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, e.kcl)
	if err == nil {
		err = kerr.ErrorForCode(own.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("emulator: kafka ApiVersions: %w", err)
	}
	keys := slices.Clone(own.ApiKeys)
	var maxVersion int16 = -1
	for i := range keys {
		switch keys[i].ApiKey {
		case int16(kmsg.SASLHandshake):
			keys[i].MinVersion = 0
		case int16(kmsg.ApiVersions):
			maxVersion = keys[i].MaxVersion
		}
	}
	e.cluster.ControlKey(int16(kmsg.ApiVersions), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		e.cluster.KeepControl()
		req := kreq.(*kmsg.ApiVersionsRequest)
		if req.Version > maxVersion ||
			req.Version >= 3 && (!softwareName.MatchString(req.ClientSoftwareName) || !softwareName.MatchString(req.ClientSoftwareVersion)) ||
			req.Version >= 5 && (req.ClusterID != nil || req.NodeID != -1) {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		resp.ApiKeys = slices.Clone(keys)
		resp.SupportedFeatures = own.SupportedFeatures
		resp.FinalizedFeaturesEpoch = own.FinalizedFeaturesEpoch
		resp.FinalizedFeatures = own.FinalizedFeatures
		return resp, nil, true
	})
	return nil
}

package emulator

import (
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// createConsumerGroup adds a DTS group and gives its account a SCRAM-SHA-512 user and its ACLs. The Kafka
// group itself appears only when it is first joined or committed to: until then it is Dead.
func (e *Emulator) createConsumerGroup(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	now := e.opts.Now()
	g := dtsGroup{
		SubscribeID: sub.SubscribeID, Name: r.p.str("ConsumerGroupName"), Account: r.p.str("AccountName"),
		Password: r.p.str("Password"), Description: r.p.str("Description"), CreatedAt: now, UpdatedAt: now,
	}
	cg := ConsumerGroup{ConsumerGroupName: g.Name, AccountName: g.Account, Password: g.Password, Description: g.Description}
	if err := validateGroup(sub.SubscribeID, cg); err != nil {
		var pe *paramError
		if errors.As(err, &pe) {
			return nil, errorf("InvalidParameterValue", "the parameter %s: %s", pe.field, pe.msg)
		}
		return nil, err
	}
	if err := e.store.add(g); err != nil {
		return nil, internal(err)
	}
	if err := e.grantGroup(r.ctx, sub, g); err != nil {
		// A group whose account cannot log in is not created; its name stays free.
		if rerr := e.store.remove(sub.SubscribeID, g.Name); rerr != nil {
			return nil, internal(errors.Join(err, rerr))
		}
		return nil, internal(err)
	}
	return struct{}{}, nil
}

// deleteConsumerGroup removes a DTS group, its Kafka group and its account's access to it; a group with
// members cannot be deleted. BackendJobId is accepted and means nothing here.
func (e *Emulator) deleteConsumerGroup(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	g, err := e.group(sub, r.p.str("ConsumerGroupName"))
	if err != nil {
		return nil, err
	}
	if acct := strings.TrimPrefix(r.p.str("AccountName"), accountPrefix(sub.SubscribeID)); acct != g.Account {
		return nil, errorf("InvalidParameterValue", "the account %s is not the account of consumer group %s", r.p.str("AccountName"), g.Name)
	}
	full := groupPrefix(sub.SubscribeID) + g.Name
	if _, err := e.adm.DeleteGroup(r.ctx, full); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		if errors.Is(err, kerr.NonEmptyGroup) {
			return nil, errorf("FailedOperation", "the consumer group %s has active consumers", full)
		}
		return nil, internal(err)
	}
	if err := e.store.remove(sub.SubscribeID, g.Name); err != nil {
		return nil, internal(err)
	}
	if err := e.revokeGroup(r.ctx, sub, g); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}

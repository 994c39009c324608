package reset

import (
	"context"
	"strconv"
	"strings"

	"dtsreset/validate"
)

// maxListedGroups bounds the group names a not-found message lists.
const maxListedGroups = 10

// precheckGroup finds the group and refuses one the API would not reset: missing (KindNotFound) or with
// live members (KindConflict; the API would answer success and change nothing).
func (s *Service) precheckGroup(ctx context.Context, req validate.Request) (*Group, error) {
	g, seen, err := s.findGroup(ctx, req)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, groupNotFound(req, seen)
	}
	if active(g.State) {
		return nil, groupActive(req, g, seen.requestID)
	}
	return g, nil
}

// groupsSeen summarises the groups a search went past, for the not-found message.
type groupsSeen struct {
	names []string // the first maxListedGroups
	total int
	// requestID is the RequestId of the last page read: the one that showed the group, or the last one
	// searched when the group is not there. An error about the group replies with it.
	requestID string
}

// findGroup pages through DescribeConsumerGroups until it finds the group (nil when it is not there). The
// group may be on any page; the paging stops at the first empty page, at TotalCount, or after maxGroupPages.
func (s *Service) findGroup(ctx context.Context, req validate.Request) (*Group, groupsSeen, error) {
	var seen groupsSeen
	offset := 0
	for range maxGroupPages {
		page, err := s.dts.DescribeConsumerGroups(ctx, req.Region, req.SubscribeID, offset, groupPageSize)
		if err != nil {
			return nil, seen, portError("DescribeConsumerGroups", err)
		}
		seen.requestID = page.RequestID
		for i := range page.Groups {
			name := page.Groups[i].Name
			// The full name only: the API reports full names, and a short-name fallback once matched
			// consumer-grp-<sid>-consumer-grp-<sid>-g2 to another group, ...-g2.
			if name == req.ConsumerGroupName {
				g := page.Groups[i]
				return &g, seen, nil
			}
			if len(seen.names) < maxListedGroups {
				seen.names = append(seen.names, name)
			}
			seen.total++
		}
		offset += len(page.Groups)
		if len(page.Groups) == 0 || offset >= page.TotalCount {
			return nil, seen, nil
		}
	}
	e := Errorf(KindUpstream, CodeUpstreamFailure,
		"DescribeConsumerGroups of subscription %s kept returning pages (%d groups over %d pages) without "+
			"finding %s; gave up", req.SubscribeID, seen.total, maxGroupPages, req.ConsumerGroupName)
	e.RequestID = seen.requestID
	return nil, seen, e
}

// active reports whether the API would ignore a reset of a group in state: only Dead and Empty groups are
// reset. An unknown (empty) state counts as active: refusing is the safe side.
func active(state string) bool {
	return !strings.EqualFold(state, "Dead") && !strings.EqualFold(state, "Empty")
}

// checkTopic refuses a TopicName that is not the subscription's topic: the API keys the reset by the group,
// and a wrong topic is a sign the caller means another subscription.
func (s *Service) checkTopic(ctx context.Context, req validate.Request) error {
	sub, err := s.dts.DescribeSubscribeDetail(ctx, req.Region, req.SubscribeID)
	if err != nil {
		return portError("DescribeSubscribeDetail", err)
	}
	if sub.Topic == "" || sub.Topic == req.TopicName {
		return nil // nothing to compare against, or a match
	}
	e := Errorf(KindInvalid, CodeInvalidParameter, "TopicName %s is not the topic of subscription %s (%s)",
		quote(req.TopicName), req.SubscribeID, quote(sub.Topic))
	e.RequestID = sub.RequestID
	e.Fields = []validate.FieldError{{Field: "TopicName", Rule: "topic",
		Message: "subscription " + req.SubscribeID + " publishes to topic " + quote(sub.Topic) +
			", not " + quote(req.TopicName)}}
	return e
}

func groupNotFound(req validate.Request, seen groupsSeen) *Error {
	var b strings.Builder
	b.WriteString("consumer group " + req.ConsumerGroupName + " does not exist in subscription " +
		req.SubscribeID)
	if seen.total == 0 {
		b.WriteString("; the subscription has no consumer groups (create one with CreateConsumerGroup)")
	} else {
		b.WriteString("; its groups are: " + strings.Join(seen.names, ", "))
		if more := seen.total - len(seen.names); more > 0 {
			b.WriteString(" and " + strconv.Itoa(more) + " more")
		}
	}
	return &Error{Kind: KindNotFound, Code: CodeGroupNotFound, Message: b.String(), RequestID: seen.requestID}
}

// groupActive is the refusal of g, active in the DescribeConsumerGroups answer of RequestId requestID.
func groupActive(req validate.Request, g *Group, requestID string) *Error {
	var b strings.Builder
	b.WriteString("consumer group " + req.ConsumerGroupName + " is " + stateName(g.State))
	writeMembers(&b, g)
	b.WriteString(". The DTS API only resets a Dead or Empty group: it would silently ignore this reset " +
		"and still answer success. Stop the consumers so that they leave the group (closing a kgo or Kafka " +
		"client leaves it), wait until the group is Empty, then retry.")
	return &Error{Kind: KindConflict, Code: CodeGroupActive, Message: b.String(), RequestID: requestID,
		Details: GroupDetails{GroupState: g.State, Members: members(g)}}
}

// writeMembers appends " with N member(s): id (partitions ...); ..." to b.
func writeMembers(b *strings.Builder, g *Group) {
	if len(g.Assignment) == 0 {
		b.WriteString(" (no members reported)")
		return
	}
	b.WriteString(" with " + strconv.Itoa(len(g.Assignment)) + " member(s): ")
	for i, a := range g.Assignment {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.ClientID + " (partitions " + formatInts(a.PartitionNos) + ")")
	}
}

func members(g *Group) []Member {
	ms := make([]Member, len(g.Assignment))
	for i, a := range g.Assignment {
		nos := a.PartitionNos
		if nos == nil {
			nos = []int{} // a JSON array, never null
		}
		ms[i] = Member{ClientID: a.ClientID, PartitionNos: nos}
	}
	return ms
}

func stateName(state string) string {
	if state == "" {
		return "in an unknown state"
	}
	return state
}

func quote(s string) string { return strconv.Quote(s) }

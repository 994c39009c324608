package reset

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"dtsreset/validate"
)

const (
	testSub   = "subs-abc123"
	testTopic = "topic-subs-abc123-cdb-1"
	testGroup = "consumer-grp-subs-abc123-g1"
	testAt    = "2023-05-16 00:00:00"
)

// fakeDTS is the DTS port as function fields; a nil field is an unexpected call. It records every call and
// counts phases: a call that starts while no other is in flight starts a new sequential round trip.
type fakeDTS struct {
	t       testing.TB
	groups  func(ctx context.Context, offset, limit int) (GroupPage, error)
	offsets func(ctx context.Context, at string) (Offsets, error)
	detail  func(ctx context.Context) (Subscription, error)
	reset   func(ctx context.Context, call ResetCall) (string, error)
	// meet, when set, holds each of the first n calls until n have started.
	meet *barrier

	mu       sync.Mutex
	calls    []string
	ats      []string
	pages    []int // offsets asked of DescribeConsumerGroups
	resets   []ResetCall
	inflight int
	phases   int
}

var errUnexpected = errors.New("unexpected call")

func (f *fakeDTS) enter(action string) func() {
	f.mu.Lock()
	f.calls = append(f.calls, action)
	if f.inflight == 0 {
		f.phases++
	}
	f.inflight++
	f.mu.Unlock()
	if f.meet != nil && !f.meet.wait() {
		f.t.Errorf("%s: the concurrent calls never all started", action)
	}
	return func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}
}

// ConsumerGroupPage asks groups for the whole page and keeps the group named name, as the port does.
func (f *fakeDTS) ConsumerGroupPage(ctx context.Context, region, sub, name string, offset, limit int) (GroupPage, error) {
	page, err := f.DescribeConsumerGroups(ctx, region, sub, offset, limit)
	return onlyGroup(page, name), err
}

// onlyGroup is page as ConsumerGroupPage answers it: every name in Names, only the group named name in Groups.
func onlyGroup(page GroupPage, name string) GroupPage {
	page.Names = make([]string, len(page.Groups))
	var kept []Group
	for i, g := range page.Groups {
		page.Names[i] = g.Name
		if g.Name == name {
			kept = append(kept, g)
		}
	}
	page.Groups = kept
	return page
}

func (f *fakeDTS) DescribeConsumerGroups(ctx context.Context, region, sub string, offset, limit int) (GroupPage, error) {
	defer f.enter("DescribeConsumerGroups")()
	f.mu.Lock()
	f.pages = append(f.pages, offset)
	f.mu.Unlock()
	if sub != testSub || limit <= 0 {
		f.t.Errorf("DescribeConsumerGroups(%q, limit %d): want %q, limit > 0", sub, limit, testSub)
	}
	if f.groups == nil {
		f.t.Errorf("unexpected DescribeConsumerGroups")
		return GroupPage{}, errUnexpected
	}
	return f.groups(ctx, offset, limit)
}

func (f *fakeDTS) DescribeOffsetByTime(ctx context.Context, region, sub, at string) (Offsets, error) {
	defer f.enter("DescribeOffsetByTime")()
	f.mu.Lock()
	f.ats = append(f.ats, at)
	f.mu.Unlock()
	if f.offsets == nil {
		f.t.Errorf("unexpected DescribeOffsetByTime")
		return Offsets{}, errUnexpected
	}
	return f.offsets(ctx, at)
}

func (f *fakeDTS) DescribeSubscribeDetail(ctx context.Context, region, sub string) (Subscription, error) {
	defer f.enter("DescribeSubscribeDetail")()
	if f.detail == nil {
		f.t.Errorf("unexpected DescribeSubscribeDetail")
		return Subscription{}, errUnexpected
	}
	return f.detail(ctx)
}

func (f *fakeDTS) ResetConsumerGroupOffset(ctx context.Context, region string, call ResetCall) (string, error) {
	defer f.enter("ResetConsumerGroupOffset")()
	f.mu.Lock()
	f.resets = append(f.resets, call)
	f.mu.Unlock()
	if f.reset == nil {
		f.t.Errorf("unexpected ResetConsumerGroupOffset")
		return "", errUnexpected
	}
	return f.reset(ctx, call)
}

// count is how many calls of action were made.
func (f *fakeDTS) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == action {
			n++
		}
	}
	return n
}

// callsAfterReset are the calls made after the first ResetConsumerGroupOffset.
func (f *fakeDTS) callsAfterReset() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.Index(f.calls, "ResetConsumerGroupOffset")
	if i < 0 {
		return nil
	}
	return slices.Clone(f.calls[i+1:])
}

func (f *fakeDTS) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// barrier releases its first n arrivals once all n have arrived; a bounded wait keeps a broken test from
// hanging.
type barrier struct {
	n     int
	mu    sync.Mutex
	count int
	done  chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, done: make(chan struct{})} }

func (b *barrier) wait() bool {
	b.mu.Lock()
	b.count++
	if b.count > b.n {
		b.mu.Unlock()
		return true
	}
	if b.count == b.n {
		close(b.done)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return true
	case <-time.After(2 * time.Second):
		return false
	}
}

// sim is a small DTS: a subscription with four partitions and its groups, answering as the real API does —
// including ignoring, with success, a reset of a group that is not Dead or Empty. Each answer carries a
// RequestId naming its call: rid-groups-<offset> for a page of groups, rid-offsets, rid-detail, rid-<n> for the
// n-th reset.
type sim struct {
	mu         sync.Mutex
	topic      string
	groups     []Group
	earliest   []int64 // per partition
	latest     []int64
	datetimes  map[string][]int64
	pageSize   int  // the API's own cap on a page
	reverse    bool // list partitions in descending order
	applyAfter int  // polls that still show the old offsets after a reset
	ignore     bool // ignore every reset
	// beforeReset runs, with mu held, when a reset arrives: a consumer joining, the log growing.
	beforeReset func(*sim)

	pending func()
	wait    int
	rids    int
}

func newSim() *sim {
	return &sim{
		topic:     testTopic,
		pageSize:  10,
		earliest:  []int64{100, 110, 120, 130},
		latest:    []int64{1000, 1010, 1020, 1030},
		datetimes: map[string][]int64{testAt: {500, 510, 520, 530}},
		groups: []Group{{Name: testGroup, State: "Empty",
			Partitions: []PartitionState{{0, 700, 300}, {1, 710, 300}, {2, 720, 300}, {3, 730, 300}}}},
	}
}

// newFake returns a fakeDTS answering from s.
func (s *sim) newFake(t testing.TB) *fakeDTS {
	return &fakeDTS{t: t, groups: s.describeGroups, offsets: s.offsetsAt, detail: s.subscription, reset: s.resetOffsets}
}

func (s *sim) group(name string) *Group {
	for i := range s.groups {
		if s.groups[i].Name == name {
			return &s.groups[i]
		}
	}
	return nil
}

// addGroups adds n other Empty groups before the test group, so that it lands on a later page.
func (s *sim) addGroups(n int) {
	others := make([]Group, n)
	for i := range others {
		others[i] = Group{Name: "consumer-grp-" + testSub + "-other" + strconv.Itoa(i), State: "Empty"}
	}
	s.groups = append(others, s.groups...)
}

func (s *sim) describeGroups(ctx context.Context, offset, limit int) (GroupPage, error) {
	if err := ctx.Err(); err != nil {
		return GroupPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		if s.wait == 0 {
			s.pending()
			s.pending = nil
		} else {
			s.wait--
		}
	}
	page := GroupPage{RequestID: "rid-groups-" + strconv.Itoa(offset), TotalCount: len(s.groups)}
	end := min(offset+min(limit, s.pageSize), len(s.groups))
	for i := offset; i < end; i++ {
		g := s.groups[i] // copies: the caller reads them after we let go of mu
		g.Partitions = slices.Clone(g.Partitions)
		g.Assignment = slices.Clone(g.Assignment)
		page.Groups = append(page.Groups, g)
	}
	return page, nil
}

func (s *sim) offsetsAt(ctx context.Context, at string) (Offsets, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at == "" {
		return Offsets{}, Errorf(KindUpstream, "MissingParameter", "DescribeOffsetByTime: the parameter Time is required")
	}
	offs := s.latest // "now", or any time after the last message
	if at == EarliestTime {
		offs = s.earliest
	} else if d, ok := s.datetimes[at]; ok {
		offs = d
	}
	out := make([]PartitionOffset, len(offs))
	for p, o := range offs {
		out[p] = PartitionOffset{PartitionNo: p, Offset: o}
	}
	if s.reverse {
		slices.Reverse(out)
	}
	return Offsets{RequestID: "rid-offsets", Partitions: out}, nil
}

func (s *sim) subscription(ctx context.Context) (Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Subscription{RequestID: "rid-detail", SubscribeID: testSub, Topic: s.topic, Region: "ap-guangzhou"}, nil
}

func (s *sim) resetOffsets(ctx context.Context, call ResetCall) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.beforeReset != nil {
		s.beforeReset(s)
	}
	s.rids++
	rid := "rid-" + strconv.Itoa(s.rids)
	g := s.group(call.ConsumerGroupName)
	if g == nil {
		return "", &Error{Kind: KindNotFound, Code: "ResourceNotFound", Message: "no such group", RequestID: rid}
	}
	if s.ignore || active(g.State) {
		return rid, nil // what the real API does
	}
	var targets []int64
	switch call.ResetMode {
	case ModeEarliest:
		targets = s.earliest
	case ModeLatest:
		targets = s.latest
	default:
		targets = s.datetimes[call.ResetDatetime]
	}
	apply := func() {
		for _, no := range call.PartitionNos {
			i := slices.IndexFunc(g.Partitions, func(p PartitionState) bool { return p.PartitionNo == no })
			if i < 0 {
				g.Partitions = append(g.Partitions, PartitionState{PartitionNo: no})
				i = len(g.Partitions) - 1
			}
			g.Partitions[i].Offset = targets[no]
		}
	}
	if s.applyAfter == 0 {
		apply()
	} else {
		s.pending, s.wait = apply, s.applyAfter
	}
	return rid, nil
}

func request(mode string, partitions ...int) validate.Request {
	r := validate.Request{SubscribeID: testSub, TopicName: testTopic, ConsumerGroupName: testGroup,
		PartitionNos: partitions, ResetMode: mode}
	if mode == ModeDatetime {
		r.ResetDatetime = testAt
	}
	return r
}

var fixedNow = time.Date(2024, 5, 16, 1, 2, 3, 0, time.UTC) // 09:02:03 in Beijing

func allOn() Options {
	return Options{Precheck: true, Verify: true, VerifyTimeout: 300 * time.Millisecond,
		Now: func() time.Time { return fixedNow }}
}

// wantError asserts err is an *Error of kind and code, and returns it.
func wantError(t *testing.T, err error, kind Kind, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Error %s", err, err, code)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("got %s/%s (%s), want %s/%s", e.Kind, e.Code, e.Message, kind, code)
	}
	return e
}

func ptr(v int64) *int64 { return &v }

func deref(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

package dts

import (
	"context"
	"errors"
	"sync"
	"time"

	"dtsreset/internal/reset"
)

// limiterSlack lengthens the client's one-second window: requests sent a full second apart can arrive closer.
const limiterSlack = 50 * time.Millisecond

// errPastDeadline is a limiter wait that would end after ctx's deadline.
var errPastDeadline = errors.New("the rate limit's wait would pass the deadline")

// windowLimiter admits at most n calls in any window of length w, the way the API counts requests: per action,
// over a sliding second. A token bucket does not fit that rule: one deep enough to send a reset's precheck and
// verify without a wait refills while its burst is spent and sends burst + rate in a second, more than the API
// admits; one shallow enough to stay under the limit makes the verify of every reset wait for a token.
//
// Calls reserve their slot in arrival order (the time they may go), so waiters are served first come, first
// served, and none can be overtaken for ever.
type windowLimiter struct {
	n int
	w time.Duration

	mu    sync.Mutex
	slots []time.Time // the last n admissions (or reservations), oldest at next once full
	next  int
}

func newWindowLimiter(n int, w time.Duration) *windowLimiter {
	return &windowLimiter{n: max(1, n), w: w}
}

// Wait returns when the call may go, or at once with errPastDeadline when that would be after ctx's deadline
// (nothing is reserved then), or with ctx's error when ctx ends first (the slot stays used: the count errs on
// the safe side).
func (l *windowLimiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	at, ok := l.reserve(ctx, now)
	if !ok {
		return errPastDeadline
	}
	if at.After(now) && reset.Sleep(ctx, at.Sub(now)) != nil {
		return ctx.Err()
	}
	return nil
}

// reserve takes the earliest slot at or after now: now while fewer than n calls went in the last w, else w
// after the n-th last one. Reserved times only grow, so the ring stays in order.
func (l *windowLimiter) reserve(ctx context.Context, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if len(l.slots) == l.n {
		if free := l.slots[l.next].Add(l.w); free.After(at) {
			at = free
		}
	}
	if deadline, ok := ctx.Deadline(); ok && at.After(deadline) {
		return time.Time{}, false
	}
	if len(l.slots) < l.n {
		l.slots = append(l.slots, at)
		return at, true
	}
	l.slots[l.next] = at
	l.next = (l.next + 1) % l.n
	return at, true
}

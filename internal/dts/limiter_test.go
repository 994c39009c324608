package dts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The limiter's tests run in synctest bubbles: time is fake, so the schedules are exact and instant.

func TestWindowLimiterSchedule(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		w     time.Duration
		calls int
		gaps  []time.Duration // the caller's own pause before call i (cycled); nil: back to back
		want  []time.Duration // when each call goes, from the start
	}{
		{"burst then a window later", 3, time.Second, 7, nil,
			[]time.Duration{0, 0, 0, time.Second, time.Second, time.Second, 2 * time.Second}},
		{"spaced callers never wait", 3, time.Second, 5, []time.Duration{400 * time.Millisecond},
			[]time.Duration{400 * time.Millisecond, 800 * time.Millisecond, 1200 * time.Millisecond, 1600 * time.Millisecond, 2000 * time.Millisecond}},
		{"a window counts from each call, not from a tick", 2, time.Second, 4, []time.Duration{0, 700 * time.Millisecond},
			[]time.Duration{0, 700 * time.Millisecond, time.Second, 1700 * time.Millisecond}},
		{"n below 1 is 1", 0, 100 * time.Millisecond, 3, nil,
			[]time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newWindowLimiter(tt.n, tt.w)
				start := time.Now()
				var got []time.Duration
				for i := range tt.calls {
					if tt.gaps != nil {
						time.Sleep(tt.gaps[i%len(tt.gaps)])
					}
					if err := l.Wait(context.Background()); err != nil {
						t.Fatal(err)
					}
					got = append(got, time.Since(start))
				}
				for i := range tt.want {
					if got[i] != tt.want[i] {
						t.Fatalf("calls went at %v, want %v", got, tt.want)
					}
				}
			})
		})
	}
}

// TestWindowLimiterConcurrent: 30 callers at once against 5 per second go in waves of 5, one a second apart,
// and no window of a second ever holds more than 5.
func TestWindowLimiterConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newWindowLimiter(5, time.Second)
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				at = append(at, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		count := map[time.Duration]int{}
		for _, a := range at {
			count[a]++
		}
		for wave := range 6 {
			if n := count[time.Duration(wave)*time.Second]; n != 5 {
				t.Errorf("wave %d: %d calls at %ds, want 5 (all: %v)", wave, n, wave, at)
			}
		}
	})
}

func TestWindowLimiterDeadlineAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newWindowLimiter(1, time.Second)
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The next slot is 1s away: a caller with 500ms left is refused at once and reserves nothing.
		short, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		before := time.Now()
		if err := l.Wait(short); !errors.Is(err, errPastDeadline) || time.Since(before) != 0 {
			t.Errorf("got %v after %v, want errPastDeadline at once", err, time.Since(before))
		}
		// A caller whose ctx ends while it waits gets ctx's error when it ends; its slot stays used.
		ctx, cancelWait := context.WithCancel(context.Background())
		go func() { time.Sleep(300 * time.Millisecond); cancelWait() }()
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) || time.Since(before) != 300*time.Millisecond {
			t.Errorf("got %v after %v, want context.Canceled after 300ms", err, time.Since(before))
		}
		// The refused caller took nothing, the cancelled one its slot (1s): the next goes at 2s.
		if err := l.Wait(context.Background()); err != nil || time.Since(before) != 2*time.Second {
			t.Errorf("got %v after %v, want the slot at 2s", err, time.Since(before))
		}
		// A ctx already done is refused before anything is reserved.
		done, cancelDone := context.WithCancel(context.Background())
		cancelDone()
		if err := l.Wait(done); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		// It took no slot: the next caller gets the one a window after 2s.
		if err := l.Wait(context.Background()); err != nil || time.Since(before) != 3*time.Second {
			t.Errorf("got %v after %v, want the slot at 3s", err, time.Since(before))
		}
	})
}

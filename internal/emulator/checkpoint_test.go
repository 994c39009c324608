package emulator

import (
	"testing"
	"time"
)

// TestCheckpointAt: the newest Unix time divisible by the interval that is at or before the time and not after
// now, also before 1970 (floor, not truncation toward zero).
func TestCheckpointAt(t *testing.T) {
	now := time.Unix(1_000_000_027, 0)
	tests := []struct {
		name  string
		at    time.Time
		every time.Duration
		want  int64 // Unix seconds
	}{
		{"on a checkpoint", time.Unix(1_000_000_010, 0), 10 * time.Second, 1_000_000_010},
		{"between", time.Unix(1_000_000_019, 999_999_999), 10 * time.Second, 1_000_000_010},
		{"after now: the newest", time.Unix(2_000_000_000, 0), 10 * time.Second, 1_000_000_020},
		{"now itself", now, 10 * time.Second, 1_000_000_020},
		{"every second", time.Unix(1_000_000_013, 500_000_000), time.Second, 1_000_000_013},
		{"every hour", time.Unix(1_000_000_000, 0), time.Hour, 999_997_200},
		{"the epoch", time.Unix(0, 0), 10 * time.Second, 0},
		{"just before the epoch", time.Unix(-1, 0), 10 * time.Second, -10},
		{"before the epoch, sub-second", time.Unix(-11, 500_000_000), 10 * time.Second, -20},
		{"year 1", time.Date(1, 1, 1, 0, 0, 5, 0, time.UTC), 10 * time.Second, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkpointAt(tt.at, now, tt.every); got.Unix() != tt.want || got.Nanosecond() != 0 {
				t.Errorf("checkpointAt(%v, every %v) = %d.%09d, want %d", tt.at, tt.every, got.Unix(), got.Nanosecond(), tt.want)
			}
		})
	}
}

package reset

import (
	"slices"
	"strings"
	"testing"

	"dtsreset/validate"
)

func TestSetImpact(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		name         string
		cur, tgt     *int64
		replay, skip string // "" when absent
	}{
		{"back: replay", i64(120), i64(100), "20", "0"},
		{"forward: skip", i64(100), i64(130), "0", "30"},
		{"in place", i64(5), i64(5), "0", "0"},
		{"never committed (-1): no figures", i64(-1), i64(100), "", ""},
		{"group not read: no figures", nil, i64(100), "", ""},
		{"nothing planned: no figures", i64(100), nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := []PartitionResult{{PartitionNo: 3, CurrentOffset: tt.cur, TargetOffset: tt.tgt}}
			setImpact(parts)
			if got := optString(parts[0].Replay); got != tt.replay {
				t.Errorf("Replay: got %q, want %q", got, tt.replay)
			}
			if got := optString(parts[0].Skip); got != tt.skip {
				t.Errorf("Skip: got %q, want %q", got, tt.skip)
			}
		})
	}
}

func optString(p *int64) string {
	if p == nil {
		return ""
	}
	return deref(p)
}

// TestGuards: MaxReplay and MaxSkip refuse the plan before any reset call, in dry runs too, and also with the
// precheck off (the plan then reads the group for the committed offsets).
func TestGuards(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name              string
		mode              string
		maxReplay, maxSkp *int64
		dryRun, precheck  bool
		code              string // "" for success
		listed            []int  // partitions in Details
	}{
		{"earliest replays 600 > 500", ModeEarliest, n(500), nil, false, true, CodeGuardExceeded, []int{0, 2}},
		{"earliest replays 600 = 600: allowed", ModeEarliest, n(600), nil, false, true, "", nil},
		{"dry run refused alike", ModeEarliest, n(0), nil, true, true, CodeGuardExceeded, []int{0, 2}},
		{"latest skips 300 > 299", ModeLatest, nil, n(299), false, true, CodeGuardExceeded, []int{0, 2}},
		{"latest skips 300, MaxReplay 0: allowed", ModeLatest, n(0), nil, false, true, "", nil},
		{"precheck off still guarded", ModeDatetime, n(100), nil, false, false, CodeGuardExceeded, []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim().newFake(t)
			opts := allOn()
			opts.Precheck = tt.precheck
			req := request(tt.mode, 0, 2)
			req.MaxReplay, req.MaxSkip, req.DryRun = tt.maxReplay, tt.maxSkp, tt.dryRun
			res, err := New(f, opts).Reset(t.Context(), req)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Reset: %v", err)
				}
				if len(f.resets) != 1 {
					t.Errorf("got %d reset calls, want 1", len(f.resets))
				}
				if res.Partitions[0].Replay == nil || res.Partitions[0].Skip == nil {
					t.Errorf("got %+v, want Replay and Skip figures", res.Partitions[0])
				}
				return
			}
			e := wantError(t, err, KindConflict, tt.code)
			if len(f.resets) != 0 {
				t.Errorf("got %d reset calls, want none: a guard refuses before anything is sent", len(f.resets))
			}
			d, ok := e.Details.(GuardDetails)
			if !ok {
				t.Fatalf("got Details %T, want GuardDetails", e.Details)
			}
			var listed []int
			for _, p := range d.Partitions {
				listed = append(listed, p.PartitionNo)
			}
			if !slices.Equal(listed, tt.listed) {
				t.Errorf("got partitions %v in Details, want %v", listed, tt.listed)
			}
			if !strings.Contains(e.Message, "partition 0 would") || !strings.Contains(e.Message, "nothing was sent") {
				t.Errorf("message %q should name partition 0 and say nothing was sent", e.Message)
			}
			if e.RequestID == "" {
				t.Errorf("got no RequestId, want the plan's DescribeOffsetByTime one")
			}
		})
	}
}

// TestResetDatetimeUTC: a datetime reset's reply gives the instant in UTC beside the Beijing time.
func TestResetDatetimeUTC(t *testing.T) {
	res := newResult(validate.Request{ResetMode: ModeDatetime, ResetDatetime: "2023-05-16 00:00:00"}, nil)
	if res.ResetDatetimeUTC != "2023-05-15T16:00:00Z" {
		t.Errorf("got %q, want 2023-05-15T16:00:00Z", res.ResetDatetimeUTC)
	}
	if res := newResult(validate.Request{ResetMode: ModeEarliest}, nil); res.ResetDatetimeUTC != "" {
		t.Errorf("earliest: got %q, want none", res.ResetDatetimeUTC)
	}
}

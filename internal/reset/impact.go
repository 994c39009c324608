package reset

// setImpact fills Replay and Skip of every partition whose committed and target offsets are both known
// (SPEC §4 step 3b). A partition without a committed offset (-1) gets neither: there is no position to
// replay from or skip past.
func setImpact(parts []PartitionResult) {
	figures := make([]int64, 2*len(parts)) // one backing array serves all pointers
	for i := range parts {
		p := &parts[i]
		if p.CurrentOffset == nil || p.TargetOffset == nil || *p.CurrentOffset < 0 {
			continue
		}
		replay, skip := &figures[2*i], &figures[2*i+1]
		*replay = max(*p.CurrentOffset-*p.TargetOffset, 0)
		*skip = max(*p.TargetOffset-*p.CurrentOffset, 0)
		p.Replay, p.Skip = replay, skip
	}
}

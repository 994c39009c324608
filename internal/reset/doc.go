// Package reset is the use case of dtsreset: it resets the offsets of a DTS data-subscription consumer group,
// safely.
//
// # Why more than one API call
//
// DTS's ResetConsumerGroupOffset only acts on a group in state Dead or Empty. For any other group (one with
// live members) it does nothing and still answers success with a RequestId, so a caller who only looks at the
// answer believes a reset happened that did not. A Service therefore wraps the call in steps that make the
// no-op visible:
//
//  1. Precheck (Options.Precheck): DescribeConsumerGroups, all pages, finds the group; a missing group is
//     KindNotFound (CodeGroupNotFound) and an active one KindConflict (CodeGroupActive) naming its members,
//     before anything is changed. DescribeSubscribeDetail checks that TopicName is the subscription's topic.
//  2. Plan: DescribeOffsetByTime gives the target offset of every partition (at the datetime; at EarliestTime
//     for earliest) and so also the list of partitions: unknown ones are KindInvalid, and AllPartitions
//     expands to all of them. latest's targets are the log ends DescribeConsumerGroups reports (offset + lag;
//     DescribeOffsetByTime at now is only the newest checkpoint), so latest reads the group even without the
//     precheck. The current offsets come from the group.
//  3. Execute (not on a dry run): ResetConsumerGroupOffset; its RequestId is the result's.
//  4. Verify (Options.Verify): DescribeConsumerGroups until every partition sits at its target, with bounded
//     back-off inside Options.VerifyTimeout and the caller's deadline. Offsets that never move are
//     KindConflict (CodeResetNotApplied) carrying the reset's RequestId: a consumer joined between the
//     precheck and the reset, and the API ignored us. Never a silent no-op reported as success.
//
// The precheck and the plan do not depend on each other and run concurrently, so a reset that applies at once
// costs three sequential round trips: precheck+plan, reset, verify.
//
// The plan runs even when both the precheck and the verify are off: it is what rejects unknown partitions
// (SPEC §4 step 3) and what gives Result its TargetOffsets. It costs one round trip.
//
// Every error returned is an *Error whose Kind the edge maps to an HTTP status; errors of the DTS port pass
// through unchanged, so their upstream code and RequestId survive.
package reset

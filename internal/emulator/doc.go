// Package emulator is a local stand-in for the Tencent Cloud DTS data-subscription API (service dts, version
// 2021-12-06), backed by an in-process Kafka cluster that real Kafka clients can use.
//
// The model is the one DTS itself has: a subscription publishes to one Kafka topic, and a DTS consumer group
// named <name> is the Kafka group consumer-grp-<SubscribeId>-<name>. The emulator keeps only what DTS keeps and
// Kafka does not: the list of DTS groups of each subscription (with account, password, description and
// creation times, in creation order). Everything else — group state, members and their assignments, committed
// offsets, log start and end offsets, the timestamp index — is read from Kafka (a kfake cluster, through kadm)
// on every call, so a consumer joining the group with kgo or kcat changes what DescribeConsumerGroups reports,
// and an offset committed by ResetConsumerGroupOffset is where the next consumer starts.
//
// ResetConsumerGroupOffset behaves like DTS, including its trap: when the Kafka group is not Dead or Empty the
// reset is silently ignored and still answers success with a RequestId.
//
// The HTTP side is TencentCloud API 3.0: POST JSON, TC3-HMAC-SHA256 checked by package tc3 against the
// configured credentials (the Host header as sent is what counts), answers in the {"Response": ...} envelope
// with HTTP 200 for errors too. A per-action rate limit (RequestLimitExceeded) and injectable faults (an error
// code, a delay, a dropped connection, N times) let tests of a client exercise its retry and deadline logic.
//
// The package imports nothing of the function it emulates the cloud for, so it cannot agree with its bugs.
package emulator

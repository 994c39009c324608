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
// Where DTS answers differently from Kafka, the emulator answers as DTS: a group Kafka does not know is Dead
// with offsets -1; offsets for a time are DTS's checkpoints (the log end at Unix times divisible by
// CheckpointSeconds, the newest at or before the time), never before what RetentionHours keeps; and
// ResetConsumerGroupOffset has DTS's trap: when the Kafka group is not Dead or Empty the reset is silently
// ignored and still answers success with a RequestId.
//
// The Kafka listener is DTS's too: SASL_PLAINTEXT (SCRAM-SHA-512, PLAIN), each DTS account a Kafka user
// account-<SubscribeId>-<AccountName> that may read its subscription's topic through its own groups only, and a
// configured superuser that writes the records and is the emulator's own admin client.
//
// The HTTP side is TencentCloud API 3.0: POST JSON, TC3-HMAC-SHA256 checked by package tc3 against the
// configured credentials (the Host header as sent is what counts), answers in the {"Response": ...} envelope
// with HTTP 200 for errors too. A per-action rate limit (RequestLimitExceeded) and injectable faults (an error
// code, a delay, a dropped connection, N times) let tests of a client exercise its retry and deadline logic.
//
// The package imports nothing of the function it emulates the cloud for, so it cannot agree with its bugs.
package emulator

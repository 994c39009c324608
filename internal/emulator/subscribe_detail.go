package emulator

import "strings"

type subscribeDetail struct {
	SubscribeID      string `json:"SubscribeId"`
	SubscribeName    string `json:"SubscribeName"`
	Product          string `json:"Product"`
	InstanceID       string `json:"InstanceId"`
	InstanceStatus   string `json:"InstanceStatus"`
	Status           string `json:"Status"`
	SubsStatus       string `json:"SubsStatus"`
	Region           string `json:"Region"`
	Topic            string `json:"Topic"`
	Broker           string `json:"Broker"`
	KafkaVersion     string `json:"KafkaVersion"`
	SubscribeVersion string `json:"SubscribeVersion"`
	PayType          int64  `json:"PayType"`
	Protocol         string `json:"Protocol"`
	ConsumerVpcID    string `json:"ConsumerVpcId"`
	ConsumerSubnetID string `json:"ConsumerSubnetId"`
}

// describeSubscribeDetail answers a running Kafka-version subscription whose broker is the emulator's Kafka
// listener, so a client that discovers the broker through the API reaches the in-process cluster.
func (e *Emulator) describeSubscribeDetail(r *request) (any, error) {
	sub, err := e.subscription(r)
	if err != nil {
		return nil, err
	}
	instance := "cdb-dtslocal"
	if i := strings.LastIndex(sub.TopicName, "-cdb-"); i >= 0 {
		instance = "cdb-" + sub.TopicName[i+len("-cdb-"):]
	}
	return subscribeDetail{
		SubscribeID: sub.SubscribeID, SubscribeName: sub.SubscribeID, Product: "mysql", InstanceID: instance,
		InstanceStatus: "running", Status: "normal", SubsStatus: "running", Region: e.cfg.Region,
		Topic: sub.TopicName, Broker: strings.Join(e.KafkaAddrs(), ","), KafkaVersion: "2.8.1",
		SubscribeVersion: "kafka", PayType: 1, Protocol: "protobuf",
	}, nil
}

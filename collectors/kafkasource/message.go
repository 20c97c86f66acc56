package kafkasource

import (
	"cmp"
	"strconv"
	"time"
)

// Stream names the role a topic plays for the model.
type Stream string

// The streams of a model.
const (
	StreamPredictions Stream = "predictions"
	StreamFeatures    Stream = "features"
	StreamLabels      Stream = "labels"
)

// TopicPartition names one partition of one topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String formats the partition as topic/partition.
func (tp TopicPartition) String() string {
	return tp.Topic + "/" + strconv.Itoa(int(tp.Partition))
}

// compareTopicPartitions orders partitions by topic, then by number.
func compareTopicPartitions(a, b TopicPartition) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one Kafka record as the handler sees it.
//
// Key, Value and the header values are the message's own memory: a handler
// may keep them after Handle returns. The slice of messages passed to Handle
// is reused, so a handler must not keep the slice itself.
type Message struct {
	// Stream is the role of the topic the message came from.
	Stream    Stream
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	// Time is the record timestamp set by the producer or the broker.
	Time time.Time
	// Oversized reports that key and value together are larger than
	// Config.MaxMessageBytes. The message is still delivered whole, with its
	// offset, so that the handler can reject it (for example to the dead
	// letter topic) and the offset can be committed past it.
	Oversized bool
}

// TopicPartition returns the partition the message came from.
func (m *Message) TopicPartition() TopicPartition {
	return TopicPartition{Topic: m.Topic, Partition: m.Partition}
}

// Header returns the value of the first header with the given key, and
// whether there is one.
func (m *Message) Header(key string) ([]byte, bool) {
	for _, h := range m.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return nil, false
}

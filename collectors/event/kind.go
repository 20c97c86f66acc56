package event

import (
	"fmt"

	"github.com/driftwatch/driftwatch/collectors/kafkasource"
)

// Kind says what an event carries. A payload does not name its own kind:
// the caller knows it from where the payload came from (the Kafka topic's
// stream, or the replay file) and passes it to the decoder, which then reads
// only the fields of that kind and ignores the rest.
type Kind string

// The event kinds.
const (
	// KindPrediction is a served prediction: id, model, model version,
	// timestamp, features, and the prediction and/or score.
	KindPrediction Kind = "prediction"
	// KindFeatures carries the features of a prediction on their own: id,
	// model, model version, timestamp and features.
	KindFeatures Kind = "features"
	// KindLabel is delayed ground truth: id, model, timestamp and label.
	KindLabel Kind = "label"
)

// Validate reports whether k is one of the event kinds.
func (k Kind) Validate() error {
	switch k {
	case KindPrediction, KindFeatures, KindLabel:
		return nil
	}
	return fmt.Errorf("unknown event kind %q (want prediction, features or label)", string(k))
}

// KindOf returns the kind of the events on a Kafka stream.
func KindOf(s kafkasource.Stream) (Kind, error) {
	switch s {
	case kafkasource.StreamPredictions:
		return KindPrediction, nil
	case kafkasource.StreamFeatures:
		return KindFeatures, nil
	case kafkasource.StreamLabels:
		return KindLabel, nil
	}
	return "", fmt.Errorf("no event kind for stream %q", string(s))
}

// index returns the position of k among the kinds, for per-kind tables.
func (k Kind) index() int {
	switch k {
	case KindFeatures:
		return 1
	case KindLabel:
		return 2
	}
	return 0
}

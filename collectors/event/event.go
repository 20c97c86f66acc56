package event

import "time"

// Event is one decoded event. A Decoder fills an Event in place, so that a
// caller that reuses one Event decodes without allocating.
//
// The byte slices point into the payload when the value needed no decoding,
// and into the Decoder's buffer otherwise: they stay valid until the next
// decode with the same Decoder, and only while the payload is unchanged. A
// caller that keeps a value longer, such as an ID waiting for its label,
// copies it.
type Event struct {
	Kind Kind
	// ID identifies the prediction, for joining labels to it. It is the
	// text of a JSON string or the literal text of a JSON number, and empty
	// when absent.
	ID []byte
	// Model is the model named by the event, empty when absent. A decoder
	// rejects events that name another model.
	Model []byte
	// ModelVersion is the text of a JSON string or the literal text of a
	// JSON number, empty when absent.
	ModelVersion []byte
	// Time is the event time, in UTC, or the caller's fallback when the
	// event has no timestamp.
	Time time.Time
	// TimeFromEvent reports whether Time came from the event rather than
	// the fallback.
	TimeFromEvent bool
	// Features holds one value per feature, in the order of
	// ModelConfig.Features. Prediction and label events read features too;
	// label events leave them all missing.
	Features []Value
	// Prediction is the predicted class of a classifier (Text) or the
	// predicted value of a regression (Num).
	Prediction Value
	// PredictionFromScore reports that the event had only a score and the
	// binary class was derived from it with the decision threshold.
	PredictionFromScore bool
	// Score is the score of a classifier, within [0, 1], when HasScore.
	Score    float64
	HasScore bool
	// Label is the true class (Text) or value (Num) of a label event.
	Label Value
}

// Value is one field of an event: a number (Num) for numeric features and
// regression outputs, or the canonical text (Text) for categorical features
// and classes. Missing values have neither.
type Value struct {
	Num     float64
	Text    []byte
	Missing bool
}

// reset empties e for a new event of kind k with n features, keeping the
// feature slice's memory.
func (e *Event) reset(k Kind, n int) {
	feats := e.Features
	if cap(feats) < n {
		feats = make([]Value, n)
	}
	feats = feats[:n]
	for i := range feats {
		feats[i] = Value{Missing: true}
	}
	*e = Event{Kind: k, Features: feats, Prediction: Value{Missing: true}, Label: Value{Missing: true}}
}

// Package event decodes the raw payloads of one model's events into typed
// Events: JSON objects from Kafka messages and JSON Lines files, and CSV
// records from replay files. It classifies every rejection by a Reason from
// a small fixed set, fit for a metric label.
//
// A Decoder is compiled once per model from its collectors.ModelConfig and
// knows the dotted path of every field it reads: id, model, model version,
// timestamp, each feature (ModelConfig.FeatureField), prediction, score and
// label. A payload does not say what kind of event it is; the caller knows
// from the topic or file it read and passes a Kind:
//
//   - KindPrediction reads id, model, model version, timestamp, features,
//     the prediction and, for classifiers, the score;
//   - KindFeatures reads id, model, model version, timestamp and features;
//   - KindLabel reads id, model, timestamp and the label.
//
// Keys off those paths are checked for validity and skipped.
//
// # Values
//
// A numeric feature must be a JSON number: a string such as "3.5" is
// wrong_type, and a number that overflows float64 (1e400) is
// invalid_number. A categorical feature, a class and a label take a string,
// a number or a boolean, as canonical text: the decoded string, the
// number's literal text ("7.50" stays "7.50", as quality.LabelSet expects)
// or true and false. Objects and arrays are wrong_type anywhere. JSON null
// and an absent key are the same: a missing feature, or an absent field.
// The empty string is missing too, as it is in CSV and to the window
// accumulators. Strings decode as in encoding/json: invalid UTF-8 and
// unpaired surrogates become U+FFFD.
//
// A timestamp is an RFC 3339 string (2006-01-02T15:04:05, an optional
// fraction, then Z or ±hh:mm) or a Unix time as a JSON number: seconds below
// 1e11, milliseconds from 1e11 up to 1e14. Both ranges start in 1970 and end
// in the year 5138, and 1e11 milliseconds is in 1973, so no event time since
// is ambiguous. Without a timestamp an event takes the fallback time the
// caller passes (for Kafka, the message time); the zero fallback makes the
// timestamp required. Times are returned in UTC.
//
// An event whose model field names another model is unknown_model, which
// wins over any other problem with the event; an event without a model
// field belongs to the decoder's model. The id is required in label events
// and, when labels are enabled, in prediction events, which labels are
// joined to. A prediction event needs a prediction, except that a binary
// one may carry only a score: with the two classes configured, the decoder
// derives the class with the decision threshold (score >= threshold is the
// positive class); without them the class stays missing. A class or label
// outside the configured classes is unknown_class; a score outside [0, 1]
// is score_out_of_range.
//
// A key on a read path that appears twice in one object is duplicate_field:
// encoding/json would keep the last value and other readers the first, so
// the event is ambiguous. The reference data reader rejects duplicates too.
// Nesting deeper than MaxDepth is oversized.
//
// Malformed JSON is malformed_json whatever else is wrong with the payload;
// among the other problems the decoder reports unknown_model first, then
// the first problem in the payload, then missing fields.
//
// # Speed
//
// DecodeJSON makes one pass over the payload and fills a caller's Event in
// place. An accepted event does not allocate (except for a number literal
// longer than 32 bytes off the fast path); a rejection allocates its error. On a 765-byte event of a 20-feature model it
// takes about 1.2 µs on one core of the reference machine. It is a
// hand-written scanner because no parser fit the budget of 2 µs with full
// validation: encoding/json takes 7 to 20 µs and allocates,
// encoding/json/v2 needs GOEXPERIMENT in Go 1.26 and takes 2.7 µs,
// fastjson takes 2.5 µs with the validation its Parse skips, and
// jsonparser does not validate what it skips. FuzzDecodeJSON holds the
// scanner to an oracle built on encoding/json. docs/decoding.md has the
// measurements and the full rules.
//
// # Not here
//
// Reading Kafka and files, checking max_message_bytes (Oversized builds the
// rejection), dead-lettering, counting rejections, joining labels and
// feeding windows are left to the callers.
package event

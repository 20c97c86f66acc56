package event

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Reason is why an event was rejected: a small fixed set of values, fit for
// a metric label.
type Reason string

// The rejection reasons.
const (
	// ReasonMalformedJSON: the payload is not valid JSON.
	ReasonMalformedJSON Reason = "malformed_json"
	// ReasonMalformedCSV: a CSV record does not have one cell per column.
	ReasonMalformedCSV Reason = "malformed_csv"
	// ReasonNotAnObject: the payload is valid JSON but not an object.
	ReasonNotAnObject Reason = "not_an_object"
	// ReasonMissingField: a required field is absent, null or empty.
	ReasonMissingField Reason = "missing_field"
	// ReasonDuplicateField: an object repeats a key that leads to a field
	// the decoder reads, so the value is ambiguous.
	ReasonDuplicateField Reason = "duplicate_field"
	// ReasonWrongType: a field has a JSON type its role does not take, such
	// as a string for a numeric feature or an array anywhere.
	ReasonWrongType Reason = "wrong_type"
	// ReasonInvalidNumber: a number overflows float64, or, in CSV, a cell
	// of a numeric column is not a number.
	ReasonInvalidNumber Reason = "invalid_number"
	// ReasonInvalidTimestamp: the timestamp is neither RFC 3339 nor a Unix
	// time in the accepted range.
	ReasonInvalidTimestamp Reason = "invalid_timestamp"
	// ReasonUnknownModel: the event names a different model.
	ReasonUnknownModel Reason = "unknown_model"
	// ReasonUnknownClass: a predicted class or label is not one of the
	// configured classes.
	ReasonUnknownClass Reason = "unknown_class"
	// ReasonScoreOutOfRange: the score is outside [0, 1].
	ReasonScoreOutOfRange Reason = "score_out_of_range"
	// ReasonOversized: the message is larger than max_message_bytes (the
	// caller checks this) or nests deeper than MaxDepth.
	ReasonOversized Reason = "oversized"
)

// Reasons lists every rejection reason, so that metrics can initialise each
// label value up front.
func Reasons() []Reason {
	return []Reason{
		ReasonMalformedJSON, ReasonMalformedCSV, ReasonNotAnObject, ReasonMissingField,
		ReasonDuplicateField, ReasonWrongType, ReasonInvalidNumber, ReasonInvalidTimestamp,
		ReasonUnknownModel, ReasonUnknownClass, ReasonScoreOutOfRange, ReasonOversized,
	}
}

// Error is a rejected event: the reason, the dotted path of the offending
// field (empty when the payload as a whole is at fault) and a short detail
// that quotes at most a truncated excerpt of the value, never the payload.
type Error struct {
	Reason Reason
	Path   string
	Detail string
}

// Error formats the rejection as "reason: path: detail".
func (e *Error) Error() string {
	s := "event rejected: " + string(e.Reason)
	if e.Path != "" {
		s += ": " + e.Path
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ReasonOf returns the rejection reason carried by err, or "" when err is
// nil or not a rejection.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Oversized returns the rejection of a message of size bytes that exceeds
// limit, for callers that check max_message_bytes before decoding.
func Oversized(size, limit int) *Error {
	return &Error{Reason: ReasonOversized, Detail: strconv.Itoa(size) + " bytes exceeds the limit of " + strconv.Itoa(limit)}
}

// maxExcerpt bounds the bytes of a value quoted in an error detail.
const maxExcerpt = 32

// excerpt quotes at most maxExcerpt bytes of b, cut at a rune boundary, and
// marks a cut with an ellipsis.
func excerpt(b []byte) string {
	if len(b) <= maxExcerpt {
		return strconv.Quote(string(b))
	}
	n := maxExcerpt
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return strconv.Quote(string(b[:n])) + "..."
}

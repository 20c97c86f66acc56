package quality

import (
	"fmt"
	"slices"
)

// LabelSet maps a model's class labels, as they arrive in events, to the
// dense class indices the evaluators take. Labels are compared as exact
// strings: a collector passes a JSON string label as is and a JSON number
// by its literal text (json.Number), so "1" and "1.0" are different labels.
// Indices follow the order the labels were declared in, which is also the
// column order of a probability vector.
type LabelSet struct {
	labels []string
	index  map[string]int
}

// NewLabelSet returns the set of between 2 and MaxClasses distinct labels.
func NewLabelSet(labels ...string) (*LabelSet, error) {
	if len(labels) < 2 || len(labels) > MaxClasses {
		return nil, fmt.Errorf("label set: %d labels is outside [2, %d]", len(labels), MaxClasses)
	}
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		if j, dup := index[l]; dup {
			return nil, fmt.Errorf("label set: label %q at %d repeats %d", l, i, j)
		}
		index[l] = i
	}
	return &LabelSet{labels: slices.Clone(labels), index: index}, nil
}

// Index returns the class index of label, or an error for a label outside
// the set.
func (s *LabelSet) Index(label string) (int, error) {
	i, ok := s.index[label]
	if !ok {
		return 0, fmt.Errorf("unknown class label %q", label)
	}
	return i, nil
}

// Label returns the label of class index i. It panics if i is out of range.
func (s *LabelSet) Label(i int) string {
	return s.labels[i]
}

// Len returns the number of classes.
func (s *LabelSet) Len() int {
	return len(s.labels)
}

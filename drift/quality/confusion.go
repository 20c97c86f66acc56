package quality

import "fmt"

// Confusion accumulates a confusion matrix of (true class, predicted class)
// pairs for the LabelKind metrics. It holds classes² counts whatever the
// window size, two Confusions over the same classes merge by adding counts,
// and its values equal the batch evaluators' on the same pairs.
//
// A Confusion is not safe for concurrent use.
type Confusion struct {
	classes  int
	positive int
	counts   []int64 // row-major: counts[true*classes+pred]
	n        int64
}

// NewConfusion returns an empty Confusion over class indices
// [0, classes), with positive as the class that precision, recall and F1
// score one-vs-rest. classes must be in [2, MaxClasses].
func NewConfusion(classes, positive int) (*Confusion, error) {
	if classes < 2 || classes > MaxClasses {
		return nil, fmt.Errorf("confusion: %d classes is outside [2, %d]", classes, MaxClasses)
	}
	if err := checkClass(positive, classes); err != nil {
		return nil, fmt.Errorf("confusion: positive %w", err)
	}
	return &Confusion{
		classes:  classes,
		positive: positive,
		counts:   make([]int64, classes*classes),
	}, nil
}

// Add records one sample of class trueClass predicted as predClass.
func (c *Confusion) Add(trueClass, predClass int) error {
	if err := checkClass(trueClass, c.classes); err != nil {
		return fmt.Errorf("confusion: true %w", err)
	}
	if err := checkClass(predClass, c.classes); err != nil {
		return fmt.Errorf("confusion: predicted %w", err)
	}
	c.counts[trueClass*c.classes+predClass]++
	c.n++
	return nil
}

// Merge adds the counts of o, which must have the same classes and positive
// class, to c.
func (c *Confusion) Merge(o *Confusion) error {
	if o.classes != c.classes || o.positive != c.positive {
		return fmt.Errorf("confusion: cannot merge %d classes (positive %d) into %d classes (positive %d)",
			o.classes, o.positive, c.classes, c.positive)
	}
	for i, n := range o.counts {
		c.counts[i] += n
	}
	c.n += o.n
	return nil
}

// Reset empties c for the next window, keeping its memory.
func (c *Confusion) Reset() {
	clear(c.counts)
	c.n = 0
}

// Count returns the number of samples added since the last Reset.
func (c *Confusion) Count() int64 {
	return c.n
}

// At returns how many samples of class trueClass were predicted as
// predClass. It panics if either index is outside [0, classes).
func (c *Confusion) At(trueClass, predClass int) int64 {
	if trueClass < 0 || trueClass >= c.classes || predClass < 0 || predClass >= c.classes {
		panic(fmt.Sprintf("quality: confusion index (%d, %d) outside %d classes", trueClass, predClass, c.classes))
	}
	return c.counts[trueClass*c.classes+predClass]
}

// Value returns metric m, which must be a LabelKind metric, over the samples
// added so far. An empty Confusion returns an error wrapping ErrUndefined.
func (c *Confusion) Value(m Metric) (float64, error) {
	if err := checkKind(m, LabelKind); err != nil {
		return 0, fmt.Errorf("confusion: %w", err)
	}
	if c.n == 0 {
		return 0, fmt.Errorf("%s: %w: no samples", m, ErrUndefined)
	}
	t := newTally(c.classes)
	for tc := range c.classes {
		for pc, n := range c.counts[tc*c.classes : (tc+1)*c.classes] {
			if n != 0 {
				t.add(tc, pc, n)
			}
		}
	}
	return t.value(m, c.positive), nil
}

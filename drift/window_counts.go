package drift

// AlignedCounts holds the reference's and the current window's counts over
// the same buckets: Reference[i] and Current[i] count bucket i. Counts are
// whole numbers, exact in float64 up to 2^53, and stored as float64 because
// the statistics compute in float64.
type AlignedCounts struct {
	Reference []float64
	Current   []float64
}

// BucketKind says what a categorical bucket holds.
type BucketKind string

// The kinds of categorical buckets, in the order CategoryCounts lists them.
const (
	// BucketCategory is one of the reference's categories.
	BucketCategory BucketKind = "category"
	// BucketOther is the reference's other bucket: its values beyond the
	// top-K, and window values outside the reference's categories.
	BucketOther BucketKind = "other"
	// BucketUnseen is one value the reference never saw.
	BucketUnseen BucketKind = "unseen"
	// BucketUnseenRest lumps unseen values beyond the accumulator's bound.
	BucketUnseenRest BucketKind = "unseen_rest"
)

// Bucket names one entry of a categorical count vector.
type Bucket struct {
	Kind BucketKind
	// Value is the category for BucketCategory and BucketUnseen, and
	// empty otherwise.
	Value string
}

// CategoryCounts holds aligned categorical counts with the bucket each
// entry stands for.
type CategoryCounts struct {
	AlignedCounts
	Buckets []Bucket
}

func (c *CategoryCounts) add(b Bucket, ref, cur int64) {
	c.Buckets = append(c.Buckets, b)
	c.Reference = append(c.Reference, float64(ref))
	c.Current = append(c.Current, float64(cur))
}

// Proportion compares how often something (a missing value, a NaN)
// happened among the reference's observations and the window's, for a
// two-proportion test.
type Proportion struct {
	ReferenceHits, ReferenceTotal int64
	CurrentHits, CurrentTotal     int64
}

package drift

import "fmt"

// FeatureType says how a feature's values are compared: as numbers on a line
// or as unordered categories.
type FeatureType string

// The feature types a model may declare.
const (
	Numeric     FeatureType = "numeric"
	Categorical FeatureType = "categorical"
)

// Validate reports whether t is one of the known feature types.
func (t FeatureType) Validate() error {
	switch t {
	case Numeric, Categorical:
		return nil
	case "":
		return fmt.Errorf("feature type is required (want numeric or categorical)")
	default:
		return fmt.Errorf("unknown type %q (want numeric or categorical)", string(t))
	}
}

package dataset

import (
	"fmt"
	"slices"

	"github.com/driftwatch/driftwatch/drift"
)

// ReadPair reads a reference and a current file with ReadFile and makes the
// columns they share agree in type: a column that is categorical in one
// file is read as categorical in the other too, so that the same text means
// the same category on both sides. That takes a second read of a file only
// when the files disagree.
func ReadPair(refPath, curPath string, opts Options) (ref, cur *Table, err error) {
	if ref, err = ReadFile(refPath, opts); err != nil {
		return nil, nil, err
	}
	if cur, err = ReadFile(curPath, opts); err != nil {
		return nil, nil, err
	}
	refNeeds, curNeeds := typeConflicts(ref, cur)
	if len(refNeeds) > 0 {
		if ref, err = ReadFile(refPath, withCategorical(opts, refNeeds)); err != nil {
			return nil, nil, err
		}
	}
	if len(curNeeds) > 0 {
		if cur, err = ReadFile(curPath, withCategorical(opts, curNeeds)); err != nil {
			return nil, nil, err
		}
	}
	return ref, cur, nil
}

// typeConflicts returns the shared columns that are numeric in ref but
// categorical in cur, and those numeric in cur but categorical in ref.
func typeConflicts(ref, cur *Table) (refNeeds, curNeeds []string) {
	for _, r := range ref.Columns {
		c, ok := cur.Column(r.Name)
		switch {
		case !ok || r.Type == c.Type:
		case r.Type == drift.Numeric:
			refNeeds = append(refNeeds, r.Name)
		default:
			curNeeds = append(curNeeds, r.Name)
		}
	}
	return refNeeds, curNeeds
}

func withCategorical(opts Options, names []string) Options {
	opts.Categorical = append(slices.Clip(opts.Categorical), names...)
	return opts
}

// Features pairs the columns that ref and cur share, in ref's column order,
// as input for drift.Compare. It also returns the names of the columns only
// one of the tables has. Numeric values are shared with the tables, not
// copied; missing numeric cells are NaN, which drift.Compare counts as
// missing. It returns an error when a shared column's types differ, which
// ReadPair prevents.
func Features(ref, cur *Table) (features []drift.FeatureData, onlyRef, onlyCur []string, err error) {
	for _, r := range ref.Columns {
		c, ok := cur.Column(r.Name)
		if !ok {
			onlyRef = append(onlyRef, r.Name)
			continue
		}
		if r.Type != c.Type {
			return nil, nil, nil, fmt.Errorf("column %q is %s in %s but %s in %s", r.Name, r.Type, ref.Name, c.Type, cur.Name)
		}
		features = append(features, drift.FeatureData{
			Name: r.Name, Type: r.Type, Reference: r.Sample(), Current: c.Sample(),
		})
	}
	for _, c := range cur.Columns {
		if _, ok := ref.Column(c.Name); !ok {
			onlyCur = append(onlyCur, c.Name)
		}
	}
	return features, onlyRef, onlyCur, nil
}

// Sample returns the column as one side of a drift comparison: its numbers,
// or its categories with their counts and the number of missing rows.
func (c *Column) Sample() drift.Sample {
	if c.Type == drift.Numeric {
		return drift.Sample{Values: c.Numbers}
	}
	counts := make([]int64, len(c.Categories))
	for _, code := range c.Codes {
		if code != MissingCode {
			counts[code]++
		}
	}
	return drift.Sample{Categories: c.Categories, Counts: counts, Missing: int64(c.nMissing)}
}

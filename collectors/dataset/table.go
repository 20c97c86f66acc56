package dataset

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/driftwatch/driftwatch/drift"
)

// MissingCode is the code a categorical column holds for a missing row.
const MissingCode = math.MaxUint32

// Table is a data file read into columns. Every column holds exactly Rows
// rows.
type Table struct {
	// Name identifies the source in error messages, usually its path.
	Name string
	// Rows is the number of data rows, not counting a header.
	Rows int
	// Columns are in file order: the header's order for CSV, the order of
	// first appearance for JSON Lines.
	Columns []*Column
}

// Column returns the column with the given name.
func (t *Table) Column(name string) (*Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// Column is one column of a Table. A numeric column fills Numbers; a
// categorical one fills Codes and Categories.
//
// Missing cells are recorded in a bitmap, read with Missing. A missing
// numeric cell also holds NaN in Numbers, so code that treats NaN as absent
// can use Numbers directly; a NaN read from the file is a value, not a
// missing cell, and only the bitmap tells the two apart. A missing
// categorical cell holds MissingCode in Codes.
type Column struct {
	// Name is the header field for CSV, or the dotted key path for JSON
	// Lines.
	Name string
	// Type is drift.Numeric or drift.Categorical.
	Type drift.FeatureType
	// Numbers holds one value per row of a numeric column.
	Numbers []float64
	// Codes holds one index into Categories per row of a categorical column.
	Codes []uint32
	// Categories are the distinct values of a categorical column, in order
	// of first appearance.
	Categories []string

	missing  []uint64
	nMissing int
}

// Len returns the number of rows in the column.
func (c *Column) Len() int {
	if c.Type == drift.Categorical {
		return len(c.Codes)
	}
	return len(c.Numbers)
}

// Missing reports whether row i is missing: an empty CSV cell, or a JSON
// null or absent key.
func (c *Column) Missing(i int) bool {
	w := i >> 6
	return w < len(c.missing) && c.missing[w]&(1<<(uint(i)&63)) != 0
}

// MissingCount returns the number of missing rows.
func (c *Column) MissingCount() int { return c.nMissing }

// Value returns row i as text: the category, or the number formatted as
// strconv.FormatFloat(x, 'g', -1, 64). A missing row gives "".
func (c *Column) Value(i int) string {
	switch {
	case c.Missing(i):
		return ""
	case c.Type == drift.Categorical:
		return c.Categories[c.Codes[i]]
	default:
		return strconv.FormatFloat(c.Numbers[i], 'g', -1, 64)
	}
}

// setMissing marks row i as missing.
func (c *Column) setMissing(i int) {
	w := i >> 6
	for len(c.missing) <= w {
		c.missing = append(c.missing, 0)
	}
	bit := uint64(1) << (uint(i) & 63)
	if c.missing[w]&bit == 0 {
		c.missing[w] |= bit
		c.nMissing++
	}
}

// countMissing recounts the bitmap; tests use it to check nMissing.
func (c *Column) countMissing() int {
	n := 0
	for _, w := range c.missing {
		n += bits.OnesCount64(w)
	}
	return n
}

package dataset

import (
	"fmt"
	"math"

	"github.com/driftwatch/driftwatch/drift"
)

// part is one chunk of input parsed into columns. Parts are parsed in
// parallel and appended to the table in input order.
type part struct {
	seq   int
	rows  int
	bytes int
	cols  []*partCol
	// flipped names the columns planned as numeric in which this chunk
	// found a value that is not a number.
	flipped []string
	err     error
}

// partCol holds one column's cells within a part, with a dictionary local
// to the part for categorical columns.
type partCol struct {
	name        string
	categorical bool
	numbers     []float64
	codes       []uint32
	dict        []string
	index       map[string]uint32
	missing     []int32
	flipped     bool
	// lastRow is the part row this column last received a cell for; the
	// JSON Lines parser uses it to find absent and duplicate keys.
	lastRow int
}

// newPartCol returns an empty column with room for rows cells.
func newPartCol(name string, categorical bool, rows int) *partCol {
	c := &partCol{name: name, categorical: categorical, lastRow: -1}
	if categorical {
		c.index = make(map[string]uint32)
		c.codes = make([]uint32, 0, rows)
	} else {
		c.numbers = make([]float64, 0, rows)
	}
	return c
}

// addMissing appends a missing cell at part row row.
func (c *partCol) addMissing(row int) {
	c.missing = append(c.missing, int32(row))
	if c.categorical {
		c.codes = append(c.codes, MissingCode)
	} else {
		c.numbers = append(c.numbers, math.NaN())
	}
}

// addNumber appends a number to a numeric column.
func (c *partCol) addNumber(x float64) { c.numbers = append(c.numbers, x) }

// addText appends a category to a categorical column.
func (c *partCol) addText(b []byte) {
	code, ok := c.index[string(b)]
	if !ok {
		code = uint32(len(c.dict))
		s := string(b)
		c.dict = append(c.dict, s)
		c.index[s] = code
	}
	c.codes = append(c.codes, code)
}

// builder appends parts to a table in order.
type builder struct {
	table   *Table
	byName  map[string]int
	dicts   []map[string]uint32
	rowsCap int
	remap   []uint32
}

func newBuilder(name string, rowsCap int) *builder {
	return &builder{table: &Table{Name: name}, byName: make(map[string]int), rowsCap: rowsCap}
}

// column returns the table column for a part column, creating it, with
// every earlier row missing, the first time it is seen.
func (b *builder) column(pc *partCol) (*Column, map[string]uint32) {
	if i, ok := b.byName[pc.name]; ok {
		return b.table.Columns[i], b.dicts[i]
	}
	c := &Column{Name: pc.name, Type: drift.Numeric}
	var dict map[string]uint32
	capacity := max(b.rowsCap, b.table.Rows)
	if pc.categorical {
		c.Type = drift.Categorical
		c.Codes = make([]uint32, 0, capacity)
		dict = make(map[string]uint32)
	} else {
		c.Numbers = make([]float64, 0, capacity)
	}
	c.missing = make([]uint64, 0, (capacity+63)/64)
	extendMissing(c, b.table.Rows)
	b.byName[pc.name] = len(b.table.Columns)
	b.table.Columns = append(b.table.Columns, c)
	b.dicts = append(b.dicts, dict)
	return c, dict
}

// add appends a parsed part to the table.
func (b *builder) add(p *part) error {
	base := b.table.Rows
	for _, pc := range p.cols {
		c, dict := b.column(pc)
		if pc.categorical {
			if err := b.appendCodes(c, dict, pc); err != nil {
				return err
			}
		} else {
			c.Numbers = append(c.Numbers, pc.numbers...)
		}
		for _, r := range pc.missing {
			c.setMissing(base + int(r))
		}
	}
	b.table.Rows += p.rows
	for _, c := range b.table.Columns {
		if c.Len() < b.table.Rows {
			extendMissing(c, b.table.Rows-c.Len())
		}
	}
	return nil
}

// appendCodes translates a part's local codes into the column's dictionary.
func (b *builder) appendCodes(c *Column, dict map[string]uint32, pc *partCol) error {
	b.remap = b.remap[:0]
	for _, s := range pc.dict {
		code, ok := dict[s]
		if !ok {
			if len(c.Categories) >= MissingCode {
				return fmt.Errorf("column %q: more than %d distinct values", c.Name, MissingCode-1)
			}
			code = uint32(len(c.Categories))
			c.Categories = append(c.Categories, s)
			dict[s] = code
		}
		b.remap = append(b.remap, code)
	}
	for _, code := range pc.codes {
		if code != MissingCode {
			code = b.remap[code]
		}
		c.Codes = append(c.Codes, code)
	}
	return nil
}

// extendMissing appends n missing rows to c.
func extendMissing(c *Column, n int) {
	start := c.Len()
	for i := 0; i < n; i++ {
		if c.Type == drift.Categorical {
			c.Codes = append(c.Codes, MissingCode)
		} else {
			c.Numbers = append(c.Numbers, math.NaN())
		}
		c.setMissing(start + i)
	}
}

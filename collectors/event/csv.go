package event

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
)

// CSVDecoder decodes the records of one CSV file, whose header it has
// mapped to the model's fields. It shares its Decoder's buffers, so it is
// not safe for concurrent use either.
//
// A column feeds a field when its name is the field's dotted path, such as
// "id", "prediction" or "features.age". A feature's column may also be named
// by the feature's name alone, such as "age", unless the header also has a
// column with the full path. Other columns are ignored, and a UTF-8 byte
// order mark before the first name is dropped.
//
// Cells are text. An empty cell is absent, like JSON null. Categorical
// features, classes, ids, model names and versions are taken verbatim.
// Numeric cells may have spaces or tabs around them (a cell of only blanks
// is absent) and are decimal
// literals, optionally signed, with an optional fraction and exponent ("3",
// "-0.5", ".5", "1.", "6.02e23"), or NaN, Inf and Infinity in any letter
// case: the literals the reference data reader accepts. A numeric feature
// keeps NaN and the infinities, which the window counts apart; a score or a
// regression output must be finite. Timestamps are RFC 3339, or Unix times
// written as JSON numbers.
type CSVDecoder struct {
	d       *Decoder
	kind    Kind
	columns []csvColumn // one per header column
}

// csvColumn is what one column feeds: nothing, or the targets at path.
type csvColumn struct {
	path    string
	targets []target
}

// CSV maps the header of a CSV file of events of kind k to the model's
// fields, and returns the decoder of its records. It fails when two columns
// feed the same field, or when a field every event needs has no column.
func (d *Decoder) CSV(k Kind, header []string) (*CSVDecoder, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	p := d.plans[k.index()]
	byPath := make(map[string]*node)
	for i := range p.nodes {
		if n := &p.nodes[i]; len(n.targets) > 0 {
			byPath[n.path] = n
		}
	}
	named := make(map[string]bool, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		named[h] = true
	}
	c := &CSVDecoder{d: d, kind: k, columns: make([]csvColumn, len(header))}
	fedBy := make(map[target]string)
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		col := d.csvColumn(byPath, named, h)
		for _, t := range col.targets {
			if prev, dup := fedBy[t]; dup {
				return nil, fmt.Errorf("csv header: columns %q and %q both give %s", prev, h, d.describeTarget(t))
			}
			fedBy[t] = h
		}
		c.columns[i] = col
	}
	if k == KindPrediction && d.kind == collectors.Binary && !anyFed(fedBy, rolePrediction) && !anyFed(fedBy, roleScore) {
		return nil, fmt.Errorf("csv header: no column for the prediction or the score (want a column named %q or %q)", d.pathOf(rolePrediction), d.pathOf(roleScore))
	}
	for _, r := range d.requiredRoles(k) {
		if !anyFed(fedBy, r) {
			return nil, fmt.Errorf("csv header: no column for the %s (want a column named %q)", r, d.pathOf(r))
		}
	}
	return c, nil
}

// csvColumn returns what the column named h feeds.
func (d *Decoder) csvColumn(byPath map[string]*node, named map[string]bool, h string) csvColumn {
	if n, ok := byPath[h]; ok {
		return csvColumn{path: n.path, targets: n.targets}
	}
	for i, f := range d.features {
		if f.Name != h {
			continue
		}
		for path, n := range byPath {
			for _, t := range n.targets {
				if t.role == roleFeature && t.feature == i && !named[path] {
					return csvColumn{path: path, targets: []target{t}}
				}
			}
		}
	}
	return csvColumn{}
}

// requiredRoles lists the fields that every event of kind k needs.
func (d *Decoder) requiredRoles(k Kind) []role {
	switch k {
	case KindLabel:
		return []role{roleID, roleLabel}
	case KindPrediction:
		var rs []role
		if d.requireID {
			rs = append(rs, roleID)
		}
		if d.kind != collectors.Binary {
			rs = append(rs, rolePrediction)
		}
		return rs
	}
	return nil
}

func anyFed(fedBy map[target]string, r role) bool {
	for t := range fedBy {
		if t.role == r {
			return true
		}
	}
	return false
}

func (d *Decoder) describeTarget(t target) string {
	if t.role == roleFeature {
		return "feature " + strconv.Quote(d.features[t.feature].Name)
	}
	return "the " + t.role.String()
}

// Decode decodes one record, as encoding/csv returns it, into ev. fallback
// is the event time when the record has no timestamp, as in DecodeJSON.
// Text values are copied into the decoder's buffer, so ev does not keep
// record.
func (c *CSVDecoder) Decode(ev *Event, record []string, fallback time.Time) error {
	if err := c.begin(ev, len(record)); err != nil {
		return err
	}
	d := c.d
	for i, col := range c.columns {
		if len(col.targets) == 0 || record[i] == "" {
			continue
		}
		start := len(d.text)
		d.text = append(d.text, record[i]...)
		cell := d.text[start:len(d.text):len(d.text)]
		for _, t := range col.targets {
			d.assignCell(col.path, t, cell)
		}
	}
	return d.finish(fallback)
}

// DecodeBytes is Decode for a record of byte slices, which ev then points
// into.
func (c *CSVDecoder) DecodeBytes(ev *Event, record [][]byte, fallback time.Time) error {
	if err := c.begin(ev, len(record)); err != nil {
		return err
	}
	for i, col := range c.columns {
		if len(col.targets) == 0 || len(record[i]) == 0 {
			continue
		}
		for _, t := range col.targets {
			c.d.assignCell(col.path, t, record[i])
		}
	}
	return c.d.finish(fallback)
}

func (c *CSVDecoder) begin(ev *Event, cells int) error {
	if _, err := c.d.begin(ev, c.kind); err != nil {
		return err
	}
	if cells != len(c.columns) {
		return &Error{Reason: ReasonMalformedCSV, Detail: fmt.Sprintf("got %d cells, want %d as in the header", cells, len(c.columns))}
	}
	return nil
}

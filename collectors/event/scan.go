package event

import (
	"strconv"
	"time"
)

// DecodeJSON decodes payload, one JSON object, as an event of kind k into
// ev, and returns an *Error when the event is rejected.
//
// fallback is the event time to use when the payload has no timestamp (the
// key is absent or null): for a Kafka message, the message time. Pass the
// zero time to require a timestamp in every event.
//
// It is one pass over the payload: the keys on the configured paths are
// decoded, and everything else is only checked to be valid JSON. When the
// payload is not valid JSON, the rejection is malformed_json (or oversized,
// for nesting deeper than MaxDepth) whatever else is wrong with it.
func (d *Decoder) DecodeJSON(ev *Event, k Kind, payload []byte, fallback time.Time) error {
	p, err := d.begin(ev, k)
	if err != nil {
		return err
	}
	d.in, d.pos = payload, 0
	err = d.document(p)
	d.in = nil
	if err != nil {
		return err
	}
	return d.finish(fallback)
}

// document parses the whole payload.
func (d *Decoder) document(p *plan) error {
	d.skipSpace()
	if d.pos == len(d.in) {
		return d.syntax("a JSON object")
	}
	if d.in[d.pos] != '{' {
		start := d.pos
		if err := d.skip(0); err != nil {
			return err
		}
		if d.skipSpace(); d.pos != len(d.in) {
			return d.syntax("the end of the payload")
		}
		return &Error{Reason: ReasonNotAnObject, Detail: "got " + jsonType(d.in[start]) + " " + excerpt(d.in[start:])}
	}
	if err := d.object(p, &p.nodes[0], 0); err != nil {
		return err
	}
	if d.skipSpace(); d.pos != len(d.in) {
		return d.syntax("the end of the payload")
	}
	return nil
}

// object parses the object at d.pos, which is inside depth containers and
// sits at node n of the plan.
func (d *Decoder) object(p *plan, n *node, depth int) error {
	if depth >= MaxDepth {
		return d.tooDeep()
	}
	depth++
	d.pos++ // '{'
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	prev := -1
	for {
		c, size := p.predicted(n, d.in[d.pos:], &prev)
		if size > 0 {
			d.pos += size
			d.skipSpace()
		} else {
			key, err := d.objectKey()
			if err != nil {
				return err
			}
			c = p.lookup(n, key, &prev)
		}
		var err error
		if c < 0 {
			err = d.skip(depth)
		} else {
			err = d.member(p, c, depth)
		}
		if err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return nil
		default:
			return d.syntax("',' or '}'")
		}
	}
}

// objectKey parses a key and its colon, and returns the decoded key.
func (d *Decoder) objectKey() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.syntax("a string key")
	}
	start := d.pos
	flags, err := d.scanString()
	if err != nil {
		return nil, err
	}
	key := d.in[start+1 : d.pos-1]
	// Configured keys are valid UTF-8 without U+FFFD (see checkPath), so
	// a key with invalid UTF-8 cannot match one, decoded or not.
	if flags&hasEscape != 0 {
		d.key = unescape(d.key[:0], key)
		key = d.key
	}
	if d.pos < len(d.in) && d.in[d.pos] == ':' { // the common case
		d.pos++
	} else {
		d.skipSpace()
		if d.peek() != ':' {
			return nil, d.syntax("':'")
		}
		d.pos++
	}
	d.skipSpace()
	return key, nil
}

// member parses the value of the key at plan node c.
func (d *Decoder) member(p *plan, c int32, depth int) error {
	n := &p.nodes[c]
	if d.seen[c] == d.gen {
		d.reject(&Error{Reason: ReasonDuplicateField, Path: n.path, Detail: "the key appears more than once"})
		return d.skip(depth)
	}
	d.seen[c] = d.gen
	if len(n.children) == 0 {
		return d.leaf(n, depth)
	}
	switch d.peek() {
	case '{':
		return d.object(p, n, depth)
	case 'n':
		return d.literal("null")
	}
	start := d.pos
	if err := d.skip(depth); err != nil {
		return err
	}
	d.reject(wrongTypeRaw(n.path, "an object", d.in[start:d.pos]))
	return nil
}

// leaf parses the value of a key that is read, and hands it to the node's
// targets.
func (d *Decoder) leaf(n *node, depth int) error {
	start := d.pos
	var v token
	switch c := d.peek(); c {
	case '"':
		flags, err := d.scanString()
		if err != nil {
			return err
		}
		v.kind, v.text = tokString, d.stringValue(d.in[start+1:d.pos-1], flags)
	case 't':
		v.kind = tokBool
		if err := d.literal("true"); err != nil {
			return err
		}
	case 'f':
		v.kind = tokBool
		if err := d.literal("false"); err != nil {
			return err
		}
	case 'n':
		v.kind = tokNull
		if err := d.literal("null"); err != nil {
			return err
		}
	case '{', '[':
		v.kind = tokContainer
		if err := d.skip(depth); err != nil {
			return err
		}
	default:
		v.kind = tokNumber
		if err := d.number(&v.num); err != nil {
			return err
		}
	}
	if v.kind != tokString {
		v.text = d.in[start:d.pos]
	}
	for _, t := range n.targets {
		d.assign(n.path, t, &v)
	}
	return nil
}

// literal consumes word (true, false or null).
func (d *Decoder) literal(word string) error {
	if len(d.in)-d.pos < len(word) || string(d.in[d.pos:d.pos+len(word)]) != word {
		return d.syntax("a JSON value")
	}
	d.pos += len(word)
	return nil
}

func (d *Decoder) skipSpace() {
	if d.pos < len(d.in) && d.in[d.pos] > ' ' {
		return
	}
	d.skipSpaceSlow()
}

func (d *Decoder) skipSpaceSlow() {
	for d.pos < len(d.in) {
		switch d.in[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the byte at d.pos, or 0 at the end of the payload.
func (d *Decoder) peek() byte {
	if d.pos < len(d.in) {
		return d.in[d.pos]
	}
	return 0
}

// syntax returns the malformed_json rejection at d.pos.
func (d *Decoder) syntax(want string) *Error {
	got := "the end of the payload"
	if d.pos < len(d.in) {
		got = excerpt(d.in[d.pos:min(d.pos+8, len(d.in))])
	}
	return &Error{Reason: ReasonMalformedJSON, Detail: "offset " + strconv.Itoa(d.pos) + ": got " + got + ", want " + want}
}

func (d *Decoder) tooDeep() *Error {
	return &Error{Reason: ReasonOversized, Detail: "offset " + strconv.Itoa(d.pos) + ": nesting deeper than " + strconv.Itoa(MaxDepth) + " levels"}
}

// jsonType names the JSON type of the value that starts with c.
func jsonType(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

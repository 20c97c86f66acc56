package event

// skip checks the value at d.pos, which is inside depth containers, and
// moves past it. It walks nested containers without recursion, so that a
// deep payload costs no stack; the bits of objects record, innermost last,
// which open containers are objects. It is one state machine, at a value
// or after one, hence its length.
func (d *Decoder) skip(depth int) error {
	var objects uint64 // MaxDepth <= 64
	open := 0
	for {
		// At a value.
		switch c := d.peek(); c {
		case '{', '[':
			if depth+open >= MaxDepth {
				return d.tooDeep()
			}
			d.pos++
			d.skipSpace()
			if d.peek() == c+2 { // empty: '{'+2 is '}' and '['+2 is ']'
				d.pos++
				break
			}
			open++
			objects <<= 1
			if c == '{' {
				objects |= 1
				if _, err := d.objectKey(); err != nil {
					return err
				}
			}
			continue
		case '"':
			if _, err := d.scanString(); err != nil {
				return err
			}
		case 't':
			if err := d.literal("true"); err != nil {
				return err
			}
		case 'f':
			if err := d.literal("false"); err != nil {
				return err
			}
		case 'n':
			if err := d.literal("null"); err != nil {
				return err
			}
		default:
			var dec decimal
			if err := d.number(&dec); err != nil {
				return err
			}
		}
		// After a value: close containers until one continues.
		for {
			if open == 0 {
				return nil
			}
			d.skipSpace()
			closer := byte(']')
			if objects&1 == 1 {
				closer = '}'
			}
			c := d.peek()
			if c == closer {
				d.pos++
				open--
				objects >>= 1
				continue
			}
			if c != ',' {
				return d.syntax("',' or '" + string(closer) + "'")
			}
			d.pos++
			d.skipSpace()
			if objects&1 == 1 {
				if _, err := d.objectKey(); err != nil {
					return err
				}
			}
			break
		}
	}
}

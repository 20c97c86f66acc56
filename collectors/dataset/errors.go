package dataset

import "fmt"

// ParseError reports malformed input at a position in a file.
type ParseError struct {
	// File names the input, as passed to the reader.
	File string
	// Line is the 1-based physical line, counting every newline, including
	// those inside quoted CSV fields.
	Line int
	// Column is 1-based: the field number in CSV, the byte offset within
	// the line in JSON Lines.
	Column int
	// Msg describes the problem.
	Msg string
}

// Error formats the error as file:line:column: message.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

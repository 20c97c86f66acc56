package dataset

import (
	"bytes"
	"fmt"
	"io"
	"slices"
)

// rewinder lets read start an input again: by seeking when it can, or by
// replaying what it recorded.
type rewinder struct {
	r      io.Reader
	seeker io.Seeker
	start  int64
	rec    *recorder
}

func newRewinder(r io.Reader) *rewinder {
	if s, ok := r.(io.Seeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			return &rewinder{r: r, seeker: s, start: off}
		}
	}
	rec := &recorder{r: r}
	return &rewinder{r: rec, rec: rec}
}

func (w *rewinder) rewind() (io.Reader, error) {
	if w.seeker != nil {
		if _, err := w.seeker.Seek(w.start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("rewind input: %w", err)
		}
		return w.r, nil
	}
	return io.MultiReader(bytes.NewReader(slices.Clip(w.rec.buf)), w.rec), nil
}

// recorder keeps a copy of everything read through it.
type recorder struct {
	r   io.Reader
	buf []byte
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

package cli

import (
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// This file shows how far a long command has come: a progress bar on a
// terminal, periodic log lines otherwise, and a file reader that counts
// the bytes read for it.

// Progress is shown for inputs of at least largeData bytes or largeRows
// rows; smaller ones finish too fast for a bar to help.
const (
	largeData = 16 << 20
	largeRows = 1 << 20
	// progressLogEvery bounds how often progress is logged when stderr is
	// not a terminal.
	progressLogEvery = 5 * time.Second
)

type progressUnit string

const (
	unitBytes progressUnit = "bytes"
	unitRows  progressUnit = "rows"
)

// progress shows how far one phase of a command has come: a bar on stderr
// when stderr is a terminal and the input is large, otherwise a log line
// at most every progressLogEvery. Stdout is never written.
type progress struct {
	bar         *progressbar.ProgressBar
	logger      *slog.Logger
	msg, file   string
	unit        progressUnit
	total       int64
	start, last time.Time
}

func newProgress(env *Env, msg, file string, total int64, large bool, unit progressUnit) *progress {
	now := time.Now()
	p := &progress{logger: env.Logger, msg: msg, file: file, unit: unit, total: total, start: now, last: now}
	if !large || !isTerminal(env.Stderr) {
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(msg),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	}
	if unit == unitBytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(string(unit)))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// set records that n units are done.
func (p *progress) set(n int64) {
	if p.bar != nil {
		_ = p.bar.Set64(n) // Errors only for a misconfigured spinner.
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressLogEvery {
		return
	}
	p.last = now
	rate := float64(n) / now.Sub(p.start).Seconds()
	u := string(p.unit)
	p.logger.Info(p.msg, "file", p.file, u, n, "total_"+u, p.total, u+"_per_second", int64(rate))
}

// watch calls set with n() until the returned stop function is called;
// stop returns once watching has ended.
func (p *progress) watch(n func() int64) (stop func()) {
	every := time.Second
	if p.bar != nil {
		every = 100 * time.Millisecond
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.set(n())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// finish completes the phase and clears the bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// abort clears the bar so that an error message starts on a clean line.
func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Clear()
		_ = p.bar.Exit()
	}
}

// countingFile counts the bytes read from a file. It passes Seek through,
// so the dataset reader rewinds it instead of keeping a copy of the input.
type countingFile struct {
	f *os.File
	n atomic.Int64
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingFile) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.f.Seek(offset, whence)
	if err == nil {
		c.n.Store(pos)
	}
	return pos, err
}

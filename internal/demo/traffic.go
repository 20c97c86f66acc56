package demo

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/collectors/event"
)

// DefaultRate is the number of predictions Traffic serves per tick.
const DefaultRate = 250

// Sink receives the demo's events, one JSON object per call: prediction
// events (kind event.KindPrediction) and label events (event.KindLabel),
// as driftwatch's file and Kafka sources read them. The line has no
// newline, and the sink may keep it.
type Sink interface {
	Emit(kind event.Kind, line []byte) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(kind event.Kind, line []byte) error

// Emit calls f.
func (f SinkFunc) Emit(kind event.Kind, line []byte) error { return f(kind, line) }

var _ Sink = SinkFunc(nil)

// WriterSink returns a Sink that writes each prediction event to
// predictions and each label event to labels, as JSON lines: the files of
// ModelConfig's file source.
func WriterSink(predictions, labels io.Writer) Sink {
	return SinkFunc(func(kind event.Kind, line []byte) error {
		w := predictions
		if kind == event.KindLabel {
			w = labels
		}
		_, err := w.Write(append(line, '\n'))
		return err
	})
}

// TrafficOptions configure Traffic. Server and Sink are required.
type TrafficOptions struct {
	// World draws the applications. The zero World has no shift, so set
	// World{Shift: DefaultShift()} for ShiftAt to matter.
	World  World
	Server *Server
	Sink   Sink
	// Recorder, if set, receives every labelled example when its label is
	// emitted.
	Recorder *Recorder
	// Seed seeds the applications; zero is a seed like any other.
	Seed uint64
	// Rate is the number of predictions per tick (default DefaultRate).
	Rate int
	// LabelDelay is how long after its prediction a label is emitted: on
	// the first tick at or after that time, stamped with the tick's time.
	// Zero emits labels on the prediction's own tick.
	LabelDelay time.Duration
	// ShiftAt is when the world shifts: ticks at or after it draw
	// Shifted applications. The zero time never shifts.
	ShiftAt time.Time
}

// Traffic is the demo's stream of loan applications. Every Tick draws
// applications from the world, scores them with the served model and
// emits a prediction event for each, then emits the labels that are due.
//
// Traffic is not safe for concurrent use: one goroutine ticks it. The
// server may swap models meanwhile.
type Traffic struct {
	opts    TrafficOptions
	rng     *rand.Rand
	served  int
	pending []Example // predictions awaiting their label, oldest first
	line    []byte
}

// NewTraffic returns the traffic of opts.
func NewTraffic(opts TrafficOptions) (*Traffic, error) {
	var errs []error
	if opts.Server == nil {
		errs = append(errs, errors.New("TrafficOptions.Server is required"))
	}
	if opts.Sink == nil {
		errs = append(errs, errors.New("TrafficOptions.Sink is required"))
	}
	if err := opts.World.Shift.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("TrafficOptions.World: %w", err))
	}
	if opts.Rate < 0 || opts.LabelDelay < 0 {
		errs = append(errs, fmt.Errorf("TrafficOptions: rate %d and label delay %s must not be negative", opts.Rate, opts.LabelDelay))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	return &Traffic{opts: opts, rng: NewRand(opts.Seed, streamTraffic)}, nil
}

// Phase returns the phase of the world at time now.
func (t *Traffic) Phase(now time.Time) Phase {
	if !t.opts.ShiftAt.IsZero() && !now.Before(t.opts.ShiftAt) {
		return Shifted
	}
	return Baseline
}

// Tick serves Rate applications at time now, then emits every label due
// by now. Ticks should not go back in time. A sink error stops the tick.
func (t *Traffic) Tick(now time.Time) error {
	phase := t.Phase(now)
	for range t.opts.Rate {
		ex := t.opts.World.Draw(t.rng, phase)
		t.served++
		ex.ID = fmt.Sprintf("cr-%08d", t.served)
		ex.Time = now
		m := t.opts.Server.Model()
		if err := t.opts.Sink.Emit(event.KindPrediction, t.predictionLine(m, ex)); err != nil {
			return fmt.Errorf("emit prediction %s: %w", ex.ID, err)
		}
		t.pending = append(t.pending, ex)
	}
	for len(t.pending) > 0 && !now.Before(t.pending[0].Time.Add(t.opts.LabelDelay)) {
		if err := t.label(now); err != nil {
			return err
		}
	}
	return nil
}

// Flush emits every pending label at time now, due or not.
func (t *Traffic) Flush(now time.Time) error {
	for len(t.pending) > 0 {
		if err := t.label(now); err != nil {
			return err
		}
	}
	return nil
}

// Served returns the number of predictions served so far.
func (t *Traffic) Served() int { return t.served }

// label emits the oldest pending label, stamped now, and records it.
func (t *Traffic) label(now time.Time) error {
	ex := t.pending[0]
	if err := t.opts.Sink.Emit(event.KindLabel, t.labelLine(ex, now)); err != nil {
		return fmt.Errorf("emit label %s: %w", ex.ID, err)
	}
	t.pending[0] = Example{}
	t.pending = t.pending[1:]
	if t.opts.Recorder != nil {
		t.opts.Recorder.Add(ex)
	}
	return nil
}

// predictionLine returns the prediction event of ex scored by m:
//
//	{"id":..,"model":..,"model_version":..,"timestamp":..,"features":{..},"prediction":"0","score":0.21}
func (t *Traffic) predictionLine(m *Model, ex Example) []byte {
	score := m.Predict(ex.Row)
	b := t.head(ex.ID, m.Name, ex.Time)
	b = append(b, `,"model_version":`...)
	b = appendString(b, m.Version)
	b = append(b, `,"features":{`...)
	b = ex.Row.appendFields(b)
	b = append(b, `},"prediction":`...)
	b = appendString(b, m.Class(score))
	b = append(b, `,"score":`...)
	b = strconv.AppendFloat(b, score, 'g', -1, 64)
	return t.done(b)
}

// labelLine returns the label event of ex, stamped at:
//
//	{"id":..,"model":..,"timestamp":..,"label":"1"}
func (t *Traffic) labelLine(ex Example, at time.Time) []byte {
	b := t.head(ex.ID, t.opts.Server.Model().Name, at)
	b = append(b, `,"label":`...)
	b = appendString(b, ex.Label())
	return t.done(b)
}

// head starts an event in the reused line buffer.
func (t *Traffic) head(id, model string, at time.Time) []byte {
	b := append(t.line[:0], `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"model":`...)
	b = appendString(b, model)
	b = append(b, `,"timestamp":"`...)
	b = at.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}

// done closes the event and returns a copy the sink may keep.
func (t *Traffic) done(b []byte) []byte {
	b = append(b, '}')
	t.line = b
	return append([]byte(nil), b...)
}

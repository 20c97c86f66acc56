package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// checkpointVersion is the format version of checkpoint files.
const checkpointVersion = 1

// Checkpoint is the durable state of one model's monitor: how far the
// published windows of each stream reach. After a restart, events that
// belong to windows published before it are counted as late instead of
// being counted twice. The package documentation explains when it is
// saved.
type Checkpoint struct {
	// Drift covers the drift windows of prediction and feature events.
	Drift Mark
	// Quality covers the quality windows of label events.
	Quality Mark
}

// Mark is how far the published windows of one stream reach.
type Mark struct {
	// ClosedUntil is, for time windows, the end of the latest published
	// window: events before it are late.
	ClosedUntil time.Time
	// Through is, for count windows, per partition the offset before which
	// every event of the stream is in a published window: events before it
	// are late.
	Through map[string]int64
}

// Equal reports whether two checkpoints are the same.
func (c Checkpoint) Equal(o Checkpoint) bool {
	return c.Drift.equal(o.Drift) && c.Quality.equal(o.Quality)
}

func (m Mark) equal(o Mark) bool {
	return m.ClosedUntil.Equal(o.ClosedUntil) && maps.Equal(m.Through, o.Through)
}

// Checkpointer stores one checkpoint per model, and the model's saved
// label join. Save and SaveJoin must be durable when they return: the
// monitor commits offsets only after them.
type Checkpointer interface {
	// Load returns the model's checkpoint, or ok false when it has none.
	Load(ctx context.Context, model string) (c Checkpoint, ok bool, err error)
	// Save replaces the model's checkpoint.
	Save(ctx context.Context, model string, c Checkpoint) error
	// LoadJoin returns the model's saved label join, or ok false when it
	// has none.
	LoadJoin(ctx context.Context, model string) (data []byte, ok bool, err error)
	// SaveJoin replaces the model's saved label join. It must not keep
	// data, which the monitor reuses.
	SaveJoin(ctx context.Context, model string, data []byte) error
}

var (
	_ Checkpointer = (*FileCheckpointer)(nil)
	_ Checkpointer = (*MemoryCheckpointer)(nil)
)

// FileCheckpointer keeps each model's checkpoint in a small JSON file,
// <dir>/<model>.checkpoint.json, and its label join in <dir>/<model>.join. Save writes a temporary file, syncs it,
// renames it over the old one and syncs the directory, so a crash leaves
// either the old checkpoint or the new one, never a torn file.
type FileCheckpointer struct {
	dir string
}

// NewFileCheckpointer returns a checkpointer writing to dir, which it
// creates if missing.
func NewFileCheckpointer(dir string) (*FileCheckpointer, error) {
	if dir == "" {
		return nil, errors.New("file checkpointer: directory is required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file checkpointer: %w", err)
	}
	return &FileCheckpointer{dir: dir}, nil
}

// checkpointFile is the on-disk form of a Checkpoint. Times are RFC 3339
// with nanoseconds; empty parts are omitted.
type checkpointFile struct {
	Version int       `json:"version"`
	Model   string    `json:"model"`
	Drift   *markFile `json:"drift,omitempty"`
	Quality *markFile `json:"quality,omitempty"`
}

type markFile struct {
	ClosedUntil *time.Time       `json:"closed_until,omitempty"`
	Through     map[string]int64 `json:"through,omitempty"`
}

func toFile(m Mark) *markFile {
	if m.ClosedUntil.IsZero() && len(m.Through) == 0 {
		return nil
	}
	f := &markFile{Through: m.Through}
	if !m.ClosedUntil.IsZero() {
		t := m.ClosedUntil.UTC()
		f.ClosedUntil = &t
	}
	return f
}

func fromFile(f *markFile) Mark {
	var m Mark
	if f == nil {
		return m
	}
	if f.ClosedUntil != nil {
		m.ClosedUntil = f.ClosedUntil.UTC()
	}
	if len(f.Through) > 0 {
		m.Through = f.Through
	}
	return m
}

func (c *FileCheckpointer) path(model string) string {
	return filepath.Join(c.dir, model+".checkpoint.json")
}

// Load reads the model's checkpoint file. A missing file is no checkpoint;
// a file of another version or another model is an error, not a reset, so
// that a mistake cannot silently double-count a published window.
func (c *FileCheckpointer) Load(_ context.Context, model string) (Checkpoint, bool, error) {
	data, err := os.ReadFile(c.path(model))
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("load checkpoint: %w", err)
	}
	var f checkpointFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Checkpoint{}, false, fmt.Errorf("load checkpoint %s: %w", c.path(model), err)
	}
	switch {
	case f.Version != checkpointVersion:
		return Checkpoint{}, false, fmt.Errorf("load checkpoint %s: version %d is not supported (supported: %d)", c.path(model), f.Version, checkpointVersion)
	case f.Model != model:
		return Checkpoint{}, false, fmt.Errorf("load checkpoint %s: it belongs to model %q, not %q", c.path(model), f.Model, model)
	}
	cp := Checkpoint{Drift: fromFile(f.Drift), Quality: fromFile(f.Quality)}
	return cp, true, nil
}

// Save replaces the model's checkpoint file atomically and durably.
func (c *FileCheckpointer) Save(_ context.Context, model string, cp Checkpoint) error {
	f := checkpointFile{Version: checkpointVersion, Model: model, Drift: toFile(cp.Drift), Quality: toFile(cp.Quality)}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := writeFileAtomic(c.path(model), append(data, '\n')); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// LoadJoin reads the model's saved label join.
func (c *FileCheckpointer) LoadJoin(_ context.Context, model string) ([]byte, bool, error) {
	path := filepath.Join(c.dir, model+".join")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load label join: %w", err)
	}
	return data, true, nil
}

// SaveJoin replaces the model's saved label join atomically and durably.
func (c *FileCheckpointer) SaveJoin(_ context.Context, model string, data []byte) error {
	if err := writeFileAtomic(filepath.Join(c.dir, model+".join"), data); err != nil {
		return fmt.Errorf("save label join: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data: write and sync a temporary file
// in the same directory, rename it over path, then sync the directory so
// that the rename itself survives a crash.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// MemoryCheckpointer keeps checkpoints in memory, for tests and for
// callers that accept double counting after a restart. It is safe for
// concurrent use.
type MemoryCheckpointer struct {
	mu    sync.Mutex
	saved map[string]Checkpoint
	joins map[string][]byte
	err   error
}

// NewMemoryCheckpointer returns an empty in-memory checkpointer.
func NewMemoryCheckpointer() *MemoryCheckpointer {
	return &MemoryCheckpointer{saved: map[string]Checkpoint{}, joins: map[string][]byte{}}
}

// LoadJoin returns a copy of the model's last saved label join.
func (c *MemoryCheckpointer) LoadJoin(_ context.Context, model string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.joins[model]
	return slices.Clone(data), ok, nil
}

// SaveJoin stores a copy of the model's label join, or fails with the
// error set by SetErr.
func (c *MemoryCheckpointer) SaveJoin(_ context.Context, model string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("save label join: %w", c.err)
	}
	c.joins[model] = slices.Clone(data)
	return nil
}

// Load returns the model's last saved checkpoint.
func (c *MemoryCheckpointer) Load(_ context.Context, model string) (Checkpoint, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.saved[model]
	return cp.clone(), ok, nil
}

// SetErr makes every later Save fail with err, as a broken disk would;
// nil makes Save work again.
func (c *MemoryCheckpointer) SetErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Save stores the model's checkpoint, or fails with the error set by
// SetErr.
func (c *MemoryCheckpointer) Save(_ context.Context, model string, cp Checkpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("save checkpoint: %w", c.err)
	}
	c.saved[model] = cp.clone()
	return nil
}

func (c Checkpoint) clone() Checkpoint {
	c.Drift.Through = maps.Clone(c.Drift.Through)
	c.Quality.Through = maps.Clone(c.Quality.Through)
	return c
}

// Package store keeps driftwatch's durable state in one embedded database
// file: JSON records in named buckets, read and written in transactions.
//
// It wraps bbolt, and is the only package that imports it. bbolt suits a
// controller that must record a trigger before it answers Alertmanager: it
// is embedded (no server to run, back up or reach over the network), pure
// Go, and transactional, with every committed write transaction fsynced to
// disk before Update returns. One process holds the file at a time; a
// second driftwatch on the same storage directory gets a clear error
// instead of corrupting it.
//
// What the records mean, which buckets exist, and how long records are
// kept are left to the packages that use the store, such as triggers.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultOpenTimeout is how long Open waits for another process to release
// the file when Options.OpenTimeout is zero.
const DefaultOpenTimeout = 2 * time.Second

// ErrStorage marks a failure of the database itself: the file could not be
// read or written, a transaction could not begin or commit, or the
// database is closed. The transaction was rolled back and nothing was
// written, so a caller may retry. Errors returned by a transaction's
// function are passed through unwrapped, and decoding errors are
// *DecodeError, so callers can tell the three apart.
var ErrStorage = errors.New("storage failure")

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("storage dir locked by another driftwatch")

// Options tune Open. The zero value is ready to use.
type Options struct {
	// OpenTimeout bounds the wait for the file lock; zero means
	// DefaultOpenTimeout.
	OpenTimeout time.Duration
}

// DB is an open database file. It is safe for concurrent use: read
// transactions run in parallel, write transactions one at a time.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens the database file at path, creating it (mode 0600) and its
// directory (mode 0700) if they are missing. It fails with ErrLocked when
// another process holds the file for longer than the open timeout.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	timeout := opts.OpenTimeout
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: open %s: %w (waited %s; stop the other process or use another storage.dir)", path, ErrLocked, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{bolt: b, path: path}, nil
}

// Path returns the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock. Transactions in progress finish
// first. Using the DB after Close fails with ErrStorage.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Update runs fn in a write transaction and commits it, fsyncing the file,
// if fn returns nil. If fn or the commit fails, nothing fn wrote is kept.
// An error from fn is returned as it is; a failure of the database wraps
// ErrStorage.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.run(true, fn)
}

// View runs fn in a read-only transaction, which sees a consistent
// snapshot of the database.
func (db *DB) View(fn func(*Tx) error) error {
	return db.run(false, fn)
}

func (db *DB) run(writable bool, fn func(*Tx) error) error {
	btx, err := db.bolt.Begin(writable)
	if err != nil {
		return storageErr("begin transaction", err)
	}
	tx := &Tx{tx: btx}
	if err := fn(tx); err != nil {
		_ = btx.Rollback() // fn's error is the one that matters.
		return err
	}
	if !writable {
		return storageErr("end transaction", btx.Rollback())
	}
	return storageErr("commit", btx.Commit())
}

// storageErr wraps a bbolt error with ErrStorage, or returns nil.
func storageErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w: %w", op, ErrStorage, err)
}

// DecodeError reports a record that is not the JSON its reader expects.
type DecodeError struct {
	Bucket, Key string
	Err         error
}

// Error names the bucket and key of the bad record.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("store: bucket %q key %q: decoding record: %v", e.Bucket, e.Key, e.Err)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Tx is a transaction. It is valid only inside the function given to
// Update or View, and must not be used from other goroutines.
//
// Buckets are created by the first Put or NextSequence; reading a bucket
// that does not exist yet finds nothing.
type Tx struct {
	tx *bolt.Tx
}

// Get decodes the record at key into v and reports whether it exists.
func (t *Tx) Get(bucket, key string, v any) (bool, error) {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return false, nil
	}
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	return true, decode(bucket, key, data, v)
}

// Put stores v as JSON at key, replacing any record there. It fails in a
// read-only transaction.
func (t *Tx) Put(bucket, key string, v any) error {
	if key == "" {
		return fmt.Errorf("store: bucket %q: empty key", bucket)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: bucket %q key %q: encoding record: %w", bucket, key, err)
	}
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return storageErr(fmt.Sprintf("put %s/%s", bucket, key), b.Put([]byte(key), data))
}

// Delete removes the record at key. Deleting a missing record is not an
// error.
func (t *Tx) Delete(bucket, key string) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return storageErr(fmt.Sprintf("delete %s/%s", bucket, key), b.Delete([]byte(key)))
}

// NextSequence returns the bucket's next sequence number, starting at 1.
// It is durable with the transaction, so numbers are never reused.
func (t *Tx) NextSequence(bucket string) (uint64, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return 0, err
	}
	n, err := b.NextSequence()
	return n, storageErr("next sequence of "+bucket, err)
}

// Record is one record met by ForEach. It is valid only during the call
// to the function it is passed to.
type Record struct {
	bucket, key string
	data        []byte
}

// Key returns the record's key.
func (r Record) Key() string { return r.key }

// Decode decodes the record into v.
func (r Record) Decode(v any) error { return decode(r.bucket, r.key, r.data, v) }

// ForEach calls fn for every record of bucket in ascending key order and
// stops at the first error, which it returns. fn must not change the
// bucket; collect keys and delete them after ForEach returns.
func (t *Tx) ForEach(bucket string, fn func(Record) error) error {
	return t.scan(bucket, false, fn)
}

// ForEachReverse is ForEach in descending key order.
func (t *Tx) ForEachReverse(bucket string, fn func(Record) error) error {
	return t.scan(bucket, true, fn)
}

func (t *Tx) scan(bucket string, reverse bool, fn func(Record) error) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	first, next := c.First, c.Next
	if reverse {
		first, next = c.Last, c.Prev
	}
	for k, v := first(); k != nil; k, v = next() {
		if v == nil {
			continue // A nested bucket; the store makes none.
		}
		if err := fn(Record{bucket: bucket, key: string(k), data: v}); err != nil {
			return err
		}
	}
	return nil
}

// bucket returns the named bucket, creating it in a write transaction.
func (t *Tx) bucket(name string) (*bolt.Bucket, error) {
	if !t.tx.Writable() {
		return nil, fmt.Errorf("store: bucket %q: write in a read-only transaction", name)
	}
	if name == "" {
		return nil, errors.New("store: empty bucket name")
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(name))
	return b, storageErr("create bucket "+name, err)
}

func decode(bucket, key string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return &DecodeError{Bucket: bucket, Key: key, Err: err}
	}
	return nil
}

package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/store"
)

type record struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  map[string]string `json:"tags,omitempty"`
}

func open(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{OpenTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestRoundTrip(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "state.db"))
	want := map[string]record{
		"a": {Name: "a", Count: 1},
		"b": {Name: "b", Count: 2, Tags: map[string]string{"k": "v"}},
		"c": {Name: "c", Count: 3},
	}
	var seqs []uint64
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		for k, v := range want {
			if err := tx.Put("things", k, v); err != nil {
				return err
			}
		}
		for range 2 {
			n, err := tx.NextSequence("things")
			if err != nil {
				return err
			}
			seqs = append(seqs, n)
		}
		return tx.Delete("things", "c")
	}))
	delete(want, "c")
	require.Equal(t, []uint64{1, 2}, seqs)

	got := map[string]record{}
	var order, reverse []string
	require.NoError(t, db.View(func(tx *store.Tx) error {
		var r record
		found, err := tx.Get("things", "a", &r)
		require.True(t, found)
		require.Equal(t, want["a"], r)
		if err != nil {
			return err
		}
		found, err = tx.Get("things", "c", &r)
		require.False(t, found)
		if err != nil {
			return err
		}
		found, err = tx.Get("no-such-bucket", "a", &r)
		require.False(t, found)
		if err != nil {
			return err
		}
		if err := tx.ForEach("things", func(rec store.Record) error {
			order = append(order, rec.Key())
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachReverse("things", func(rec store.Record) error {
			var v record
			reverse = append(reverse, rec.Key())
			err := rec.Decode(&v)
			got[rec.Key()] = v
			return err
		})
	}))
	require.Equal(t, []string{"a", "b"}, order)
	require.Equal(t, []string{"b", "a"}, reverse)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		if _, err := tx.NextSequence("things"); err != nil {
			return err
		}
		return tx.Put("things", "a", record{Name: "a", Count: 7})
	}))
	require.NoError(t, db.Close())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	db = open(t, path)
	var r record
	var n uint64
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		if _, err := tx.Get("things", "a", &r); err != nil {
			return err
		}
		n, err = tx.NextSequence("things")
		return err
	}))
	require.Equal(t, record{Name: "a", Count: 7}, r)
	require.Equal(t, uint64(2), n, "sequence numbers survive a restart")
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	open(t, path)
	_, err := store.Open(path, store.Options{OpenTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, store.ErrLocked)
	require.ErrorContains(t, err, "storage dir locked by another driftwatch")
	require.ErrorContains(t, err, path)
}

func TestBadJSONNamesBucketAndKey(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.Put("things", "k1", "not an object")
	}))
	var r record
	err := db.View(func(tx *store.Tx) error {
		_, err := tx.Get("things", "k1", &r)
		return err
	})
	var de *store.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "things", de.Bucket)
	require.Equal(t, "k1", de.Key)
	require.ErrorContains(t, err, `bucket "things" key "k1"`)
	require.NotErrorIs(t, err, store.ErrStorage)

	err = db.View(func(tx *store.Tx) error {
		return tx.ForEach("things", func(rec store.Record) error { return rec.Decode(&r) })
	})
	require.ErrorContains(t, err, `bucket "things" key "k1"`)
}

func TestFailedUpdateWritesNothing(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "state.db"))
	boom := errors.New("boom")
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.Put("things", "a", record{Name: "a"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.NotErrorIs(t, err, store.ErrStorage, "the function's own error is passed through")
	require.NoError(t, db.View(func(tx *store.Tx) error {
		found, err := tx.Get("things", "a", &record{})
		require.False(t, found)
		return err
	}))
}

func TestErrorsAfterClose(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	for name, run := range map[string]func(func(*store.Tx) error) error{"update": db.Update, "view": db.View} {
		t.Run(name, func(t *testing.T) {
			err := run(func(*store.Tx) error { return nil })
			require.ErrorIs(t, err, store.ErrStorage)
		})
	}
}

func TestBadCalls(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "state.db"))
	tests := []struct {
		name string
		fn   func(*store.Tx) error
		want string
	}{
		{"empty key", func(tx *store.Tx) error { return tx.Put("b", "", 1) }, "empty key"},
		{"empty bucket", func(tx *store.Tx) error { return tx.Put("", "k", 1) }, "empty bucket name"},
		{"unencodable", func(tx *store.Tx) error { return tx.Put("b", "k", func() {}) }, `bucket "b" key "k": encoding record`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, db.Update(tt.fn), tt.want)
		})
	}
	err := db.View(func(tx *store.Tx) error { return tx.Put("b", "k", 1) })
	require.ErrorContains(t, err, "read-only transaction")
	_, err = store.Open("", store.Options{})
	require.ErrorContains(t, err, "empty path")
}

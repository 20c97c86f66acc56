package dataset

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// writeNumericCSV writes rows×cols standard normal values, seeded, in the
// shortest form that reads back exactly, as pandas and numpy write them.
func writeNumericCSV(tb testing.TB, path string, rows, cols int, seed uint64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := numericSource(seed)
	buf := make([]byte, 0, 64)
	for j := range cols {
		if j > 0 {
			w.WriteByte(',')
		}
		w.WriteString("f" + strconv.Itoa(j))
	}
	w.WriteByte('\n')
	for range rows {
		for j := range cols {
			if j > 0 {
				w.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], rng.NormFloat64(), 'g', -1, 64)
			w.Write(buf)
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// numericSource returns the generator writeNumericCSV draws from, row by
// row.
func numericSource(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// numericValues returns the columns writeNumericCSV writes.
func numericValues(rows, cols int, seed uint64) [][]float64 {
	rng := numericSource(seed)
	out := make([][]float64, cols)
	for i := range out {
		out[i] = make([]float64, rows)
	}
	for r := range rows {
		for c := range cols {
			out[c][r] = rng.NormFloat64()
		}
	}
	return out
}

// BenchmarkReadCSVNumeric reads 1,000,000 rows of 20 numeric columns.
func BenchmarkReadCSVNumeric(b *testing.B) {
	path := filepath.Join(b.TempDir(), "numeric.csv")
	size := writeNumericCSV(b, path, 1_000_000, 20, 1)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		t, err := ReadFile(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if t.Rows != 1_000_000 || len(t.Columns) != 20 {
			b.Fatalf("got %d rows, %d columns", t.Rows, len(t.Columns))
		}
	}
}

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	require.NoError(t, Write(path, []byte("one")))
	require.NoError(t, Write(path, []byte("two")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	require.NoError(t, Copy(path, filepath.Join(dir, "g.json")))
	got, err = os.ReadFile(filepath.Join(dir, "g.json"))
	require.NoError(t, err)
	require.Equal(t, "two", string(got))

	require.ErrorContains(t, Write(filepath.Join(dir, "missing", "f"), nil), "write "+filepath.Join(dir, "missing", "f"))
}

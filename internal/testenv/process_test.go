package testenv

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// shServer is a server whose binary is a shell script that ignores its
// address and storage.
func shServer(t *testing.T, script string) server {
	return server{
		name: "Fake",
		bin:  "sh",
		dir:  t.TempDir(),
		args: func(listen, storage string) []string { return []string{"-c", script} },
	}
}

func TestStartServerRetriesATakenPort(t *testing.T) {
	s := shServer(t, `echo "listen tcp: bind: address already in use"; exit 1`)
	_, e := runEnding(t, func(tb testing.TB) string {
		url, _ := startServer(tb, s)
		return url
	})
	requireContainsAll(t, e.failed, []string{"testenv: start Fake", "port taken", "Fake exited before it was ready"})
	logs, err := filepath.Glob(filepath.Join(s.dir, "fake-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, serverStartTries, "one log per try")
}

func TestStartServerOtherFailureIsFinal(t *testing.T) {
	s := shServer(t, `echo "bad config"; exit 1`)
	_, e := runEnding(t, func(tb testing.TB) string {
		url, _ := startServer(tb, s)
		return url
	})
	requireContainsAll(t, e.failed, []string{"testenv: start Fake", "Fake exited before it was ready", "fake-1.log"})
	require.NotContains(t, e.failed, "port taken")
	logs, err := filepath.Glob(filepath.Join(s.dir, "fake-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1, "no retry")
}

package secret

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, nil, 0o600))
	env := map[string]string{"TOKEN": "abc", "EMPTY": ""}
	res := Resolver{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Dir: dir}

	tests := []struct {
		name    string
		ref     Ref
		want    string
		wantErr string
	}{
		{name: "env", ref: Ref{Env: "TOKEN"}, want: "abc"},
		{name: "file trims newline", ref: Ref{File: tokenFile}, want: "s3cret"},
		{name: "relative file from Dir", ref: Ref{File: "token"}, want: "s3cret"},
		{name: "unset env", ref: Ref{Env: "NOPE"}, wantErr: "secret from environment variable NOPE: variable is not set"},
		{name: "empty env", ref: Ref{Env: "EMPTY"}, wantErr: "secret from environment variable EMPTY is empty"},
		{name: "empty file", ref: Ref{File: emptyFile}, wantErr: "is empty"},
		{name: "missing file", ref: Ref{File: filepath.Join(dir, "missing")}, wantErr: "no such file"},
		{name: "both", ref: Ref{Env: "TOKEN", File: tokenFile}, wantErr: "set either env or file, not both"},
		{name: "neither", ref: Ref{}, wantErr: "set env or file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := res.Resolve(tc.ref)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

package testenv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequireReturnsValue(t *testing.T) {
	t.Setenv("DRIFTWATCH_TEST_SERVICE", "127.0.0.1:1234")
	got := Require(t, Service{Name: "test", Env: "DRIFTWATCH_TEST_SERVICE"})
	require.Equal(t, "127.0.0.1:1234", got)
}

func TestInCI(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"true", "true", true},
		{"one", "1", true},
		{"false", "false", false},
		{"empty", "", false},
		{"garbage", "maybe", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.value)
			require.Equal(t, tc.want, InCI())
		})
	}
}

package field

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name string
		got  Path
		want string
	}{
		{"root child", Path("").Child("models"), "models"},
		{"nested", NewPath("models").Index(0).Child("features").Index(2).Child("type"), "models[0].features[2].type"},
		{"map key", NewPath("env").Key("TOKEN"), "env[TOKEN]"},
		{"join field", NewPath("models").Index(1).Join("drift.threshold"), "models[1].drift.threshold"},
		{"join index", NewPath("models").Join("[3].name"), "models[3].name"},
		{"join empty", NewPath("server").Join(""), "server"},
		{"join onto root", Path("").Join("server.listen"), "server.listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, string(tc.got))
		})
	}
}

func TestPrefix(t *testing.T) {
	inner := errors.Join(
		Invalid("type", "unknown type %q", "floatt"),
		errors.New("plain problem"),
		errors.Join(Required("name")),
	)
	err := Prefix(NewPath("models").Index(0).Child("features").Index(2), inner)
	var got []string
	for _, e := range Flatten(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`models[0].features[2].type: unknown type "floatt"`,
		`models[0].features[2]: plain problem`,
		`models[0].features[2].name: is required`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Prefix (-want +got):\n%s", diff)
	}
	require.NoError(t, Prefix("x", nil))
	require.NoError(t, Wrap("x", nil))
}

func TestList(t *testing.T) {
	var l List
	require.NoError(t, l.Err())
	l.Add("a", nil)
	require.NoError(t, l.Err())
	l.Addf("a.b", "must be positive, got %d", -1)
	l.Add("c", errors.New("broken"))
	require.EqualError(t, l.Err(), "a.b: must be positive, got -1\nc: broken")
}

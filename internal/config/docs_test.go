package config

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReferenceDocumentsEveryKey keeps docs/config.md true: every key the
// loader accepts must appear in it, as `key` or as the end of a dotted path.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	require.NoError(t, err)
	keys := map[string]bool{}
	collectKeys(reflect.TypeOf(Config{}), keys)
	require.Greater(t, len(keys), 50)
	var missing []string
	for k := range keys {
		re := regexp.MustCompile("`([a-z_\\[\\]]+\\.)*" + regexp.QuoteMeta(k) + "[`.\\[]")
		if !re.Match(doc) {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "keys missing from docs/config.md")
}

func collectKeys(t reflect.Type, keys map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
		return
	}
	for name, idx := range yamlFields(t) {
		keys[name] = true
		collectKeys(t.Field(idx).Type, keys)
	}
}

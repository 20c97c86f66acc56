package source

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// TestRejectLog checks that rejections are logged at most once per reason
// per interval, each line with the count since the previous one.
func TestRejectLog(t *testing.T) {
	var buf bytes.Buffer
	now := t0
	r := newRejectLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey {
				return slog.Attr{}
			}
			return a
		},
	})), 10*time.Second, func() time.Time { return now })
	at := func(offset int64) monitor.Position { return monitor.Position{Partition: "t/0", Offset: offset} }
	bad := errors.New("event rejected: malformed_json")

	r.add(event.ReasonMalformedJSON, bad, at(1)) // logged at once
	for i := range 5 {
		now = now.Add(time.Second)
		r.add(event.ReasonMalformedJSON, bad, at(int64(2+i)))
	}
	r.add(event.ReasonMissingField, errors.New("event rejected: missing_field: id"), at(7)) // another reason
	now = now.Add(6 * time.Second)
	r.add(event.ReasonMalformedJSON, bad, at(8)) // 11 s after the first line
	now = now.Add(time.Second)
	r.add(event.ReasonMalformedJSON, bad, at(9))
	r.flush()

	want := []string{
		`reason=malformed_json count=1 partition=t/0 offset=1 example="event rejected: malformed_json"`,
		`reason=missing_field count=1 partition=t/0 offset=7 example="event rejected: missing_field: id"`,
		`reason=malformed_json count=6 partition=t/0 offset=8 example="event rejected: malformed_json"`,
		`reason=malformed_json count=1 partition=t/0 offset=9 example="event rejected: malformed_json"`,
	}
	require.Equal(t, want, strings.Split(strings.TrimSpace(buf.String()), "\n"))
}

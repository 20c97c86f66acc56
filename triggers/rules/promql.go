package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// selector returns a PromQL instant vector selector for metric with
// equality matchers, given as name, value pairs.
func selector(metric string, pairs ...string) string {
	var b strings.Builder
	b.WriteString(metric)
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteByte('=')
		b.WriteString(strconv.Quote(pairs[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

// number formats a threshold in the shortest form that parses back to the
// same float64.
func number(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// durationUnits are the units Duration writes, largest first. Prometheus
// also knows days, weeks and years; hours read more plainly next to the
// configuration's Go durations.
var durationUnits = []struct {
	unit string
	d    time.Duration
}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}

// Duration formats d in Prometheus's duration syntax, such as 1h30m or 0s.
// Prometheus counts in whole milliseconds, so a negative d or one with a
// finer part is an error.
func Duration(d time.Duration) (string, error) {
	if d < 0 || d%time.Millisecond != 0 {
		return "", fmt.Errorf("%s is not a whole, non-negative number of milliseconds", d)
	}
	if d == 0 {
		return "0s", nil
	}
	var b strings.Builder
	for _, u := range durationUnits {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.unit)
			d -= n * u.d
		}
	}
	return b.String(), nil
}

// mustDuration formats one of the package's own constant durations.
func mustDuration(d time.Duration) string {
	s, err := Duration(d)
	if err != nil {
		panic("rules: bad constant duration: " + err.Error())
	}
	return s
}

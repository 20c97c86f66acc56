package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample is what one scrape of driftwatch's /metrics tells the benchmark.
type sample struct {
	at time.Time
	// consumed sums driftwatch_events_consumed_total of the model over
	// streams and outcomes; outcomes splits it.
	consumed float64
	outcomes map[string]float64
	// windows sums driftwatch_window_closed_total of the drift windows by
	// outcome.
	windows   map[string]float64
	heapInuse float64
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

func scrape(ctx context.Context, base string) (sample, error) {
	s := sample{outcomes: map[string]float64{}, windows: map[string]float64{}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return s, err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return s, err
	}
	defer res.Body.Close()
	s.at = time.Now()
	if res.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /metrics: %s", res.Status)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "driftwatch_events_consumed_total{"):
			v, labels, err := parseSample(line)
			if err != nil {
				return s, err
			}
			if labels["model"] == modelName {
				s.consumed += v
				s.outcomes[labels["outcome"]] += v
			}
		case strings.HasPrefix(line, "driftwatch_window_closed_total{"):
			v, labels, err := parseSample(line)
			if err != nil {
				return s, err
			}
			if labels["model"] == modelName && labels["window"] == "drift" {
				s.windows[labels["outcome"]] += v
			}
		case strings.HasPrefix(line, "go_memstats_heap_inuse_bytes "):
			v, _, err := parseSample(line)
			if err != nil {
				return s, err
			}
			s.heapInuse = v
		}
	}
	return s, sc.Err()
}

// parseSample parses one line of the text exposition with simple label
// values (no escaped quotes or commas, which driftwatch's bounded label
// values never have).
func parseSample(line string) (float64, map[string]string, error) {
	labels := map[string]string{}
	// Without labels, the value follows the name after a space.
	rest := line[strings.IndexByte(line, ' ')+1:]
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return 0, nil, fmt.Errorf("malformed sample %q", line)
		}
		for pair := range strings.SplitSeq(line[i+1:j], ",") {
			k, v, ok := strings.Cut(pair, "=")
			if ok {
				labels[k] = strings.Trim(v, `"`)
			}
		}
		rest = line[j+1:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return 0, nil, fmt.Errorf("malformed sample %q", line)
	}
	// The value, perhaps followed by a timestamp.
	v, err := strconv.ParseFloat(f[0], 64)
	return v, labels, err
}

// ready reports whether /readyz answers 200.
func ready(ctx context.Context, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return false
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

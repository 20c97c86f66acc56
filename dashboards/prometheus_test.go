package dashboards_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// prometheusServer is a private Prometheus started for one test.
type prometheusServer struct {
	*testenv.PrometheusInstance
}

// startPrometheus starts a private Prometheus that scrapes target
// (host:port) every second as job driftwatch, and returns once it is
// ready. It is stopped when the test ends, and its log is shown if the
// test failed.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()
	return &prometheusServer{testenv.StartPrometheus(t, fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: driftwatch
    static_configs:
      - targets: [%q]
`, target), nil)}
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// number is the sample's value; Prometheus sends values as strings, with
// NaN and ±Inf spelt out.
func (s sample) number() float64 {
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return 0
	}
	return v
}

// query runs an instant query through Prometheus's HTTP API and returns
// its vector, or the error Prometheus reports, such as a parse error.
func (p *prometheusServer) query(expr string) ([]sample, error) {
	resp, err := http.Get(p.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode answer (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: %s", body.ErrorType, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result is a %s, not a vector", body.Data.ResultType)
	}
	var out []sample
	return out, json.Unmarshal(body.Data.Result, &out)
}

// waitFor waits until expr returns a non-empty vector: until Prometheus
// has scraped what the test waits for.
func (p *prometheusServer) waitFor(t *testing.T, expr, what string) {
	t.Helper()
	require.Eventually(t, func() bool {
		v, err := p.query(expr)
		require.NoError(t, err, expr)
		return len(v) > 0
	}, 2*time.Minute, 100*time.Millisecond, "Prometheus never saw %s: %s", what, expr)
}

package silence

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// operation is an API call, the operation label of the request counter.
type operation string

// The operations.
const (
	opCreate operation = "create"
	opGet    operation = "get"
	opExpire operation = "expire"
)

// result is how an API call ended, the result label of the request counter.
// The set is fixed so that the label stays bounded.
type result string

// The results.
const (
	resultSuccess     result = "success"
	resultNotFound    result = "not_found"
	resultClientError result = "client_error"
	resultServerError result = "server_error"
	resultTimeout     result = "timeout"
	resultCanceled    result = "canceled"
	resultNetwork     result = "network_error"
	resultBadAnswer   result = "invalid_answer"
)

var (
	operations = []operation{opCreate, opGet, opExpire}
	results    = []result{resultSuccess, resultNotFound, resultClientError, resultServerError, resultTimeout, resultCanceled, resultNetwork, resultBadAnswer}
)

// metrics are the client's metrics.
type metrics struct {
	requests *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_alertmanager_requests_total",
			Help: "Calls to Alertmanager's silence API, by operation (create, get, expire) and result (success, not_found, client_error, server_error, timeout, canceled, network_error, invalid_answer).",
		}, []string{"operation", "result"}),
	}
	if err := reg.Register(m.requests); err != nil {
		return nil, fmt.Errorf("silence: register metrics: %w", err)
	}
	// Export every series at zero, so that a rate over errors exists
	// before the first error.
	for _, op := range operations {
		for _, r := range results {
			m.requests.WithLabelValues(string(op), string(r))
		}
	}
	return m, nil
}

// classify maps a call's error to its result. ctx is the call's context:
// its deadline is the client's timeout, or the caller's if that is sooner.
func classify(ctx context.Context, err error) result {
	var se *statusError
	switch {
	case err == nil:
		return resultSuccess
	case errors.Is(err, ErrNotFound):
		return resultNotFound
	case errors.As(err, &se) && se.code >= http.StatusInternalServerError:
		return resultServerError
	case errors.As(err, &se):
		return resultClientError
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return resultTimeout
	case errors.Is(err, context.Canceled):
		return resultCanceled
	case errors.Is(err, errBadAnswer):
		return resultBadAnswer
	}
	return resultNetwork
}

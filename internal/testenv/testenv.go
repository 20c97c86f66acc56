// Package testenv tells tests where the real services started by
// scripts/services.sh are listening, and starts private Prometheus and
// Alertmanager servers for tests that need one of their own.
//
// A test that needs a service asks for it here. Outside CI a missing service
// skips the test with a message that says how to start it; under CI=true it
// fails the test, because CI must never pass by skipping. Starting the
// shared services and installing the binaries is left to the scripts.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// Service names a real service and the environment variable that locates it.
type Service struct {
	Name string
	Env  string
}

// The services the harness can start.
var (
	Kafka           = Service{Name: "kafka", Env: "DRIFTWATCH_KAFKA_BROKERS"}
	Prometheus      = Service{Name: "prometheus", Env: "DRIFTWATCH_PROMETHEUS_URL"}
	PrometheusBin   = Service{Name: "prometheus", Env: "DRIFTWATCH_PROMETHEUS_BIN"}
	Promtool        = Service{Name: "prometheus", Env: "DRIFTWATCH_PROMTOOL_BIN"}
	Alertmanager    = Service{Name: "alertmanager", Env: "DRIFTWATCH_ALERTMANAGER_URL"}
	AlertmanagerBin = Service{Name: "alertmanager", Env: "DRIFTWATCH_ALERTMANAGER_BIN"}
	Amtool          = Service{Name: "alertmanager", Env: "DRIFTWATCH_AMTOOL_BIN"}
)

// InCI reports whether the tests run under CI, where every service is
// required.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Require returns the value that locates s, or skips the test (fails it
// under CI) when the harness has not provided it.
func Require(t testing.TB, s Service) string {
	t.Helper()
	if v := os.Getenv(s.Env); v != "" {
		return v
	}
	msg := s.Env + " is not set: this test needs a real " + s.Name +
		". Run `make test`, or `scripts/services.sh up " + s.Name +
		"` and source the env file it writes"
	if InCI() {
		t.Fatal(msg + " (CI=true: a missing service is a failure, not a skip)")
	}
	t.Skip(msg)
	return ""
}

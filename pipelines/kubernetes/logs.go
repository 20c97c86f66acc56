package kubernetes

import (
	"log/slog"

	"k8s.io/klog/v2"
)

// RouteClientLogs sends what client-go logs (through klog, to standard
// error by default) to l instead, so that driftwatch's logs stay in one
// format. klog is process-wide: the last call wins. Call it once, before
// the first Kubernetes client is made.
func RouteClientLogs(l *slog.Logger) {
	klog.SetSlogLogger(l.With("component", "client-go"))
}

// Package leader elects one driftwatch replica to run the control half:
// the durable store, the trigger engine, the pipeline runner, the webhook
// and the API. The replicas compete for a coordination.k8s.io Lease with
// client-go's leader election; this package is, besides
// pipelines/kubernetes, the only one that imports client-go.
//
// An Elector campaigns until its context ends. Each time it wins, it calls
// the caller's lead function with a context that ends when the leadership
// does, and it gives the Lease up only after lead has returned: the
// caller closes what it opened (the store) before another replica may
// take over. When the context ends, the Elector keeps renewing the Lease
// while lead winds down, then releases it at once, so a standby takes over
// within a retry period instead of waiting for the Lease to expire. A
// replica that crashes leaves the Lease to expire after its duration.
//
// With a pod name, the Elector also labels its pod driftwatch.dev/role=leader
// while it leads and standby otherwise, so that a Service can send
// Alertmanager and API clients to the leader only.
//
// What the control half is, and what a standby answers meanwhile, are
// left to the caller (internal/app).
package leader

// Package pipelines turns a retraining request into a new model in
// production, or a reasoned refusal.
//
// A Runner takes runs from a Source and drives each through train,
// evaluate, gate, deploy and verify, writing every transition to the store
// before acting on it, so that a restarted driftwatch resumes each run
// where it stopped. This package owns the pipeline configuration, the run
// state machine and its records, the step contract (templated commands,
// the DRIFTWATCH_* environment, the validated JSON result), the gate
// (Judge), the deploy targets (the command target, and the Deployer and
// Promoter seams for the others) with rollback and canary promotion, the
// model registry with lineage and champion history, the HTTP API over runs
// and models, and the pipeline metrics. docs/pipelines.md documents them.
//
// It leaves to others: when to run (package triggers, behind Source),
// where steps run and serving systems are changed (executors behind
// Executor and deployers behind Deployer: pipelines/local and
// pipelines/kubernetes), pointing the monitor at a new version and
// reporting what it sees of it (the app, behind Switcher and Observer),
// and mounting the API behind authentication (internal/server).
package pipelines

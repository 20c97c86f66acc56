// Package pipelines turns a retraining request into a new model in
// production, or a reasoned refusal.
//
// A run moves through retrain, evaluate, gate, deploy and verify, with each
// transition persisted before it is acted on. This package owns the pipeline
// configuration, the run state machine, the gate and the model registry.
// Executing steps is left to executors (local processes or Kubernetes Jobs),
// and deciding when to run is left to package triggers.
package pipelines

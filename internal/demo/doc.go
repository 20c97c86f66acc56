// Package demo is the machine-learning half of `driftwatch demo`: a
// synthetic credit-risk world, a logistic-regression model of it, the model
// served with traffic, and the train and evaluate steps of its retraining
// pipeline.
//
// The world (World) draws loan applications over twelve features, numeric
// and categorical, and labels each with a true default probability that is
// logistic in the features plus an interaction. A Shift moves the world
// after a while, as a recession would: incomes fall, card utilization and
// unemployment rise, and the relation between the features and default
// moves, so a model trained before the shift loses quality after it. Every
// draw takes a caller's seeded generator (NewRand), so a demo replays
// exactly.
//
// The model (Model) standardises the numeric features, one-hot encodes the
// categorical ones and is fitted by Fit with Newton's method (iteratively
// reweighted least squares) under an L2 penalty. It is stored as a small
// JSON artifact. Metrics come from package drift/quality, so they are the
// numbers driftwatch's monitor computes.
//
// A Server holds the model being served and swaps in a new artifact
// atomically; Traffic draws applications on every tick, scores them with the
// served model and emits prediction events and delayed label events as the
// JSON lines driftwatch's sources decode, and a Recorder keeps the recent
// labelled applications that retraining reads. TrainStep and EvaluateStep
// are the pipeline steps, driven by the DRIFTWATCH_* environment of the
// step contract. InitialState writes what the demo starts from: the model
// configuration, the first champion and its reference profile.
//
// Running the monitor, the alert evaluator, the trigger engine and the
// pipeline runner, pacing the ticks and printing the timeline are left to
// the demo command that wires this package to them.
package demo

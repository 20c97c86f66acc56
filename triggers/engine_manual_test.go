package triggers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

func TestRequestRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  triggers.ManualRequest
		want string
	}{
		{"no model", triggers.ManualRequest{Reason: "r"}, "model is required"},
		{"unknown model", triggers.ManualRequest{Model: "fraud", Reason: "r"},
			`unknown model "fraud", or a model without pipelines (models with pipelines: churn, credit-risk)`},
		{"several pipelines", triggers.ManualRequest{Model: churn, Reason: "r"},
			`model "churn" has several pipelines (finetune-churn, retrain-churn); name one`},
		{"unknown pipeline", triggers.ManualRequest{Model: credit, Pipeline: "retrain", Reason: "r"},
			`unknown pipeline "retrain" (pipelines of model credit-risk: retrain-credit)`},
		{"pipeline of another model", triggers.ManualRequest{Model: credit, Pipeline: "retrain-churn", Reason: "r"},
			`pipeline "retrain-churn" retrains model "churn", not "credit-risk"`},
		{"no reason", triggers.ManualRequest{Model: credit, Reason: "  "}, "reason is required"},
		{"bad param names", triggers.ManualRequest{Model: credit, Reason: "r", Params: map[string]string{"git sha": "1", "9lives": "2", "ok_name": "3"}},
			`param "9lives": a name is a letter or underscore, then letters, digits or underscores, at most 128; param "git sha"`},
		{"param value too long", triggers.ManualRequest{Model: credit, Reason: "r", Params: map[string]string{"notes": strings.Repeat("x", 5000)}},
			"param notes: value is 5000 bytes long, more than 4096"},
		{"param value not text", triggers.ManualRequest{Model: credit, Reason: "r", Params: map[string]string{"blob": "a\x00b"}},
			"param blob: value is not valid UTF-8 text"},
		{"every problem at once", triggers.ManualRequest{Model: "fraud"}, `unknown model "fraud", or a model without pipelines (models with pipelines: churn, credit-risk); reason is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, driftRules()...))
			_, err := f.engine.Request(context.Background(), tt.req)
			require.ErrorIs(t, err, triggers.ErrInvalid)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, f.decisions())
		})
	}
}

func TestRequest(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	req := triggers.ManualRequest{
		Model: credit, Reason: "new labelled data", RequestedBy: "alice",
		Params:         map[string]string{"git_sha": "4f2a9c1", "dataset_version": "2026-03-01", "learning_rate": "0.05"},
		IdempotencyKey: "deploy-42",
	}
	d := f.request(req)
	require.Equal(t, triggers.OutcomeStarted, d.Outcome)
	require.Equal(t, triggers.OriginManual, d.Origin)
	require.Equal(t, "manual|deploy-42", d.Key)
	require.Equal(t, t0, d.At)
	runs := f.runs(triggers.RunFilter{})
	require.Len(t, runs, 1)
	run := runs[0]
	require.Equal(t, d.RunID, run.ID)
	require.Equal(t, "retrain-credit", run.Pipeline, "the model's only pipeline")
	require.Equal(t, req.Params, run.Params)
	require.Equal(t, "alice", run.RequestedBy)
	require.Equal(t, "new labelled data", run.Reason)

	t.Run("retry returns the first decision", func(t *testing.T) {
		again := f.request(req)
		require.Equal(t, d, again)
		require.Len(t, f.runs(triggers.RunFilter{}), 1)
		require.Equal(t, 1.0, f.decisionCount(credit, triggers.OriginManual, triggers.OutcomeDeduplicated))
	})
	t.Run("key reused for another request", func(t *testing.T) {
		other := req
		other.Params = map[string]string{"git_sha": "0000000"}
		_, err := f.engine.Request(context.Background(), other)
		require.ErrorIs(t, err, triggers.ErrInvalid)
		require.ErrorContains(t, err, `idempotency key "deploy-42" was already used for a different request`)
	})
	t.Run("concurrency applies", func(t *testing.T) {
		d := f.request(triggers.ManualRequest{Model: credit, Reason: "again"})
		require.Equal(t, triggers.OutcomeConcurrency, d.Outcome)
		require.Empty(t, d.RunID)
	})
	t.Run("cooldown does not apply", func(t *testing.T) {
		f.next()
		f.finish(d.RunID, triggers.RunSucceeded)
		alert := f.notify(notification(credit, featureAlert(credit, "income", t0)))
		require.Equal(t, triggers.OutcomeCooldown, alert[0].Outcome, "alerts wait for the cooldown")
		manual := f.request(triggers.ManualRequest{Model: credit, Reason: "a person decided"})
		require.Equal(t, triggers.OutcomeStarted, manual.Outcome, "a person does not")
	})
}

package triggers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on manual requests, so that a request cannot bloat the store or
// the run's environment.
const (
	maxParams         = 64
	maxParamValueLen  = 4096
	maxIdentifierLen  = 256 // idempotency key and requested_by
	manualDefaultSlot = 1   // per-model limit when no rule names the model
)

// paramName is the syntax of a parameter name: steps see parameters as
// template values and environment variables.
var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// idempotencyRecord remembers a manual request by its idempotency key.
type idempotencyRecord struct {
	// Request is a hash of what was asked, so that a key reused for a
	// different request is refused.
	Request  string         `json:"request"`
	Decision decisionRecord `json:"decision"`
	LastSeen time.Time      `json:"last_seen"`
}

// Request asks for a run by hand. A manual request skips cooldown, since
// a person asked for it, but not the model's concurrency limit: it never
// runs two retrainings of a model at once behind the policies' back. With
// an IdempotencyKey, a retried request returns the first request's
// decision and requests nothing new. An unknown model or pipeline, or bad
// parameters, fail with an error wrapping ErrInvalid.
func (e *Engine) Request(ctx context.Context, r ManualRequest) (Decision, error) {
	pipeline, err := e.checkRequest(r)
	if err != nil {
		return Decision{}, err
	}
	model := e.pipelines[pipeline]
	hash := requestHash(model, pipeline, r)
	var first *Decision
	_, err = e.update(ctx, "manual request", func(t *txn) error {
		var rec idempotencyRecord
		if r.IdempotencyKey != "" {
			found, err := t.tx.Get(bucketIdempotency, r.IdempotencyKey, &rec)
			if err != nil {
				return err
			}
			if found {
				return t.repeatRequest(r, hash, rec, &first)
			}
		}
		_, err := t.request(runRequest{
			key: manualKey(r.IdempotencyKey), origin: OriginManual, pipeline: pipeline, model: model,
			reason: strings.TrimSpace(r.Reason), params: maps.Clone(r.Params), requestedBy: r.RequestedBy,
			maxConcurrent: e.manualLimit(model), silence: e.manualSilence(pipeline),
		})
		if err != nil {
			return err
		}
		d := t.decisions[len(t.decisions)-1] // As recorded, with its time.
		first = &d
		if r.IdempotencyKey == "" {
			return nil
		}
		rec = idempotencyRecord{Request: hash, Decision: recordOf(d), LastSeen: t.now}
		return t.tx.Put(bucketIdempotency, r.IdempotencyKey, rec)
	})
	if err != nil {
		return Decision{}, err
	}
	return *first, nil
}

// repeatRequest answers a retried manual request with the first decision,
// and records the retry as deduplicated.
func (t *txn) repeatRequest(r ManualRequest, hash string, rec idempotencyRecord, first **Decision) error {
	if rec.Request != hash {
		return fmt.Errorf("%w: idempotency key %q was already used for a different request (model, pipeline, reason or params differ)", ErrInvalid, r.IdempotencyKey)
	}
	d := rec.Decision.decision()
	*first = &d
	rec.LastSeen = t.now
	if err := t.tx.Put(bucketIdempotency, r.IdempotencyKey, rec); err != nil {
		return err
	}
	return t.decide(duplicate(d.Key, OriginManual, "", ruleResult{Model: d.Model, Outcome: d.Outcome, RunID: d.RunID}, d.At))
}

func manualKey(idempotencyKey string) string {
	if idempotencyKey == "" {
		return ""
	}
	return "manual|" + idempotencyKey
}

// checkRequest checks a manual request, reports every problem at once,
// and returns the pipeline to run.
func (e *Engine) checkRequest(r ManualRequest) (string, error) {
	var problems []string
	pipeline, err := e.pickPipeline(r.Model, r.Pipeline)
	if err != "" {
		problems = append(problems, err)
	}
	if strings.TrimSpace(r.Reason) == "" {
		problems = append(problems, "reason is required: say why the model is retrained")
	} else if len(r.Reason) > maxReasonLen {
		problems = append(problems, fmt.Sprintf("reason is %d bytes long, more than %d", len(r.Reason), maxReasonLen))
	}
	if len(r.Params) > maxParams {
		problems = append(problems, fmt.Sprintf("%d params, more than %d", len(r.Params), maxParams))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		v := r.Params[k]
		switch {
		case !paramName.MatchString(k):
			problems = append(problems, fmt.Sprintf("param %q: a name is a letter or underscore, then letters, digits or underscores, at most 128", k))
		case len(v) > maxParamValueLen:
			problems = append(problems, fmt.Sprintf("param %s: value is %d bytes long, more than %d", k, len(v), maxParamValueLen))
		case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			problems = append(problems, fmt.Sprintf("param %s: value is not valid UTF-8 text", k))
		}
	}
	if len(r.IdempotencyKey) > maxIdentifierLen {
		problems = append(problems, fmt.Sprintf("idempotency key is %d bytes long, more than %d", len(r.IdempotencyKey), maxIdentifierLen))
	}
	if len(r.RequestedBy) > maxIdentifierLen {
		problems = append(problems, fmt.Sprintf("requested_by is %d bytes long, more than %d", len(r.RequestedBy), maxIdentifierLen))
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return pipeline, nil
}

// pickPipeline returns the pipeline a manual request runs, or a problem.
func (e *Engine) pickPipeline(model, pipeline string) (string, string) {
	if model == "" {
		return "", "model is required"
	}
	var ofModel []string
	for p, m := range e.pipelines {
		if m == model {
			ofModel = append(ofModel, p)
		}
	}
	slices.Sort(ofModel)
	switch {
	case len(ofModel) == 0:
		return "", fmt.Sprintf("unknown model %q, or a model without pipelines (models with pipelines: %s)", model, listOf(e.models))
	case pipeline == "" && len(ofModel) > 1:
		return "", fmt.Sprintf("model %q has several pipelines (%s); name one", model, listOf(ofModel))
	case pipeline == "":
		return ofModel[0], ""
	}
	if m, ok := e.pipelines[pipeline]; !ok {
		return "", fmt.Sprintf("unknown pipeline %q (pipelines of model %s: %s)", pipeline, model, listOf(ofModel))
	} else if m != model {
		return "", fmt.Sprintf("pipeline %q retrains model %q, not %q", pipeline, m, model)
	}
	return pipeline, ""
}

// manualLimit is the per-model concurrency limit of a manual request: the
// largest max_concurrent of the rules that run one of the model's
// pipelines, or 1 when none does.
func (e *Engine) manualLimit(model string) int {
	limit := 0
	for _, r := range e.rules {
		if r.model == model {
			limit = max(limit, r.MaxConcurrent)
		}
	}
	if limit == 0 {
		return manualDefaultSlot
	}
	return limit
}

// manualSilence reports whether a manual run of the pipeline silences the
// model's alerts: when some rule of the pipeline silences its runs.
func (e *Engine) manualSilence(pipeline string) bool {
	return slices.ContainsFunc(e.rules, func(r *compiledRule) bool { return r.Pipeline == pipeline && r.Silence })
}

// requestHash identifies what a manual request asks for.
func requestHash(model, pipeline string, r ManualRequest) string {
	b, _ := json.Marshal(struct {
		Model, Pipeline, Reason string
		Params                  map[string]string
	}{model, pipeline, strings.TrimSpace(r.Reason), r.Params}) // Cannot fail: strings only.
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

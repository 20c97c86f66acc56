// Package webhook is driftwatch's HTTP intake of triggers: the Alertmanager
// webhook (POST /webhooks/alertmanager) and manual run requests (POST
// /api/v1/runs).
//
// It decodes and validates requests, converts them to the types of package
// triggers and hands them to a Notifier or a Requester, the trigger engine,
// which stores them durably and decides what runs. Nothing reaches the
// engine unless the whole request is valid. Authentication is left to
// internal/server, which answers 401 before a handler sees a request; the
// handlers are mounted there with Server.Handle.
//
// The Alertmanager webhook decodes the version 4 payload with Alertmanager's
// template types, leniently: fields it does not know are ignored, because
// newer Alertmanagers add some. An alert without a fingerprint gets the one
// Alertmanager computes from its labels. Alertmanager retries on 5xx and
// gives up on 4xx, so the webhook answers 4xx only for requests that can
// never succeed. Its answers, checked in this order:
//
//	405  the method is not POST (with Allow: POST)
//	415  Content-Type is not application/json or a +json type
//	413  the body is larger than MaxBodyBytes, or than server.max_body_bytes
//	400  the body is not JSON, is cut short, or has a value of the wrong type
//	422  version is not "4"; groupKey is missing; alerts is empty; an alert's
//	     status is not firing or resolved; an alert has no startsAt
//	422  the engine's error wraps triggers.ErrInvalid
//	503  any other error of the engine, such as triggers.ErrUnavailable
//	     (with Retry-After); nothing was stored, and Alertmanager retries
//	200  the engine stored the notification; the body lists its decisions
//
// A wrong version is answered 422, not 400: the body is well-formed JSON
// that driftwatch cannot use, and no retry will change that. Every error
// body is JSON with "error" and, for 422, "problems" naming each bad field.
//
// POST /api/v1/runs decodes strictly: an unknown field is answered 400 and
// named. Its answers:
//
//	405, 415, 413  as for the webhook
//	400  the body is not JSON, has an unknown field or a value of the wrong type
//	422  model or reason is missing, a params key is empty, or the engine's
//	     error wraps triggers.ErrInvalid (such as an unknown model)
//	503  any other error of the engine (with Retry-After)
//	201  a run was requested: outcome started or queued
//	200  the request repeats an earlier one: outcome deduplicated
//	409  no run was requested, such as suppressed_concurrency; the body's
//	     error and decision say why
//
// Both handlers log every request with its status, and count it in
// driftwatch_webhook_requests_total or driftwatch_api_run_requests_total
// by status. driftwatch_webhook_alerts_total counts the alerts of accepted
// notifications, by alert status.
package webhook

package silence

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
)

// This file is the only one that knows the shape of API v2's silences.

// postSilencesOK is the answer to POST /api/v2/silences. The spec declares
// it inline, so the models have no type for it.
type postSilencesOK struct {
	SilenceID string `json:"silenceID"`
}

// create posts a new silence and returns its ID.
func (c *Client) create(ctx context.Context, ms []Matcher, startsAt, endsAt time.Time, comment string) (string, error) {
	return c.post(ctx, postable(ms, startsAt, endsAt, c.createdBy, comment))
}

// post sends s as it is. SilenceModel checks its input first; tests call
// post directly to see how Alertmanager answers what SilenceModel refuses.
func (c *Client) post(ctx context.Context, s *models.PostableSilence) (string, error) {
	if err := s.Validate(strfmt.Default); err != nil {
		return "", fmt.Errorf("invalid silence: %w", err)
	}
	var out postSilencesOK
	if err := c.do(ctx, opCreate, http.MethodPost, c.endpoint("silences"), s, &out); err != nil {
		return "", err
	}
	if out.SilenceID == "" {
		return "", errors.New("alertmanager answered without a silence ID")
	}
	return out.SilenceID, nil
}

func (c *Client) expire(ctx context.Context, id string) error {
	return c.do(ctx, opExpire, http.MethodDelete, c.endpoint("silence", url.PathEscape(id)), nil, nil)
}

func (c *Client) get(ctx context.Context, id string) (Silence, error) {
	var g models.GettableSilence
	if err := c.do(ctx, opGet, http.MethodGet, c.endpoint("silence", url.PathEscape(id)), nil, &g); err != nil {
		return Silence{}, err
	}
	return fromGettable(&g)
}

// endpoint is the URL of an API v2 path below the base URL. Each element
// must already be escaped.
func (c *Client) endpoint(elem ...string) *url.URL {
	return c.base.JoinPath(append([]string{"api", "v2"}, elem...)...)
}

func postable(ms []Matcher, startsAt, endsAt time.Time, createdBy, comment string) *models.PostableSilence {
	s := &models.PostableSilence{Silence: models.Silence{
		Comment:   &comment,
		CreatedBy: &createdBy,
		StartsAt:  ptr(strfmt.DateTime(startsAt)),
		EndsAt:    ptr(strfmt.DateTime(endsAt)),
	}}
	for _, m := range ms {
		s.Matchers = append(s.Matchers, &models.Matcher{
			Name:    ptr(m.Name),
			Value:   ptr(m.Value),
			IsRegex: ptr(m.IsRegex),
			IsEqual: ptr(m.IsEqual),
		})
	}
	return s
}

// fromGettable converts Alertmanager's answer. It is lenient about what a
// caller does not need, but a silence without ID or state is an error.
func fromGettable(g *models.GettableSilence) (Silence, error) {
	if g.ID == nil || g.Status == nil || g.Status.State == nil {
		return Silence{}, errors.New("alertmanager answered a silence without ID or state")
	}
	s := Silence{
		ID:        *g.ID,
		State:     State(*g.Status.State),
		StartsAt:  timeOf(g.StartsAt),
		EndsAt:    timeOf(g.EndsAt),
		UpdatedAt: timeOf(g.UpdatedAt),
		CreatedBy: deref(g.CreatedBy),
		Comment:   deref(g.Comment),
	}
	for _, m := range g.Matchers {
		if m == nil {
			continue
		}
		s.Matchers = append(s.Matchers, Matcher{
			Name:    deref(m.Name),
			Value:   deref(m.Value),
			IsRegex: deref(m.IsRegex),
			// Alertmanager before 0.22 leaves isEqual out; it meant equal.
			IsEqual: m.IsEqual == nil || *m.IsEqual,
		})
	}
	return s, nil
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func timeOf(d *strfmt.DateTime) time.Time {
	if d == nil {
		return time.Time{}
	}
	return time.Time(*d)
}

package silence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the Options a caller leaves out.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultCreatedBy = "driftwatch"
)

// ModelLabel is the alert label that names the model, on every alert that
// driftwatch's generated rules raise.
const ModelLabel = "model"

// Options configure a Client.
type Options struct {
	// URL is Alertmanager's base URL, including any --web.route-prefix,
	// e.g. http://alertmanager:9093 or https://example.com/alertmanager.
	URL string
	// BearerToken, when set, is sent as "Authorization: Bearer" with every
	// request.
	BearerToken string
	// Timeout bounds each API call, from dialling to reading the answer
	// (default DefaultTimeout).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a client of its own over
	// http.DefaultTransport).
	HTTPClient *http.Client
	// Logger receives the silences created and expired. Failures are
	// returned, not logged: the caller decides how loudly to report them.
	Logger *slog.Logger
	// Registerer receives the client's metrics.
	Registerer prometheus.Registerer
	// Now is the clock that startsAt comes from (default time.Now).
	Now func() time.Time
	// CreatedBy is the silences' author as Alertmanager shows it (default
	// DefaultCreatedBy).
	CreatedBy string
}

func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CreatedBy == "" {
		o.CreatedBy = DefaultCreatedBy
	}
	return o
}

func (o Options) validate() (*url.URL, error) {
	var errs []error
	base, err := parseURL(o.URL)
	if err != nil {
		errs = append(errs, fmt.Errorf("silence: Options.URL: %w", err))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("silence: Options.Timeout must not be negative, got %s", o.Timeout))
	}
	if o.Logger == nil {
		errs = append(errs, errors.New("silence: Options.Logger is required"))
	}
	if o.Registerer == nil {
		errs = append(errs, errors.New("silence: Options.Registerer is required"))
	}
	return base, errors.Join(errs...)
}

// parseURL accepts an absolute http or https URL without query or fragment,
// which would be dropped silently when the API paths are appended.
func parseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q must start with http:// or https://", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("%q has no host", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q must not have a query or fragment", u.Redacted())
	}
	if u.Path == "" {
		// JoinPath keeps an empty path relative, which error texts show.
		u.Path = "/"
	}
	return u, nil
}

// Client creates, reads and expires silences in one Alertmanager. It is safe
// for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	timeout   time.Duration
	http      *http.Client
	log       *slog.Logger
	metrics   *metrics
	now       func() time.Time
	createdBy string
}

// New checks the options and registers the client's metrics, so a
// Registerer serves one Client. It contacts nothing.
func New(opts Options) (*Client, error) {
	opts = opts.withDefaults()
	base, err := opts.validate()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Client{
		base:      base,
		token:     opts.BearerToken,
		timeout:   opts.Timeout,
		http:      opts.HTTPClient,
		log:       opts.Logger.With("alertmanager", base.Redacted()),
		metrics:   m,
		now:       opts.Now,
		createdBy: opts.CreatedBy,
	}, nil
}

// SilenceModel silences the alerts named in alertnames for one model, from
// now until until, and returns the new silence's ID. The silence matches
// model="<model>" exactly and alertname=~"<a>|<b>|..." with each name quoted,
// so a name is never read as a pattern. An empty comment gets a default that
// names the model.
func (c *Client) SilenceModel(ctx context.Context, model string, alertnames []string, until time.Time, comment string) (string, error) {
	now := c.now()
	if err := checkSilenceModel(model, alertnames, now, until); err != nil {
		return "", err
	}
	if comment == "" {
		comment = fmt.Sprintf("%s is retraining model %q", c.createdBy, model)
	}
	ms := []Matcher{
		{Name: ModelLabel, Value: model, IsEqual: true},
		{Name: "alertname", Value: alternation(alertnames), IsRegex: true, IsEqual: true},
	}
	id, err := c.create(ctx, ms, now, until, comment)
	if err != nil {
		return "", fmt.Errorf("silence: model %q: %w", model, err)
	}
	c.log.Info("silenced model", "model", model, "silence", id, "alertnames", alertnames, "ends_at", until)
	return id, nil
}

func checkSilenceModel(model string, alertnames []string, now, until time.Time) error {
	var errs []error
	if model == "" {
		errs = append(errs, errors.New("silence: the model is required"))
	}
	if len(alertnames) == 0 {
		errs = append(errs, fmt.Errorf("silence: model %q: at least one alert name is required", model))
	}
	if slices.Contains(alertnames, "") {
		errs = append(errs, fmt.Errorf("silence: model %q: alert names must not be empty", model))
	}
	if !until.After(now) {
		errs = append(errs, fmt.Errorf("silence: model %q: the end %s is not after now (%s)",
			model, until.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// alternation is a regular expression that matches exactly the given names,
// sorted and without duplicates so that equal sets give equal silences.
// Alertmanager anchors it at both ends.
func alternation(names []string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		q = append(q, regexp.QuoteMeta(n))
	}
	slices.Sort(q)
	return strings.Join(slices.Compact(q), "|")
}

// Expire ends the silence id now. A silence that has already expired, or that
// Alertmanager does not know (it forgets expired silences after its retention
// period, and forgets all of them when it loses its storage), counts as
// expired: the goal holds and retrying could not change the answer, so Expire
// returns nil and logs it.
func (c *Client) Expire(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("silence: expire: the silence ID is required")
	}
	err := c.expire(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		c.log.Info("silence to expire is unknown; nothing to do", "silence", id)
		return nil
	case err != nil:
		return fmt.Errorf("silence: expire %s: %w", id, err)
	}
	c.log.Info("expired silence", "silence", id)
	return nil
}

// Get returns the silence id as Alertmanager has it. An unknown ID gives an
// error that wraps ErrNotFound.
func (c *Client) Get(ctx context.Context, id string) (Silence, error) {
	if id == "" {
		return Silence{}, errors.New("silence: get: the silence ID is required")
	}
	s, err := c.get(ctx, id)
	if err != nil {
		return Silence{}, fmt.Errorf("silence: get %s: %w", id, err)
	}
	return s, nil
}

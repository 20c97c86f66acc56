package silence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Bounds on what is read from Alertmanager. A silence is a few hundred bytes.
const (
	maxBodyBytes    = 1 << 20
	maxMessageBytes = 1 << 10
)

// do sends one request within the client's timeout, decodes a 2xx answer
// into out (when out is not nil) and counts the call's result.
func (c *Client) do(ctx context.Context, op operation, method string, u *url.URL, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := c.roundTrip(ctx, method, u, in, out)
	r := classify(ctx, err)
	c.metrics.requests.WithLabelValues(string(op), string(r)).Inc()
	if r == resultTimeout {
		return fmt.Errorf("no answer in time (timeout %s): %w", c.timeout, err)
	}
	return err
}

func (c *Client) roundTrip(ctx context.Context, method string, u *url.URL, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The *url.Error names the method and the URL, from which net/http
		// strips any password; the token is in a header and never shown.
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxMessageBytes))
		return &statusError{method: method, path: u.Path, code: resp.StatusCode, message: message(b)}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBodyBytes)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w: %v", method, u.Path, errBadAnswer, err)
	}
	return nil
}

// errBadAnswer is wrapped by the errors for a 2xx answer that does not
// decode.
var errBadAnswer = errors.New("alertmanager's answer does not decode")

// statusError is a non-2xx answer from Alertmanager.
type statusError struct {
	method, path string
	code         int
	message      string
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("%s %s: alertmanager answered %d %s", e.method, e.path, e.code, http.StatusText(e.code))
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

// Unwrap makes an unknown silence match ErrNotFound. Alertmanager 0.25
// answers a DELETE of an unknown silence with 500 and this message; 0.26
// and later answer 404 (prometheus/alertmanager#3352).
func (e *statusError) Unwrap() error {
	if e.code == http.StatusNotFound ||
		e.code == http.StatusInternalServerError && e.message == ErrNotFound.Error() {
		return ErrNotFound
	}
	return nil
}

// message extracts Alertmanager's explanation from an error answer. Its
// handlers send a JSON string, its request validation sends
// {"code":...,"message":"..."}, and a proxy in front of it may send
// anything, which is kept as text.
func message(b []byte) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(b, &o) == nil && (o.Message != "" || o.Error != "") {
		return strings.TrimSpace(o.Message + " " + o.Error)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

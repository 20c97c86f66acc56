package dashboards

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// PushOptions locate Grafana and say where the dashboards go.
type PushOptions struct {
	// URL is Grafana's base URL. A path, as for a Grafana served under a
	// sub path, is kept; user information in it is sent as basic auth.
	URL string
	// Token is a service account token, sent as a bearer token. Empty
	// sends none, for a URL with user information.
	Token string
	// Folder is the title of the folder the dashboards go into. A folder
	// with this title is used, or created when there is none.
	Folder string
	// Client sends the requests; nil is a client with DefaultPushTimeout.
	Client *http.Client
}

// DefaultPushTimeout bounds each request to Grafana when
// PushOptions.Client is nil.
const DefaultPushTimeout = 30 * time.Second

// Change is what Push did to a dashboard.
type Change string

// The changes Push reports.
const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// PushResult is what Push did to one dashboard.
type PushResult struct {
	UID, Title string
	Change     Change
}

// Push creates or updates the dashboards in Grafana through its HTTP API,
// in the folder opts.Folder, creating the folder when it is missing. A
// dashboard that Grafana already holds, in that folder, with the same JSON
// apart from its id and version, is left alone and reported unchanged, so
// pushing twice changes nothing. Push goes on after a dashboard fails and
// returns the results of the others with every error.
func Push(ctx context.Context, dashboards []Dashboard, opts PushOptions) ([]PushResult, error) {
	c, err := newGrafanaClient(opts)
	if err != nil {
		return nil, err
	}
	folder, err := c.ensureFolder(ctx, opts.Folder)
	if err != nil {
		return nil, err
	}
	var results []PushResult
	var errs []error
	for _, d := range dashboards {
		change, err := c.push(ctx, d, folder)
		if err != nil {
			errs = append(errs, fmt.Errorf("dashboard %s: %w", d.UID, err))
			continue
		}
		results = append(results, PushResult{UID: d.UID, Title: d.Title, Change: change})
	}
	return results, errors.Join(errs...)
}

// grafanaClient calls the few endpoints of Grafana's HTTP API that Push
// needs.
type grafanaClient struct {
	base   *url.URL
	token  string
	client *http.Client
}

func newGrafanaClient(opts PushOptions) (*grafanaClient, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("grafana URL %q is not an http(s) URL with a host", opts.URL)
	}
	if opts.Folder == "" {
		return nil, errors.New("grafana folder must not be empty")
	}
	c := &grafanaClient{base: u, token: opts.Token, client: opts.Client}
	if c.client == nil {
		c.client = &http.Client{Timeout: DefaultPushTimeout}
	}
	return c, nil
}

// folder is a Grafana folder as its API describes it.
type folder struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
}

// FolderUID is the UID Push gives the folder it creates: derived from the
// title, so that two pushes never create two folders.
func FolderUID(title string) string {
	sum := sha256.Sum256([]byte(title))
	return "driftwatch-" + hex.EncodeToString(sum[:])[:hashDigits]
}

// ensureFolder returns the UID of the folder with the given title: the
// one Push created before, another one with that title, or a new one.
func (c *grafanaClient) ensureFolder(ctx context.Context, title string) (string, error) {
	uid := FolderUID(title)
	var f folder
	found, err := c.do(ctx, http.MethodGet, "/api/folders/"+uid, nil, &f)
	if err != nil || found {
		return uid, err
	}
	const pageSize = 1000
	for page := 1; ; page++ {
		var fs []folder
		if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/folders?limit=%d&page=%d", pageSize, page), nil, &fs); err != nil {
			return "", err
		}
		for _, f := range fs {
			if f.Title == title {
				return f.UID, nil
			}
		}
		if len(fs) < pageSize {
			break
		}
	}
	if _, err := c.do(ctx, http.MethodPost, "/api/folders", folder{UID: uid, Title: title}, &f); err != nil {
		return "", fmt.Errorf("create folder %q: %w", title, err)
	}
	return f.UID, nil
}

// stored is a dashboard as GET /api/dashboards/uid/UID returns it.
type stored struct {
	Dashboard map[string]any `json:"dashboard"`
	Meta      struct {
		FolderUID string `json:"folderUid"`
	} `json:"meta"`
}

// push saves d in the folder unless Grafana already holds it there.
func (c *grafanaClient) push(ctx context.Context, d Dashboard, folderUID string) (Change, error) {
	var want map[string]any
	if err := json.Unmarshal(d.JSON, &want); err != nil {
		return "", fmt.Errorf("decode generated JSON: %w", err)
	}
	var got stored
	found, err := c.do(ctx, http.MethodGet, "/api/dashboards/uid/"+url.PathEscape(d.UID), nil, &got)
	if err != nil {
		return "", err
	}
	change := Created
	if found {
		if got.Meta.FolderUID == folderUID && sameDashboard(got.Dashboard, want) {
			return Unchanged, nil
		}
		change = Updated
	}
	body := map[string]any{
		"dashboard": json.RawMessage(d.JSON),
		"folderUid": folderUID,
		"overwrite": true,
		"message":   "driftwatch dashboards",
	}
	if _, err := c.do(ctx, http.MethodPost, "/api/dashboards/db", body, nil); err != nil {
		return "", err
	}
	return change, nil
}

// sameDashboard compares a stored dashboard with a generated one, apart
// from the id and version Grafana assigns.
func sameDashboard(stored, generated map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			if k != "id" && k != "version" {
				out[k] = v
			}
		}
		return out
	}
	return reflect.DeepEqual(strip(stored), strip(generated))
}

// do sends a request with a JSON body, if any, and decodes a JSON answer
// into out, if given. It reports false for 404 Not Found on a GET, and an
// error with Grafana's message for any other status that is not 2xx.
func (c *grafanaClient) do(ctx context.Context, method, path string, in, out any) (bool, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return false, err
		}
		body = bytes.NewReader(data)
	}
	target := strings.TrimSuffix(c.base.String(), "/") + path
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return false, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound && method == http.MethodGet {
		return false, nil
	}
	if resp.StatusCode/100 != 2 {
		return false, fmt.Errorf("%s %s: %s%s", method, path, resp.Status, grafanaMessage(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return false, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return true, nil
}

// grafanaMessage is the message of a Grafana error answer, after ": ".
func grafanaMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return ": " + e.Message
	}
	return ""
}

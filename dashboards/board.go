package dashboards

//lint:file-ignore SA1019 The SDK marks its v1 dashboard schema deprecated in favour of v2, but Grafana's /api/dashboards/db endpoint and its provisioning sidecar take v1 JSON; this file is the only one that touches it.

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// Settings every dashboard shares.
const (
	defaultFrom    = "now-6h"
	defaultRefresh = "1m"
	// tagAll is carried by every driftwatch dashboard, tagModel by the
	// model dashboards: the dashboards' link menus list them by tag.
	tagAll   = "driftwatch"
	tagModel = "driftwatch-model"
	tagFleet = "driftwatch-fleet"
)

// board builds one dashboard. Panels are laid out left to right on
// Grafana's 24-column grid, and a row starts a new line.
type board struct {
	b *dashboard.DashboardBuilder
}

func newBoard(uid, title, description string, tags ...string) *board {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{tagAll}, tags...)).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Timezone(common.TimeZoneBrowser).
		Time(defaultFrom, "now").
		Refresh(defaultRefresh)
	return &board{b: b}
}

func (b *board) variable(v cog.Builder[dashboard.VariableModel]) { b.b.WithVariable(v) }

func (b *board) link(l cog.Builder[dashboard.DashboardLink]) { b.b.Link(l) }

func (b *board) annotations(a []cog.Builder[dashboard.AnnotationQuery]) {
	for _, q := range a {
		b.b.Annotation(q)
	}
}

// row starts a row with the given panels; a row without panels is left
// out, so that a section with nothing to show leaves no empty row behind.
func (b *board) row(title string, panels []cog.Builder[dashboard.Panel]) {
	if len(panels) == 0 {
		return
	}
	b.b.WithRow(dashboard.NewRowBuilder(title))
	for _, p := range panels {
		b.b.WithPanel(p)
	}
}

// json builds the dashboard, numbers its panels from 1 in layout order
// (Grafana needs unique panel IDs, and stable ones keep the JSON
// diffable), and encodes it indented, ending in a newline.
func (b *board) json() ([]byte, error) {
	d, err := b.b.Build()
	if err != nil {
		return nil, err
	}
	for i, p := range d.Panels {
		id := uint32(i + 1)
		switch {
		case p.Panel != nil:
			p.Panel.Id = &id
			nameQueries(p.Panel.Targets)
		case p.RowPanel != nil:
			p.RowPanel.Id = id
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode dashboard %s: %w", *d.Uid, err)
	}
	return buf.Bytes(), nil
}

// nameQueries gives the queries without a reference ID the first free
// letters, A, B, C and so on, as Grafana would when it loads them, so that
// the JSON is the same before and after a round trip through Grafana.
func nameQueries(targets []variants.Dataquery) {
	used := map[string]bool{}
	for _, t := range targets {
		if q, ok := t.(prometheus.Dataquery); ok && q.RefId != nil {
			used[*q.RefId] = true
		}
	}
	next := 'A'
	for i, t := range targets {
		q, ok := t.(prometheus.Dataquery)
		if !ok || q.RefId != nil {
			continue
		}
		for used[string(next)] {
			next++
		}
		used[string(next)] = true
		q.RefId = cog.ToPtr(string(next))
		targets[i] = q
	}
}

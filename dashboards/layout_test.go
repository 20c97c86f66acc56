package dashboards_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
)

// imgDir holds the pictures docs/dashboards.md shows.
const imgDir = "../docs/img"

// Picture scale: pixels per grid column and per grid row.
const (
	colPx    = 50
	rowPx    = 30
	headerPx = 64
	padPx    = 3
)

// panelFill colours each panel type as Grafana's panel picker does, more
// or less, so the arrangement reads at a glance.
var panelFill = map[string]string{
	"row":            "#3d71d9",
	"stat":           "#d6e7ff",
	"timeseries":     "#ffffff",
	"table":          "#fff4d6",
	"state-timeline": "#dcf5e3",
	"text":           "#eeeeee",
}

// layoutSVG draws a dashboard's layout from its JSON: every panel at its
// grid position and size, with its title and type, rows as bands, a note
// on repeated panels, and the annotations in the header. No Grafana runs
// here, so this is how a reviewer checks the arrangement.
func layoutSVG(t *testing.T, d dashboards.Dashboard) []byte {
	t.Helper()
	b := decode(t, d)
	bottom := 0
	for _, p := range b.Panels {
		bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
	}
	width, height := 24*colPx, headerPx+bottom*rowPx+padPx
	var vars []string
	for _, v := range b.Templating.List {
		if v.Type != "constant" {
			vars = append(vars, "$"+v.Name)
		}
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif">`+"\n", width, height, width, height)
	fmt.Fprintf(&s, `<rect width="%d" height="%d" fill="#f4f5f8"/>`+"\n", width, height)
	fmt.Fprintf(&s, `<text x="8" y="24" font-size="18" font-weight="bold" fill="#111">%s</text>`+"\n", html.EscapeString(b.Title))
	var marks []string
	for _, a := range b.Annotations.List {
		marks = append(marks, a.Name)
	}
	fmt.Fprintf(&s, `<text x="8" y="46" font-size="12" fill="#555">uid %s · variables %s · %d panels · annotations %s</text>`+"\n",
		html.EscapeString(b.UID), html.EscapeString(strings.Join(vars, ", ")), len(b.Panels), html.EscapeString(strings.Join(marks, ", ")))
	for _, p := range b.Panels {
		drawPanel(&s, p)
	}
	s.WriteString("</svg>\n")
	return []byte(s.String())
}

func drawPanel(s *strings.Builder, p panel) {
	x, y := p.GridPos.X*colPx+padPx, headerPx+p.GridPos.Y*rowPx+padPx
	w, h := p.GridPos.W*colPx-2*padPx, p.GridPos.H*rowPx-2*padPx
	fill, ok := panelFill[p.Type]
	if !ok {
		fill = "#f0d0d0"
	}
	if p.Type == "row" {
		fmt.Fprintf(s, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"/>`+"\n", x, y, w, h, fill)
		fmt.Fprintf(s, `<text x="%d" y="%d" font-size="13" font-weight="bold" fill="#fff">%s</text>`+"\n", x+8, y+h-5, html.EscapeString(p.Title))
		return
	}
	fmt.Fprintf(s, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="#9aa3b5"/>`+"\n", x, y, w, h, fill)
	fmt.Fprintf(s, `<text x="%d" y="%d" font-size="12" font-weight="bold" fill="#111">%s</text>`+"\n", x+6, y+16, html.EscapeString(fit(p.Title, w-12, 7)))
	kind := p.Type
	if len(p.Targets) > 0 {
		kind += fmt.Sprintf(" · %d %s", len(p.Targets), plural(len(p.Targets), "query", "queries"))
	}
	fmt.Fprintf(s, `<text x="%d" y="%d" font-size="10" fill="#555">%s</text>`+"\n", x+6, y+h-6, html.EscapeString(fit(kind, w-12, 6)))
	var lines []string
	if p.Repeat != "" {
		lines = append(lines, "repeated for each $"+p.Repeat+", side by side")
	}
	if p.FieldConfig.Defaults.Unit != "" {
		lines = append(lines, "unit "+p.FieldConfig.Defaults.Unit)
	}
	lines = append(lines, metricsOf(p)...)
	for i, line := range lines {
		ly := y + 34 + 14*i
		if ly > y+h-20 {
			break
		}
		color := "#666"
		if i == 0 && p.Repeat != "" {
			color = "#3d71d9"
		}
		fmt.Fprintf(s, `<text x="%d" y="%d" font-size="11" fill="%s">%s</text>`+"\n", x+6, ly, color, html.EscapeString(fit(line, w-12, 6)))
	}
}

// metricsOf lists the metrics a panel queries, without their common
// prefix, in order of first use.
func metricsOf(p panel) []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range p.Targets {
		parsed, err := dashboards.ParseQuery(q.Expr)
		if err != nil {
			continue
		}
		for _, sel := range parsed.Selectors {
			name := strings.TrimPrefix(sel.Metric, "driftwatch_")
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// fit shortens text to about width pixels at px pixels per character.
func fit(text string, width, px int) string {
	n := width / px
	if len([]rune(text)) <= n || n < 2 {
		return text
	}
	return string([]rune(text)[:n-1]) + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// TestLayoutPictures keeps the pictures of the example configuration's
// dashboards under docs/img current: each SVG must be what the generated
// JSON draws, and a PNG of it must sit beside it. go test -update
// rewrites them, converting with rsvg-convert when it is installed.
func TestLayoutPictures(t *testing.T) {
	for _, d := range generate(t, exampleConfig) {
		t.Run(d.UID, func(t *testing.T) {
			got := layoutSVG(t, d)
			svg := filepath.Join(imgDir, "dashboard-"+d.UID+".svg")
			png := strings.TrimSuffix(svg, ".svg") + ".png"
			if *update {
				require.NoError(t, os.WriteFile(svg, got, 0o644))
				if out, err := exec.Command("rsvg-convert", "-o", png, svg).CombinedOutput(); err != nil {
					t.Logf("no PNG for %s (install librsvg2-bin for rsvg-convert): %v %s", svg, err, out)
				}
			}
			want, err := os.ReadFile(svg)
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s is stale; run go test ./dashboards -run TestLayoutPictures -update (-want +got):\n%s", svg, diff)
			}
			data, err := os.ReadFile(png)
			require.NoError(t, err, "%s is missing; run go test ./dashboards -run TestLayoutPictures -update with rsvg-convert installed", png)
			require.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) && len(data) > 24, "%s is not a PNG", png)
			// The PNG's header gives its size, which must be the SVG's.
			w, h := binary.BigEndian.Uint32(data[16:20]), binary.BigEndian.Uint32(data[20:24])
			require.Contains(t, string(got), fmt.Sprintf(`width="%d" height="%d"`, w, h), "%s is stale: it is %dx%d", png, w, h)
		})
	}
}

// TestDocsShowPictures checks that docs/dashboards.md shows the picture
// of every dashboard of the example configuration.
func TestDocsShowPictures(t *testing.T) {
	doc, err := os.ReadFile("../docs/dashboards.md")
	require.NoError(t, err)
	for _, d := range generate(t, exampleConfig) {
		require.Contains(t, string(doc), "](img/dashboard-"+d.UID+".png)", "docs/dashboards.md does not show %s", d.UID)
	}
}

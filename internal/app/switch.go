package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/collectors/source"
	"github.com/driftwatch/driftwatch/internal/app/reference"
)

// Switch makes a model's monitor judge its events against a new model
// version and the reference profile at profileURI, a file path or a
// file:// URL, as after a deploy. The model must have started. With
// leader election, the leader also publishes the switch in ChampionsFile
// for the other replicas to follow.
func (a *App) Switch(ctx context.Context, model, version, profileURI string) error {
	if a.publish != nil {
		return a.publish.switchAndPublish(ctx, model, version, profileURI, a.switchModel)
	}
	return a.switchModel(ctx, model, version, profileURI)
}

// switchModel switches this replica's monitor of model.
func (a *App) switchModel(ctx context.Context, model, version, profileURI string) error {
	m := a.model(model)
	if m == nil {
		return fmt.Errorf("switch model %q: no such model", model)
	}
	path, err := profilePath(profileURI)
	if err != nil {
		return fmt.Errorf("switch model %q: %w", model, err)
	}
	p, err := reference.ReadProfile(path)
	if err != nil {
		return fmt.Errorf("switch model %q: %w", model, err)
	}
	src := m.src.Load()
	if src == nil || phase(m.phase.Load()) != phaseStarted && phase(m.phase.Load()) != phaseFinished {
		return fmt.Errorf("switch model %q: its source is not running", model)
	}
	if err := (*src).Switch(ctx, version, p); err != nil {
		return err
	}
	m.log.Info("monitoring a new model version", "version", version, "profile", path)
	return nil
}

// model returns the named model, or nil.
func (a *App) model(name string) *model {
	for _, m := range a.models {
		if m.cfg.Name == name {
			return m
		}
	}
	return nil
}

// profilePath turns a profile URI into a local path: a plain path, or a
// file:// URL. Other schemes are not readable here.
func profilePath(uri string) (string, error) {
	if uri == "" {
		return "", fmt.Errorf("the profile URI is empty")
	}
	if !strings.Contains(uri, "://") {
		return uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("profile URI %q: %w", uri, err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("profile URI %q: only file paths and file:// URLs can be read, not %s://", uri, u.Scheme)
	}
	return u.Path, nil
}

// Feed returns the source of a model whose source type is embedded, for
// the program that embeds driftwatch to push events into, or nil until
// the model has started.
func (a *App) Feed(model string) *source.Feed {
	if m := a.model(model); m != nil {
		return m.feed.Load()
	}
	return nil
}

// Snapshot returns what a model's monitor has published last.
func (a *App) Snapshot(model string) (*monitor.Snapshot, bool) {
	return a.store.Snapshot(model)
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/app/reference"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/pipelines"
)

// ChampionsFile, in storage.dir, tells every replica which version each
// model serves and where its reference profile is. With leader election
// the store is the leader's alone, so the leader writes this file
// whenever it switches a model (after a deploy, a rollback or a manual
// rollback), and every replica's monitor follows it. Without leader
// election it is not used.
const ChampionsFile = "champions.json"

// championsVersion is the format version of ChampionsFile.
const championsVersion = 1

// champion is what a model's monitors judge events against.
type champion struct {
	Version    string `json:"version"`
	ProfileURI string `json:"profile_uri"`
}

type championsDoc struct {
	Version int                 `json:"version"`
	Models  map[string]champion `json:"models"`
}

// champions reads and writes ChampionsFile and remembers, per model, the
// champion this replica's monitor judges against.
type champions struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex // serializes writes; guards applied and failed
	applied map[string]champion
	failed  map[string]champion // the last champion a switch failed to, to log once
}

func newChampions(dir string, log *slog.Logger) *champions {
	return &champions{path: filepath.Join(dir, ChampionsFile), log: log, applied: map[string]champion{}, failed: map[string]champion{}}
}

// read returns the published champions; a missing file is none.
func (c *champions) read() (map[string]champion, error) {
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]champion{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc championsDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", c.path, err)
	}
	if doc.Version != championsVersion {
		return nil, fmt.Errorf("%s: format version %d, want %d", c.path, doc.Version, championsVersion)
	}
	if doc.Models == nil {
		doc.Models = map[string]champion{}
	}
	return doc.Models, nil
}

func (c *champions) write(models map[string]champion) error {
	data, err := json.MarshalIndent(championsDoc{Version: championsVersion, Models: models}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(c.path, append(data, '\n'))
}

// switchFunc switches a model's monitors to a version and its profile.
type switchFunc func(ctx context.Context, model, version, profileURI string) error

// switchAndPublish switches this replica's monitor of model, as the
// leader does after a deploy or a rollback, and publishes the switch for
// the other replicas to follow. A follower's sync cannot come between the
// two and switch the model back.
func (c *champions) switchAndPublish(ctx context.Context, model, version, profileURI string, switchTo switchFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := switchTo(ctx, model, version, profileURI); err != nil {
		return err
	}
	ch := champion{Version: version, ProfileURI: profileURI}
	c.applied[model] = ch
	models, err := c.read()
	if err == nil {
		models[model] = ch
		err = c.write(models)
	}
	if err != nil {
		return fmt.Errorf("switched model %q here, but could not publish it to the other replicas: %w", model, err)
	}
	return nil
}

// seed publishes the registry's champions when nothing was published
// yet, as when a single replica's storage is taken over by replicas that
// elect a leader.
func (c *champions) seed(models []collectors.ModelConfig, reg *pipelines.Registry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := os.Stat(c.path); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out := map[string]champion{}
	for _, m := range models {
		v, ok, err := reg.Champion(m.Name)
		if err != nil {
			return err
		}
		if ok && v.ProfileURI != "" {
			out[m.Name] = champion{Version: v.Version, ProfileURI: v.ProfileURI}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return c.write(out)
}

// reference returns the published champion's profile for a model that is
// starting, and records it as the one its monitor judges against; ok is
// false when none is published.
func (c *champions) reference(cfg collectors.ModelConfig, log *slog.Logger) (collectors.ModelConfig, *drift.Profile, bool, error) {
	models, err := c.read()
	if err != nil {
		return cfg, nil, false, err
	}
	ch, ok := models[cfg.Name]
	if !ok {
		return cfg, nil, false, nil
	}
	path, err := profilePath(ch.ProfileURI)
	if err != nil {
		return cfg, nil, false, fmt.Errorf("champion %s: %w", ch.Version, err)
	}
	log.Info("loading the published champion's reference profile", "version", ch.Version, "profile", path)
	p, err := reference.ReadProfile(path)
	if err != nil {
		return cfg, nil, false, fmt.Errorf("champion %s: %w", ch.Version, err)
	}
	c.mu.Lock()
	c.applied[cfg.Name] = ch
	c.mu.Unlock()
	cfg.Version = ch.Version
	return cfg, p, true, nil
}

// follow switches this replica's monitors to the published champions
// every interval until ctx ends. The leader's own switches are already
// applied, so only the standbys act.
func (c *champions) follow(ctx context.Context, interval time.Duration, switchTo switchFunc) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		c.sync(ctx, switchTo)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sync switches every model whose published champion differs from the
// one its monitor judges against.
func (c *champions) sync(ctx context.Context, switchTo switchFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	models, err := c.read()
	if err != nil {
		c.log.Warn("could not read the published champions", "err", err)
		return
	}
	for _, model := range slices.Sorted(maps.Keys(models)) {
		ch := models[model]
		if c.applied[model] == ch {
			continue
		}
		if err := switchTo(ctx, model, ch.Version, ch.ProfileURI); err != nil {
			if c.failed[model] != ch {
				c.failed[model] = ch
				c.log.Warn("could not follow the leader to a new champion; retrying", "model", model, "version", ch.Version, "err", err)
			}
			continue
		}
		c.applied[model] = ch
		delete(c.failed, model)
		c.log.Info("following the leader to a new champion", "model", model, "version", ch.Version)
	}
}

package pipelines

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// Buckets of the registry in the store.
const (
	bucketModels   = "pipeline_models"   // model -> Model
	bucketVersions = "pipeline_versions" // model NUL version -> Version
)

// Errors that the API tells apart.
var (
	// ErrNotFound marks a run, model or version that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a request that the current state forbids, such as
	// approving a run that was not rejected.
	ErrConflict = errors.New("conflict")
)

// VersionStatus is where a model version stands.
type VersionStatus string

// Version statuses.
const (
	// VersionDeploying: a run is putting the version into service.
	VersionDeploying VersionStatus = "deploying"
	// VersionChampion: the version serves.
	VersionChampion VersionStatus = "champion"
	// VersionRetired: a newer version replaced it.
	VersionRetired VersionStatus = "retired"
	// VersionRolledBack: it was replaced by a rollback.
	VersionRolledBack VersionStatus = "rolled_back"
	// VersionFailed: its deploy failed.
	VersionFailed VersionStatus = "failed"
)

// Version is one model version with its lineage: the run and trigger that
// made it, its parameters and data window, its metrics and artifacts, and
// when it served.
type Version struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	// RunID and Pipeline are empty for a seeded version.
	RunID      string            `json:"run_id,omitempty"`
	Pipeline   string            `json:"pipeline,omitempty"`
	Trigger    *Trigger          `json:"trigger,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	DataWindow Window            `json:"data_window"`
	// Metrics are the holdout metrics of the evaluate step;
	// TrainMetrics those of the train step.
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	TrainMetrics map[string]float64 `json:"train_metrics,omitempty"`
	ModelURI     string             `json:"model_uri"`
	ProfileURI   string             `json:"profile_uri"`
	Status       VersionStatus      `json:"status"`
	CreatedAt    time.Time          `json:"created_at"`
	// DeployedAt is when it last became champion; ReplacedAt when it last
	// stopped being champion.
	DeployedAt time.Time `json:"deployed_at,omitzero"`
	ReplacedAt time.Time `json:"replaced_at,omitzero"`
}

func (v Version) ref() ModelRef {
	return ModelRef{Version: v.Version, URI: v.ModelURI, ProfileURI: v.ProfileURI}
}

// ChangeKind says why the champion changed.
type ChangeKind string

// Kinds of champion changes.
const (
	ChangeSeed     ChangeKind = "seed"
	ChangeRun      ChangeKind = "run"
	ChangeRollback ChangeKind = "rollback"
	ChangeManual   ChangeKind = "manual_rollback"
)

// ChampionChange is one change of a model's champion.
type ChampionChange struct {
	Version  string     `json:"version"`
	Previous string     `json:"previous,omitempty"`
	At       time.Time  `json:"at"`
	Kind     ChangeKind `json:"kind"`
	RunID    string     `json:"run_id,omitempty"`
	By       string     `json:"by,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// Model is a model's champion pointer and its full history. A model with
// no champion has never had a version deployed or seeded.
type Model struct {
	Name     string           `json:"name"`
	Champion string           `json:"champion,omitempty"`
	History  []ChampionChange `json:"history,omitempty"`
}

// previous returns the champion before the current one, or "".
func (m Model) previous() string {
	if len(m.History) == 0 {
		return ""
	}
	return m.History[len(m.History)-1].Previous
}

// Registry is the model registry: versions with their lineage and each
// model's champion, kept in the store.
type Registry struct {
	db  *store.DB
	now func() time.Time
}

// NewRegistry returns the registry kept in db. now defaults to time.Now.
func NewRegistry(db *store.DB, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{db: db, now: now}
}

// Models returns every model the registry knows, by name.
func (r *Registry) Models() ([]Model, error) {
	var out []Model
	err := r.db.View(func(tx *store.Tx) error {
		return tx.ForEach(bucketModels, func(rec store.Record) error {
			var m Model
			err := rec.Decode(&m)
			out = append(out, m)
			return err
		})
	})
	return out, err
}

// Model returns a model and its versions, oldest first. A model the
// registry does not know is ErrNotFound.
func (r *Registry) Model(name string) (Model, []Version, error) {
	var m Model
	var vs []Version
	err := r.db.View(func(tx *store.Tx) error {
		var err error
		if m, err = getModel(tx, name); err != nil {
			return err
		}
		vs, err = versionsOf(tx, name)
		return err
	})
	return m, vs, err
}

// Version returns one version of a model.
func (r *Registry) Version(model, version string) (Version, error) {
	var v Version
	err := r.db.View(func(tx *store.Tx) error {
		var err error
		v, err = getVersion(tx, model, version)
		return err
	})
	return v, err
}

// Champion returns the model's champion, and false when it has none.
func (r *Registry) Champion(model string) (Version, bool, error) {
	var v *Version
	err := r.db.View(func(tx *store.Tx) error {
		var err error
		v, err = championOf(tx, model)
		return err
	})
	if err != nil || v == nil {
		return Version{}, false, err
	}
	return *v, true, nil
}

// Seed is the version that serves before driftwatch first retrains a
// model.
type Seed struct {
	Model, Version       string
	ModelURI, ProfileURI string
	Metrics              map[string]float64
	By, Reason           string
}

// Seed registers s.Version and makes it the champion of a model that has
// none, with a change of kind seed. Seeding the champion again does
// nothing, so a bootstrap may seed on every start; seeding a model that
// has another champion is ErrConflict.
func (r *Registry) Seed(s Seed) error {
	switch {
	case s.Model == "":
		return errors.New("pipelines: seed: model is required")
	case !versionName.MatchString(s.Version):
		return fmt.Errorf("pipelines: seed: version %q must be 1 to 63 letters, digits, '.', '_' or '-'", s.Version)
	case s.ModelURI == "" || s.ProfileURI == "":
		return errors.New("pipelines: seed: model URI and profile URI are required")
	}
	return r.db.Update(func(tx *store.Tx) error {
		m, err := getModel(tx, s.Model)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if m.Champion == s.Version {
			return nil
		}
		if m.Champion != "" {
			return fmt.Errorf("%w: model %s already has champion %s; seeding is for a model without one", ErrConflict, s.Model, m.Champion)
		}
		now := r.now()
		v := Version{Model: s.Model, Version: s.Version, ModelURI: s.ModelURI, ProfileURI: s.ProfileURI,
			Metrics: s.Metrics, Reason: s.Reason, Status: VersionDeploying, CreatedAt: now}
		return promote(tx, v, ChampionChange{Kind: ChangeSeed, By: s.By, Reason: s.Reason}, now)
	})
}

func versionKey(model, version string) string { return model + "\x00" + version }

func getModel(tx *store.Tx, name string) (Model, error) {
	var m Model
	found, err := tx.Get(bucketModels, name, &m)
	if err == nil && !found {
		err = fmt.Errorf("%w: model %q has no versions in the registry", ErrNotFound, name)
	}
	return m, err
}

func getVersion(tx *store.Tx, model, version string) (Version, error) {
	var v Version
	found, err := tx.Get(bucketVersions, versionKey(model, version), &v)
	if err == nil && !found {
		err = fmt.Errorf("%w: model %q has no version %q", ErrNotFound, model, version)
	}
	return v, err
}

func versionsOf(tx *store.Tx, model string) ([]Version, error) {
	var out []Version
	err := tx.ForEach(bucketVersions, func(rec store.Record) error {
		if !strings.HasPrefix(rec.Key(), model+"\x00") {
			return nil
		}
		var v Version
		err := rec.Decode(&v)
		out = append(out, v)
		return err
	})
	slices.SortStableFunc(out, func(a, b Version) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// championOf returns the model's champion, or nil.
func championOf(tx *store.Tx, model string) (*Version, error) {
	m, err := getModel(tx, model)
	if errors.Is(err, ErrNotFound) || (err == nil && m.Champion == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := getVersion(tx, model, m.Champion)
	return &v, err
}

// promote makes v the champion of its model and records the change: the
// champion it replaces is retired, or rolled back when a rollback
// replaces it. change gets its Version, Previous and At here.
func promote(tx *store.Tx, v Version, change ChampionChange, now time.Time) error {
	m, err := getModel(tx, v.Model)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	m.Name = v.Model
	if m.Champion != "" && m.Champion != v.Version {
		old, err := getVersion(tx, v.Model, m.Champion)
		if err != nil {
			return err
		}
		old.Status, old.ReplacedAt = VersionRetired, now
		if change.Kind == ChangeRollback || change.Kind == ChangeManual {
			old.Status = VersionRolledBack
		}
		if err := tx.Put(bucketVersions, versionKey(old.Model, old.Version), old); err != nil {
			return err
		}
	}
	already := m.Champion == v.Version
	if !already {
		change.Version, change.Previous, change.At = v.Version, m.Champion, now
		m.History = append(m.History, change)
		m.Champion = v.Version
	}
	if !already || v.DeployedAt.IsZero() {
		v.DeployedAt = now
	}
	v.Status, v.ReplacedAt = VersionChampion, time.Time{}
	if err := tx.Put(bucketVersions, versionKey(v.Model, v.Version), v); err != nil {
		return err
	}
	return tx.Put(bucketModels, m.Name, m)
}

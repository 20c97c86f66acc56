package collectors

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// PredictionKind is the kind of output a model produces.
type PredictionKind string

// The supported prediction kinds.
const (
	Binary     PredictionKind = "binary"
	Multiclass PredictionKind = "multiclass"
	Regression PredictionKind = "regression"
)

// SourceType selects where a model's events come from.
type SourceType string

// The supported sources.
const (
	SourceKafka SourceType = "kafka"
	SourceFile  SourceType = "file"
	// SourceEmbedded takes events pushed in by the program that embeds
	// driftwatch, such as `driftwatch demo`. `driftwatch run` cannot push
	// events and rejects it.
	SourceEmbedded SourceType = "embedded"
)

// FileFormat is the format of a replay or reference data file.
type FileFormat string

// The supported data file formats.
const (
	FormatJSONL FileFormat = "jsonl"
	FormatCSV   FileFormat = "csv"
)

// MethodAuto asks for the sample-size-aware default drift method.
const MethodAuto drift.Method = "auto"

// ModelConfig describes one monitored model: its inputs and outputs, where
// its events come from, and how its windows are judged.
type ModelConfig struct {
	// Name identifies the model in events, metrics, alerts and runs.
	Name string `yaml:"name"`
	// Version is the model version served when driftwatch starts with an
	// empty registry. Later versions come from deploys.
	Version    string           `yaml:"version"`
	Features   []FeatureConfig  `yaml:"features"`
	Prediction PredictionConfig `yaml:"prediction"`
	Label      LabelConfig      `yaml:"label"`
	Source     SourceConfig     `yaml:"source"`
	Reference  ReferenceConfig  `yaml:"reference"`
	Window     WindowConfig     `yaml:"window"`
	Drift      DriftConfig      `yaml:"drift"`
	Quality    QualityConfig    `yaml:"quality"`
}

// FeatureConfig declares one model input.
type FeatureConfig struct {
	Name string            `yaml:"name"`
	Type drift.FeatureType `yaml:"type"`
	// Field is the dotted JSON path of the value in an event. It defaults to
	// the source's features path followed by the feature name.
	Field string `yaml:"field"`
	// Drift overrides the model's drift settings for this feature.
	Drift FeatureDriftConfig `yaml:"drift"`
}

// FeatureDriftConfig overrides the drift test of one feature.
type FeatureDriftConfig struct {
	// Method replaces the model's method for this feature.
	Method drift.Method `yaml:"method"`
	// Threshold replaces the method's threshold for this feature.
	Threshold *float64 `yaml:"threshold"`
	// Disabled excludes the feature from drift tests and the dataset share.
	Disabled bool `yaml:"disabled"`
}

// PredictionConfig describes the model's output.
type PredictionConfig struct {
	Kind PredictionKind `yaml:"kind"`
	// PositiveClass is the class that binary metrics such as precision and
	// AUC treat as positive.
	PositiveClass string `yaml:"positive_class"`
	// Classes lists the classes of a classifier, when known in advance.
	Classes []string `yaml:"classes"`
	// DecisionThreshold turns a binary score into a class when events carry
	// only a score.
	DecisionThreshold float64 `yaml:"decision_threshold"`
	// Drift configures the drift test on the prediction itself.
	Drift FeatureDriftConfig `yaml:"drift"`
}

// LabelConfig controls how delayed ground truth is joined to predictions.
type LabelConfig struct {
	// Enabled turns the label join and quality metrics on.
	Enabled bool `yaml:"enabled"`
	// TTL is how long a prediction waits for its label before it is evicted.
	TTL time.Duration `yaml:"ttl"`
	// MaxEntries bounds the predictions held while waiting for labels.
	MaxEntries int `yaml:"max_entries"`
}

// SourceConfig says where a model's events come from and how to read them.
type SourceConfig struct {
	Type   SourceType         `yaml:"type"`
	Kafka  kafkasource.Config `yaml:"kafka"`
	File   FileSourceConfig   `yaml:"file"`
	Fields FieldMapping       `yaml:"fields"`
}

// FileSourceConfig replays events from files instead of Kafka.
type FileSourceConfig struct {
	// Path is the predictions file (JSONL or CSV).
	Path string `yaml:"path"`
	// LabelsPath is an optional separate file of label events.
	LabelsPath string     `yaml:"labels_path"`
	Format     FileFormat `yaml:"format"`
}

// FieldMapping gives the dotted JSON paths of an event's fields.
type FieldMapping struct {
	ID           string `yaml:"id"`
	Model        string `yaml:"model"`
	ModelVersion string `yaml:"model_version"`
	Timestamp    string `yaml:"timestamp"`
	// Features is the path of the object that holds the feature values.
	Features string `yaml:"features"`
	// Prediction is the path of the predicted class or value.
	Prediction string `yaml:"prediction"`
	// Score is the path of the positive-class probability of a binary model.
	Score string `yaml:"score"`
	// Label is the path of the ground truth in label events.
	Label string `yaml:"label"`
}

// ReferenceConfig says where the model's reference profile comes from:
// either a profile built by `driftwatch reference build`, or training data
// from which the profile is built at start-up.
type ReferenceConfig struct {
	Profile string     `yaml:"profile"`
	Data    string     `yaml:"data"`
	Format  FileFormat `yaml:"format"`
	// Bins is the number of quantile bins for numeric features.
	Bins int `yaml:"bins"`
	// SampleSize bounds the sorted sample kept for KS and Wasserstein.
	SampleSize int `yaml:"sample_size"`
	// TopK bounds the categories kept per categorical feature.
	TopK int `yaml:"top_k"`
	// Seed makes the sample reproducible.
	Seed uint64 `yaml:"seed"`
}

// WindowConfig sets how events are cut into tumbling windows: by event time
// (Size) or by count (Count), never both.
type WindowConfig struct {
	Size  time.Duration `yaml:"size"`
	Count int           `yaml:"count"`
	// AllowedLateness is how long after a time window's end late events are
	// still accepted into it.
	AllowedLateness time.Duration `yaml:"allowed_lateness"`
	// MinEvents is the fewest events a window needs to be judged.
	MinEvents int `yaml:"min_events"`
}

// DriftConfig sets the drift tests of a model.
type DriftConfig struct {
	// NumericMethod and CategoricalMethod choose the test per feature type;
	// "auto" picks by reference size.
	NumericMethod     drift.Method `yaml:"numeric_method"`
	CategoricalMethod drift.Method `yaml:"categorical_method"`
	// Thresholds overrides the default threshold of a method.
	Thresholds map[drift.Method]float64 `yaml:"thresholds"`
	// DatasetShare is the share of drifted features at which the whole
	// window counts as drifted.
	DatasetShare float64 `yaml:"dataset_share"`
	// Correction adjusts p-values for testing many features at once.
	Correction drift.Correction `yaml:"correction"`
	// PSIEpsilon replaces empty bin proportions in PSI.
	PSIEpsilon float64 `yaml:"psi_epsilon"`
}

// QualityConfig lists the quality metrics to compute from joined labels.
type QualityConfig struct {
	Metrics []QualityMetricConfig `yaml:"metrics"`
	// MinLabels is the fewest joined pairs a window needs for quality.
	MinLabels int `yaml:"min_labels"`
}

// QualityMetricConfig is one quality metric and the value that alerts.
type QualityMetricConfig struct {
	Metric    quality.Metric `yaml:"metric"`
	Threshold float64        `yaml:"threshold"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *PredictionConfig) SetDefaults() { c.DecisionThreshold = 0.5 }

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *LabelConfig) SetDefaults() {
	c.TTL = 24 * time.Hour
	c.MaxEntries = 1_000_000
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *FieldMapping) SetDefaults() {
	*c = FieldMapping{
		ID: "id", Model: "model", ModelVersion: "model_version", Timestamp: "timestamp",
		Features: "features", Prediction: "prediction", Score: "score", Label: "label",
	}
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *ReferenceConfig) SetDefaults() {
	c.Bins = 10
	c.SampleSize = 10_000
	c.TopK = 50
	c.Seed = 1
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *WindowConfig) SetDefaults() {
	c.AllowedLateness = time.Minute
	c.MinEvents = 100
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *DriftConfig) SetDefaults() {
	c.NumericMethod = MethodAuto
	c.CategoricalMethod = MethodAuto
	c.DatasetShare = 0.5
	c.Correction = drift.CorrectionNone
	c.PSIEpsilon = drift.DefaultPSIEpsilon
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *QualityConfig) SetDefaults() { c.MinLabels = 30 }

// FeatureField returns the JSON path of feature f in an event.
func (c ModelConfig) FeatureField(f FeatureConfig) string {
	if f.Field != "" {
		return f.Field
	}
	return c.Source.Fields.Features + "." + f.Name
}

// Validate checks the model's settings without reading any file.
func (c ModelConfig) Validate() error {
	var l field.List
	if err := validateName(c.Name); err != nil {
		l.Add("name", err)
	}
	if len(c.Features) == 0 {
		l.Add("features", errors.New("at least one feature is required"))
	}
	names := map[string]int{}
	for i, f := range c.Features {
		p := field.NewPath("features").Index(i)
		l.Add(p, f.Validate())
		if j, dup := names[f.Name]; dup && f.Name != "" {
			l.Addf(p.Child("name"), "duplicate feature %q (also features[%d])", f.Name, j)
		}
		names[f.Name] = i
	}
	l.Add("prediction", c.Prediction.Validate())
	l.Add("label", c.Label.Validate())
	l.Add("source", c.Source.Validate())
	l.Add("reference", c.Reference.Validate())
	l.Add("window", c.Window.Validate())
	l.Add("drift", c.Drift.Validate())
	l.Add("quality", c.Quality.Validate(c.Prediction.Kind))
	if len(c.Quality.Metrics) > 0 && !c.Label.Enabled {
		l.Addf("quality.metrics", "quality metrics need labels: set label.enabled to true")
	}
	return l.Err()
}

// Validate checks one feature declaration.
func (f FeatureConfig) Validate() error {
	var l field.List
	if err := validateFeatureName(f.Name); err != nil {
		l.Add("name", err)
	}
	if err := f.Type.Validate(); err != nil {
		l.Add("type", err)
	} else {
		l.Add("drift", f.Drift.validateFor(f.Type))
	}
	if f.Field != "" {
		l.Add("field", validateJSONPath(f.Field))
	}
	return l.Err()
}

func (c FeatureDriftConfig) validateFor(t drift.FeatureType) error {
	var l field.List
	if c.Method != "" {
		if err := validateMethodFor(c.Method, t); err != nil {
			l.Add("method", err)
		}
	}
	if c.Threshold != nil {
		m := c.Method
		if m == "" || m == MethodAuto {
			l.Addf("threshold", "a threshold needs an explicit method, since thresholds differ between methods")
		} else if err := validateThreshold(m, *c.Threshold); err != nil {
			l.Add("threshold", err)
		}
	}
	return l.Err()
}

// Validate checks the prediction kind and its class settings.
func (c PredictionConfig) Validate() error {
	var l field.List
	switch c.Kind {
	case Binary, Multiclass, Regression:
	case "":
		l.Addf("kind", "is required (want binary, multiclass or regression)")
	default:
		l.Addf("kind", "unknown prediction kind %q (want binary, multiclass or regression)", string(c.Kind))
	}
	if c.Kind == Regression && (c.PositiveClass != "" || len(c.Classes) > 0) {
		l.Addf("kind", "a regression model has no classes")
	}
	if c.Kind == Binary && c.PositiveClass == "" {
		l.Addf("positive_class", "is required for a binary model")
	}
	if c.Kind == Binary && len(c.Classes) > 0 && len(c.Classes) != 2 {
		l.Addf("classes", "a binary model has exactly 2 classes, got %d", len(c.Classes))
	}
	seen := map[string]bool{}
	for i, cl := range c.Classes {
		if seen[cl] {
			l.Addf(field.NewPath("classes").Index(i), "duplicate class %q", cl)
		}
		seen[cl] = true
	}
	if len(c.Classes) > 0 && c.PositiveClass != "" && !seen[c.PositiveClass] {
		l.Addf("positive_class", "%q is not one of classes", c.PositiveClass)
	}
	if !(c.DecisionThreshold > 0 && c.DecisionThreshold < 1) {
		l.Addf("decision_threshold", "must be between 0 and 1, got %v", c.DecisionThreshold)
	}
	t := drift.Numeric
	if c.Kind != Regression {
		t = drift.Categorical
	}
	l.Add("drift", c.Drift.validateFor(t))
	return l.Err()
}

// Validate checks the label join bounds.
func (c LabelConfig) Validate() error {
	var l field.List
	if c.TTL <= 0 {
		l.Addf("ttl", "must be positive, got %s", c.TTL)
	}
	if c.MaxEntries <= 0 {
		l.Addf("max_entries", "must be positive, got %d", c.MaxEntries)
	}
	return l.Err()
}

// Validate checks that exactly the selected source is configured.
func (c SourceConfig) Validate() error {
	var l field.List
	switch c.Type {
	case SourceKafka:
		l.Add("kafka", c.Kafka.Validate())
		if c.File != (FileSourceConfig{}) {
			l.Addf("file", "is set but source type is kafka")
		}
	case SourceFile:
		l.Add("file", c.File.Validate())
	case SourceEmbedded:
		if c.File != (FileSourceConfig{}) {
			l.Addf("file", "is set but source type is embedded")
		}
	case "":
		l.Addf("type", "is required (want kafka or file)")
	default:
		l.Addf("type", "unknown source type %q (want kafka or file)", string(c.Type))
	}
	l.Add("fields", c.Fields.Validate())
	return l.Err()
}

// Validate checks the replay file settings.
func (c FileSourceConfig) Validate() error {
	var l field.List
	if c.Path == "" {
		l.Add("path", errors.New("is required"))
	}
	if err := validateFormat(c.Format, c.Path); err != nil {
		l.Add("format", err)
	}
	return l.Err()
}

// Validate checks every path of the mapping.
func (m FieldMapping) Validate() error {
	var l field.List
	for _, f := range []struct{ name, path string }{
		{"id", m.ID}, {"model", m.Model}, {"model_version", m.ModelVersion}, {"timestamp", m.Timestamp},
		{"features", m.Features}, {"prediction", m.Prediction}, {"score", m.Score}, {"label", m.Label},
	} {
		l.Add(field.NewPath(f.name), validateJSONPath(f.path))
	}
	return l.Err()
}

// Validate checks that one reference source is named and the profile
// options are sane.
func (c ReferenceConfig) Validate() error {
	var l field.List
	switch {
	case c.Profile == "" && c.Data == "":
		l.Addf("profile", "set profile (a built reference profile) or data (training data)")
	case c.Profile != "" && c.Data != "":
		l.Addf("data", "set profile or data, not both")
	case c.Data != "":
		if err := validateFormat(c.Format, c.Data); err != nil {
			l.Add("format", err)
		}
	case c.Format != "":
		l.Addf("format", "applies only to data")
	}
	if c.Bins < 2 || c.Bins > 1000 {
		l.Addf("bins", "must be between 2 and 1000, got %d", c.Bins)
	}
	if c.SampleSize < 100 || c.SampleSize > 10_000_000 {
		l.Addf("sample_size", "must be between 100 and 10000000, got %d", c.SampleSize)
	}
	if c.TopK < 1 || c.TopK > 10_000 {
		l.Addf("top_k", "must be between 1 and 10000, got %d", c.TopK)
	}
	return l.Err()
}

// Validate checks that the window is sized by time or by count.
func (c WindowConfig) Validate() error {
	var l field.List
	switch {
	case c.Size == 0 && c.Count == 0:
		l.Addf("size", "set size (a duration such as 15m) or count (events per window)")
	case c.Size != 0 && c.Count != 0:
		l.Addf("count", "set size or count, not both")
	case c.Size < 0:
		l.Addf("size", "must be positive, got %s", c.Size)
	case c.Count < 0:
		l.Addf("count", "must be positive, got %d", c.Count)
	}
	if c.AllowedLateness < 0 {
		l.Addf("allowed_lateness", "must not be negative, got %s", c.AllowedLateness)
	}
	if c.Count > 0 && c.AllowedLateness != time.Minute && c.AllowedLateness != 0 {
		l.Addf("allowed_lateness", "applies only to time windows")
	}
	if c.MinEvents < 1 {
		l.Addf("min_events", "must be at least 1, got %d", c.MinEvents)
	}
	if c.Count > 0 && c.MinEvents > c.Count {
		l.Addf("min_events", "is %d, more than the window count %d", c.MinEvents, c.Count)
	}
	return l.Err()
}

// Validate checks methods, thresholds, the dataset share and the correction.
func (c DriftConfig) Validate() error {
	var l field.List
	if err := validateMethodFor(c.NumericMethod, drift.Numeric); err != nil {
		l.Add("numeric_method", err)
	}
	if err := validateMethodFor(c.CategoricalMethod, drift.Categorical); err != nil {
		l.Add("categorical_method", err)
	}
	for m, th := range c.Thresholds {
		p := field.NewPath("thresholds").Key(string(m))
		if err := m.Validate(); err != nil {
			l.Add(p, err)
			continue
		}
		l.Add(p, validateThreshold(m, th))
	}
	if !(c.DatasetShare > 0 && c.DatasetShare <= 1) {
		l.Addf("dataset_share", "must be in (0, 1], got %v", c.DatasetShare)
	}
	if err := c.Correction.Validate(); err != nil {
		l.Add("correction", err)
	}
	if !(c.PSIEpsilon > 0 && c.PSIEpsilon < 0.1) {
		l.Addf("psi_epsilon", "must be in (0, 0.1), got %v", c.PSIEpsilon)
	}
	return l.Err()
}

// Validate checks the metrics against the prediction kind.
func (c QualityConfig) Validate(kind PredictionKind) error {
	var l field.List
	seen := map[quality.Metric]int{}
	for i, m := range c.Metrics {
		p := field.NewPath("metrics").Index(i)
		if err := m.Metric.Validate(); err != nil {
			l.Add(p.Child("metric"), err)
			continue
		}
		if j, dup := seen[m.Metric]; dup {
			l.Addf(p.Child("metric"), "duplicate metric %q (also metrics[%d])", m.Metric, j)
		}
		seen[m.Metric] = i
		if err := metricFits(m.Metric, kind); err != nil {
			l.Add(p.Child("metric"), err)
		}
		l.Add(p.Child("threshold"), m.Metric.ValidateThreshold(m.Threshold))
	}
	if c.MinLabels < 1 {
		l.Addf("min_labels", "must be at least 1, got %d", c.MinLabels)
	}
	return l.Err()
}

func metricFits(m quality.Metric, kind PredictionKind) error {
	regression := m.Kind() == quality.RegressionKind
	switch {
	case kind == Regression && !regression:
		return fmt.Errorf("%s is a classification metric but the model is a regression", m)
	case kind != Regression && kind != "" && regression:
		return fmt.Errorf("%s is a regression metric but the model is %s", m, kind)
	case kind == Multiclass && !multiclassMetric(m):
		return fmt.Errorf("%s needs a binary model (multiclass models use accuracy and the _macro metrics)", m)
	}
	return nil
}

// multiclassMetric reports whether m is defined for more than two classes.
func multiclassMetric(m quality.Metric) bool {
	switch m {
	case quality.Accuracy, quality.PrecisionMacro, quality.RecallMacro, quality.F1Macro:
		return true
	}
	return false
}

func validateMethodFor(m drift.Method, t drift.FeatureType) error {
	if m == MethodAuto {
		return nil
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if !m.Supports(t) {
		return fmt.Errorf("method %s does not apply to %s features", m, t)
	}
	return nil
}

func validateThreshold(m drift.Method, th float64) error {
	if math.IsNaN(th) || math.IsInf(th, 0) || th <= 0 {
		return fmt.Errorf("must be a positive number, got %v", th)
	}
	if m.UsesPValue() && th >= 1 {
		return fmt.Errorf("%s compares a p-value: the threshold must be below 1, got %v", m, th)
	}
	return nil
}

func validateFormat(f FileFormat, path string) error {
	switch f {
	case FormatJSONL, FormatCSV:
		return nil
	case "":
		if path == "" || FormatOf(path) != "" {
			return nil
		}
		return fmt.Errorf("cannot tell the format of %q from its extension: set format to jsonl or csv", path)
	default:
		return fmt.Errorf("unknown format %q (want jsonl or csv)", string(f))
	}
}

// FormatOf infers a data file's format from its extension, or returns "".
func FormatOf(path string) FileFormat {
	switch {
	case strings.HasSuffix(path, ".jsonl"), strings.HasSuffix(path, ".ndjson"):
		return FormatJSONL
	case strings.HasSuffix(path, ".csv"):
		return FormatCSV
	}
	return ""
}

// validateName accepts model names that are safe in metric labels,
// Kubernetes object names and file names: lowercase letters, digits and '-'.
func validateName(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if len(s) > 63 {
		return fmt.Errorf("%q is longer than 63 characters", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("%q has the character %q (allowed: lowercase letters, digits and '-')", s, r)
		}
	}
	return nil
}

// validateFeatureName accepts any printable name up to 128 bytes: feature
// names come from training data and appear only as label values.
func validateFeatureName(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if len(s) > 128 {
		return fmt.Errorf("%q is longer than 128 bytes", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q has a control character", s)
		}
	}
	return nil
}

func validateJSONPath(p string) error {
	if p == "" {
		return errors.New("is required")
	}
	for _, part := range strings.Split(p, ".") {
		if part == "" {
			return fmt.Errorf("%q has an empty segment", p)
		}
	}
	return nil
}

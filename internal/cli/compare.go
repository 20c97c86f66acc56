package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/drift"
)

// ExitDrift is the exit code of "compare --fail-on-drift" when the dataset
// drifted.
const ExitDrift = 3

// CompareCmd compares a current data file with a reference data file.
type CompareCmd struct {
	Reference   string   `required:"" placeholder:"FILE" help:"Reference data: a .csv, .jsonl or .ndjson file, usually the training data."`
	Current     string   `required:"" placeholder:"FILE" help:"Current data to compare with the reference, in the same formats."`
	Categorical []string `placeholder:"COLUMNS" help:"Comma-separated columns to compare as categories even when every value is a number."`
	Method      []string `placeholder:"METHODS" help:"Drift method, or a comma-separated list from which each column takes the first that applies to its type: ks, cramervonmises, wasserstein, psi, jensenshannon, hellinger, chisquare, ztest, l_infinity, missing_share. Default: chosen per column by type and size."`
	Threshold   *float64 `placeholder:"X" help:"Drift threshold for every column: a p-value for tests, a distance otherwise. Default: the method's own."`
	DriftShare  float64  `default:"0.5" placeholder:"SHARE" help:"Share of drifted columns at which the whole dataset counts as drifted, in (0, 1]. Default: ${default}."`
	Bins        int      `default:"10" placeholder:"N" help:"Reference quantile bins for psi, jensenshannon and hellinger on numeric columns. Default: ${default}."`
	Output      string   `short:"o" enum:"table,json" default:"table" help:"Output format: table or json."`
	FailOnDrift bool     `help:"Exit with code 3 when the dataset drifts."`
}

// Run reads both files, compares every column they share and prints the
// results.
func (c *CompareCmd) Run(env *Env) error {
	opts, err := c.options()
	if err != nil {
		return &exitError{code: ExitUsage, msg: "driftwatch: compare: " + err.Error()}
	}
	ref, cur, err := dataset.ReadPair(c.Reference, c.Current, dataset.Options{Categorical: c.Categorical})
	if err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: compare: " + err.Error()}
	}
	if err := checkCategorical(c.Categorical, ref, cur); err != nil {
		return &exitError{code: ExitUsage, msg: "driftwatch: compare: " + err.Error()}
	}
	features, onlyRef, onlyCur, err := dataset.Features(ref, cur)
	if err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: compare: " + err.Error()}
	}
	warnUnshared(env.Stderr, c.Reference, onlyRef, c.Current, onlyCur)
	result, err := drift.Compare(features, opts)
	if err != nil {
		var me *drift.MethodError
		if errors.As(err, &me) {
			return &exitError{code: ExitUsage, msg: "driftwatch: compare: " + err.Error()}
		}
		return &exitError{code: ExitError, msg: "driftwatch: compare: " + err.Error()}
	}
	if err := c.print(env.Stdout, result); err != nil {
		return fmt.Errorf("compare: write output: %w", err)
	}
	if c.FailOnDrift && result.Dataset.Drift {
		return &exitError{code: ExitDrift}
	}
	return nil
}

// options turns the flags into drift.CompareOptions, reporting every bad
// flag at once.
func (c *CompareCmd) options() (drift.CompareOptions, error) {
	opts := drift.CompareOptions{DriftShare: c.DriftShare, Bins: c.Bins}
	var errs []error
	for _, name := range c.Method {
		m := drift.Method(strings.TrimSpace(name))
		if err := m.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--method: %w", err))
		}
		opts.Methods = append(opts.Methods, m)
	}
	if c.Threshold != nil {
		if t := *c.Threshold; !(t > 0) || math.IsInf(t, 0) {
			errs = append(errs, fmt.Errorf("--threshold: %g must be a positive number", t))
		}
		opts.Threshold = *c.Threshold
	}
	if err := drift.ValidateDriftShare(c.DriftShare); err != nil {
		errs = append(errs, fmt.Errorf("--drift-share: %w", err))
	}
	if c.Bins < 1 || c.Bins > drift.MaxBins {
		errs = append(errs, fmt.Errorf("--bins: %d is out of range [1, %d]", c.Bins, drift.MaxBins))
	}
	return opts, errors.Join(errs...)
}

// checkCategorical rejects --categorical names that neither file has,
// which are most likely typos.
func checkCategorical(names []string, ref, cur *dataset.Table) error {
	var unknown []string
	for _, n := range names {
		_, inRef := ref.Column(n)
		_, inCur := cur.Column(n)
		if !inRef && !inCur {
			unknown = append(unknown, strconv.Quote(n))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("--categorical: no column %s in either file", strings.Join(unknown, ", "))
	}
	return nil
}

// warnUnshared lists the columns that only one file has and that are
// therefore not compared.
func warnUnshared(w io.Writer, refName string, onlyRef []string, curName string, onlyCur []string) {
	if len(onlyRef) > 0 {
		fmt.Fprintf(w, "driftwatch: compare: warning: not compared, only in %s: %s\n", refName, strings.Join(onlyRef, ", "))
	}
	if len(onlyCur) > 0 {
		fmt.Fprintf(w, "driftwatch: compare: warning: not compared, only in %s: %s\n", curName, strings.Join(onlyCur, ", "))
	}
}

func (c *CompareCmd) print(w io.Writer, r drift.Comparison) error {
	if c.Output == "json" {
		return writeCompareJSON(w, r)
	}
	return writeCompareTable(w, r)
}

// compareJSON is the JSON document "compare --output json" prints. Its
// shape is part of the command's interface: add fields, never rename them.
type compareJSON struct {
	Features []featureJSON `json:"features"`
	Dataset  datasetJSON   `json:"dataset"`
}

type featureJSON struct {
	Feature               string   `json:"feature"`
	Type                  string   `json:"type"`
	Method                string   `json:"method"`
	Statistic             *float64 `json:"statistic"`
	PValue                *float64 `json:"p_value"`
	Threshold             float64  `json:"threshold"`
	Drift                 bool     `json:"drift"`
	ReferenceCount        int64    `json:"reference_count"`
	CurrentCount          int64    `json:"current_count"`
	MissingShareReference float64  `json:"missing_share_reference"`
	MissingShareCurrent   float64  `json:"missing_share_current"`
}

type datasetJSON struct {
	Features  int     `json:"features"`
	Drifted   int     `json:"drifted"`
	Share     float64 `json:"share"`
	Threshold float64 `json:"threshold"`
	Drift     bool    `json:"drift"`
}

// writeCompareJSON prints the comparison as one line of JSON. NaN, which
// JSON cannot hold, becomes null: the p-value of a distance, and the
// statistic of a column with no values on one side.
func writeCompareJSON(w io.Writer, r drift.Comparison) error {
	doc := compareJSON{
		Features: make([]featureJSON, len(r.Features)),
		Dataset: datasetJSON{Features: r.Dataset.Features, Drifted: r.Dataset.Drifted,
			Share: r.Dataset.Share, Threshold: r.Dataset.Threshold, Drift: r.Dataset.Drift},
	}
	for i, f := range r.Features {
		doc.Features[i] = featureJSON{
			Feature: f.Feature, Type: string(f.Type), Method: string(f.Method),
			Statistic: finiteOrNil(f.Statistic), PValue: finiteOrNil(f.PValue),
			Threshold: f.Threshold, Drift: f.Drift,
			ReferenceCount: f.ReferenceCount, CurrentCount: f.CurrentCount,
			MissingShareReference: f.MissingShareReference, MissingShareCurrent: f.MissingShareCurrent,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// finiteOrNil returns nil for NaN and ±Inf, which JSON cannot hold, and a
// pointer to x otherwise.
func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// writeCompareTable prints one aligned row per column and a summary line.
func writeCompareTable(w io.Writer, r drift.Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tMETHOD\tSTATISTIC\tP-VALUE\tTHRESHOLD\tDRIFT\tREF N\tCUR N\tREF MISSING\tCUR MISSING")
	for _, f := range r.Features {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n",
			f.Feature, f.Type, f.Method, formatNumber(f.Statistic), formatNumber(f.PValue),
			formatNumber(f.Threshold), yesNo(f.Drift), f.ReferenceCount, f.CurrentCount,
			formatPercent(f.MissingShareReference), formatPercent(f.MissingShareCurrent))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	d := r.Dataset
	verdict, cmp := "no dataset drift", "<"
	if d.Drift {
		verdict, cmp = "DATASET DRIFT", ">="
	}
	_, err := fmt.Fprintf(w, "\n%s: %d of %d columns drifted (share %s %s threshold %s)\n",
		verdict, d.Drifted, d.Features, formatNumber(d.Share), cmp, formatNumber(d.Threshold))
	return err
}

// formatNumber prints four significant digits, and "-" for NaN.
func formatNumber(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func formatPercent(x float64) string {
	return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

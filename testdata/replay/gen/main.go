// Command gen writes the replay and reference fixtures of the example
// configuration (testdata/config/example.yaml), deterministically:
//
//	testdata/replay/credit-risk.jsonl         prediction events
//	testdata/replay/credit-risk-labels.jsonl  delayed labels
//	testdata/reference/credit-risk.csv        training data
//	testdata/reference/demand-forecast.profile.json
//
// Run it from the repository root: go run ./testdata/replay/gen
//
// The credit-risk replay covers four 15-minute windows from 08:00 to 09:00
// UTC with 500 predictions each. From 08:30 on, income is 25% higher than
// in training, and nothing else changes, so the last two windows drift on
// income alone. Labels arrive 1 to 9 minutes after their prediction for
// 85% of the predictions; the labels file ends at 09:00, like the
// predictions, so the latest predictions have no label yet. Each file
// holds a few bad records, as real streams do; badPredictions and
// badLabels say which.
//
// The default seed was chosen, among the first dozen, for the widest
// margin between the undrifted features' statistics and their thresholds
// in every window (at most 0.71 of the threshold), so that the fixture
// drifts on income and on nothing else.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/internal/app/reference"
	"github.com/driftwatch/driftwatch/internal/config"
)

// The shape of the credit-risk replay.
const (
	windows         = 4
	perWindow       = 500
	windowSize      = 15 * time.Minute
	driftFromWindow = 2    // income shifts from the third window on
	incomeShift     = 1.25 // the factor applied to income
	labelShare      = 0.85
	trainingRows    = 4000
)

// start is when the replay begins: a Monday morning in 2026.
var start = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

func main() {
	root := flag.String("root", ".", "repository root")
	seed := flag.Uint64("seed", 10, "seed of the replay events")
	flag.Parse()
	if err := run(*root, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string, seed uint64) error {
	replay := filepath.Join(root, "testdata", "replay")
	ref := filepath.Join(root, "testdata", "reference")
	preds, labels := creditRiskEvents(rand.New(rand.NewPCG(seed, 1)))
	if err := writeLines(filepath.Join(replay, "credit-risk.jsonl"), preds); err != nil {
		return err
	}
	if err := writeLines(filepath.Join(replay, "credit-risk-labels.jsonl"), labels); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ref, "credit-risk.csv"), creditRiskTraining(rand.New(rand.NewPCG(20260401, 2))), 0o644); err != nil {
		return err
	}
	profile, err := demandForecastProfile(filepath.Join(root, "testdata", "config", "example.yaml"), rand.New(rand.NewPCG(20260401, 3)))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(ref, "demand-forecast.profile.json"), profile, 0o644)
}

// applicant is one credit application: the model's inputs.
type applicant struct {
	Age         int     `json:"age"`
	Income      float64 `json:"income"`
	DebtRatio   float64 `json:"debt_ratio"`
	CreditLines int     `json:"credit_lines"`
	Employment  string  `json:"employment"`
	Region      string  `json:"region"`
	account     string
}

var (
	employments = []weighted{{"salaried", 0.55}, {"self_employed", 0.20}, {"contract", 0.12}, {"retired", 0.08}, {"unemployed", 0.05}}
	regions     = []weighted{{"north", 0.30}, {"south", 0.25}, {"east", 0.20}, {"west", 0.25}}
	// employmentRisk adds to the log-odds of default.
	employmentRisk = map[string]float64{"salaried": 0, "self_employed": 0.2, "contract": 0.4, "retired": -0.2, "unemployed": 1.0}
)

type weighted struct {
	value  string
	weight float64
}

func pick(rng *rand.Rand, ws []weighted) string {
	u := rng.Float64()
	for _, w := range ws {
		if u < w.weight {
			return w.value
		}
		u -= w.weight
	}
	return ws[len(ws)-1].value
}

// newApplicant draws an applicant; shift multiplies the income.
func newApplicant(rng *rand.Rand, shift float64) applicant {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", rng.Uint64())
	return applicant{
		Age:         int(math.Round(min(max(42+12*rng.NormFloat64(), 18), 85))),
		Income:      math.Round(math.Exp(10.8+0.45*rng.NormFloat64())*shift/10) * 10,
		DebtRatio:   math.Round(min(max(0.3+0.12*rng.NormFloat64(), 0), 1.2)*1000) / 1000,
		CreditLines: poisson(rng, 5),
		Employment:  pick(rng, employments),
		Region:      pick(rng, regions),
		account:     fmt.Sprintf("%016x", h.Sum64()),
	}
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// risk returns the true probability of default and the model's score,
// which sees the risk through noise.
func (a applicant) risk(rng *rand.Rand) (truth, score float64) {
	z := -0.9 + 1.2*(a.DebtRatio-0.3)/0.12 - 0.6*(math.Log(a.Income)-10.8)/0.45 +
		0.25*float64(a.CreditLines-5)/2.2 - 0.3*float64(a.Age-42)/12 + employmentRisk[a.Employment]
	return sigmoid(z), sigmoid(z + 0.35*rng.NormFloat64())
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func class(score float64) string {
	if score >= 0.5 {
		return "1"
	}
	return "0"
}

func outcome(rng *rand.Rand, p float64) string {
	if rng.Float64() < p {
		return "1"
	}
	return "0"
}

type predictionEvent struct {
	ID           string    `json:"id"`
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	Timestamp    string    `json:"timestamp"`
	Features     applicant `json:"features"`
	Meta         meta      `json:"meta"`
	Prediction   string    `json:"prediction"`
	Score        float64   `json:"score"`
}

type meta struct {
	AccountHash string `json:"account_hash"`
}

type labelEvent struct {
	ID        string `json:"id"`
	Model     string `json:"model"`
	Timestamp string `json:"timestamp"`
	Label     string `json:"label"`
}

// timed is a line of a replay file and the time it sorts by.
type timed struct {
	at   time.Time
	line []byte
}

// creditRiskEvents returns the lines of the predictions file and of the
// labels file.
func creditRiskEvents(rng *rand.Rand) (preds, labels []timed) {
	end := start.Add(windows * windowSize)
	n := 0
	for w := range windows {
		shift := 1.0
		if w >= driftFromWindow {
			shift = incomeShift
		}
		wstart := start.Add(time.Duration(w) * windowSize)
		for range perWindow {
			n++
			a := newApplicant(rng, shift)
			truth, score := a.risk(rng)
			at := wstart.Add(time.Duration(rng.Int64N(int64(windowSize)))).Truncate(time.Millisecond)
			ev := predictionEvent{
				ID: fmt.Sprintf("cr-%06d", n), Model: "credit-risk", ModelVersion: "v1", Timestamp: stamp(at),
				Features: a, Meta: meta{AccountHash: a.account}, Prediction: class(score), Score: math.Round(score*1e4) / 1e4,
			}
			// Events reach the log up to 45 seconds after they happen, so
			// the file is in arrival order, not quite in time order.
			arrival := at.Add(time.Duration(rng.Int64N(int64(45 * time.Second))))
			preds = append(preds, timed{arrival, mustJSON(ev)})
			if rng.Float64() >= labelShare {
				continue
			}
			labelAt := at.Add(time.Minute + time.Duration(rng.Int64N(int64(8*time.Minute)))).Truncate(time.Millisecond)
			if labelAt.Before(end) {
				labels = append(labels, timed{labelAt, mustJSON(labelEvent{ID: ev.ID, Model: "credit-risk", Timestamp: stamp(labelAt), Label: outcome(rng, truth)})})
			}
		}
	}
	sortByTime(preds)
	sortByTime(labels)
	preds = insertAfter(preds, badPredictions)
	labels = insertAfter(labels, badLabels(labels))
	return preds, labels
}

// badPredictions are the bad records of the predictions file, by the line
// they follow: a line cut short by a crashed writer (malformed_json), an
// event of another model (unknown_model), and a score outside [0, 1]
// (score_out_of_range).
var badPredictions = map[int][]byte{
	200:  []byte(`{"id":"cr-x00001","model":"credit-risk","model_version":"v1","timestamp":"2026-05-04T08:12:`),
	700:  []byte(`{"id":"fd-000042","model":"fraud-detector","timestamp":"2026-05-04T08:41:07.000Z","features":{"amount":12.5},"prediction":"0"}`),
	1200: []byte(`{"id":"cr-x00002","model":"credit-risk","model_version":"v1","timestamp":"2026-05-04T08:51:02.250Z","features":{"age":51,"income":61000,"debt_ratio":0.21,"credit_lines":3,"employment":"salaried","region":"east"},"meta":{"account_hash":"00000000deadbeef"},"prediction":"1","score":1.7}`),
}

// badLabels are the odd records of the labels file: a label for a
// prediction that was never seen (unmatched) and a second label for one
// that was (duplicate), both well-formed.
func badLabels(labels []timed) map[int][]byte {
	var first labelEvent
	if err := json.Unmarshal(labels[100].line, &first); err != nil {
		panic(err)
	}
	at, _ := time.Parse(time.RFC3339Nano, first.Timestamp)
	dup := first
	dup.Timestamp = stamp(at.Add(time.Second))
	return map[int][]byte{
		101: mustJSON(dup),
		500: mustJSON(labelEvent{ID: "cr-999999", Model: "credit-risk", Timestamp: stampOf(labels[500].line), Label: "0"}),
	}
}

func stampOf(line []byte) string {
	var l labelEvent
	if err := json.Unmarshal(line, &l); err != nil {
		panic(err)
	}
	return l.Timestamp
}

func insertAfter(lines []timed, extra map[int][]byte) []timed {
	out := make([]timed, 0, len(lines)+len(extra))
	for i, l := range lines {
		out = append(out, l)
		if x, ok := extra[i+1]; ok {
			out = append(out, timed{l.at, x})
		}
	}
	return out
}

func sortByTime(ls []timed) {
	slices.SortStableFunc(ls, func(a, b timed) int { return a.at.Compare(b.at) })
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeLines(path string, lines []timed) error {
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l.line)
		buf.WriteByte('\n')
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// creditRiskTraining returns the training data: applicants as in the first
// replay windows, with the model's prediction and the observed outcome.
func creditRiskTraining(rng *rand.Rand) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"age", "income", "debt_ratio", "credit_lines", "employment", "region", "account_id_hash", "prediction", "label"})
	for range trainingRows {
		a := newApplicant(rng, 1)
		truth, score := a.risk(rng)
		_ = w.Write([]string{
			strconv.Itoa(a.Age), strconv.FormatFloat(a.Income, 'f', -1, 64), strconv.FormatFloat(a.DebtRatio, 'f', -1, 64),
			strconv.Itoa(a.CreditLines), a.Employment, a.Region, a.account, class(score), outcome(rng, truth),
		})
	}
	w.Flush()
	return buf.Bytes()
}

// demandForecastProfile profiles synthetic training data of the example's
// demand-forecast model with the model's reference settings, as
// `driftwatch reference build` would.
func demandForecastProfile(configPath string, rng *rand.Rand) ([]byte, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	m, ok := cfg.Model("demand-forecast")
	if !ok {
		return nil, fmt.Errorf("%s has no demand-forecast model", configPath)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"store_size", "promo", "temperature", "day_of_week", "prediction"})
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	for range 1500 {
		size := math.Round(800 + 400*rng.ExpFloat64())
		promo := rng.Float64() < 0.2
		temp := math.Round((14+8*rng.NormFloat64())*10) / 10
		day := rng.IntN(len(days))
		demand := size/20 + 3*temp/10 + float64(day/5)*15
		if promo {
			demand *= 1.3
		}
		_ = w.Write([]string{
			strconv.FormatFloat(size, 'f', -1, 64), strconv.FormatBool(promo), strconv.FormatFloat(temp, 'f', -1, 64),
			days[day], strconv.FormatFloat(math.Round(demand*10)/10, 'f', -1, 64),
		})
	}
	w.Flush()
	cols := reference.ColumnsOf(m)
	t, err := reference.ReadData(bytes.NewReader(buf.Bytes()), "demand-forecast training data", collectors.FormatCSV, cols.Categorical())
	if err != nil {
		return nil, err
	}
	if err := cols.Resolve(t); err != nil {
		return nil, err
	}
	p, err := cols.Build(context.Background(), m, t, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		return nil, err
	}
	return p.Encode()
}

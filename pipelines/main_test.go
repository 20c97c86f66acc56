package pipelines_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/store"
)

// The test binary doubles as the steps and deploy commands of the test
// pipelines, and as a driftwatch process that the crash test kills: run
// with one of these first arguments, it plays that part instead of running
// the tests.
const (
	roleStep   = "dw-test-step"
	roleRunner = "dw-test-runner"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case roleStep:
			os.Exit(testStep(os.Args[2]))
		case roleRunner:
			os.Exit(testRunner(os.Args[2], os.Args[3], os.Args[4]))
		}
	}
	os.Exit(m.Run())
}

// testPipeline is the pipeline of the runner tests: its steps and deploy
// command are this binary in the step role, with stateDir for the files
// through which the tests steer and observe them.
func testPipeline(exe, stateDir string) pipelines.Pipeline {
	var p pipelines.Pipeline
	p.SetDefaults()
	p.Name, p.Model = "churn-retrain", "churn"
	p.Kubernetes.SetDefaults()
	for _, s := range []*pipelines.Step{&p.Steps.Train, &p.Steps.Evaluate} {
		s.SetDefaults()
		s.Command = []string{exe, roleStep}
		s.Args = []string{stateDir}
		s.Timeout, s.Retries, s.Backoff = time.Minute, 0, 30*time.Second
		s.Env = map[string]string{"DW_WINDOW": "{{.DataWindow.Start}}/{{.DataWindow.End}}"}
	}
	p.Steps.Evaluate.Env["DW_METRICS"] = `{"auc": 0.9, "log_loss": 0.3}`
	p.Steps.Evaluate.Env["DW_CHAMPION_METRICS"] = `{"auc": 0.8, "log_loss": 0.4}`
	p.Gate.Metrics = []pipelines.GateMetric{
		{Metric: "auc", Lower: ptr(0.7), Change: &pipelines.ChangeThreshold{Direction: pipelines.HigherIsBetter, Absolute: ptr(-0.01)}},
	}
	p.Deploy.Target = pipelines.DeployCommand
	p.Deploy.Command.SetDefaults()
	p.Deploy.Command.Command = []string{exe, roleStep, stateDir, "--uri={{.URI}}"}
	p.Verify.SetDefaults()
	p.Verify.Period = time.Minute
	return p
}

func ptr(v float64) *float64 { return &v }

// testStep is a step or deploy command. It records its start and end in
// stateDir/events, blocks while stateDir/block-<step> exists until
// stateDir/release-<step> does, and behaves as its DW_* variables say.
func testStep(stateDir string) int {
	step := os.Getenv("DRIFTWATCH_STEP")
	if kind := os.Getenv("DRIFTWATCH_DEPLOY_KIND"); kind != "" {
		step = kind
	}
	run, attempt := os.Getenv("DRIFTWATCH_RUN_ID"), os.Getenv("DRIFTWATCH_ATTEMPT")
	event := func(what string) {
		appendLine(filepath.Join(stateDir, "events"), fmt.Sprintf("run=%s step=%s attempt=%s event=%s", run, step, attempt, what))
	}
	event("start")
	_ = os.WriteFile(filepath.Join(stateDir, "pid-"+step), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if exists(filepath.Join(stateDir, "block-"+step)) {
		event("blocked")
		for !exists(filepath.Join(stateDir, "release-"+step)) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if os.Getenv("DW_SLEEP") != "" {
		signal.Ignore(syscall.SIGTERM) // So the executor must escalate to SIGKILL.
		event("sleeping")
		for {
			time.Sleep(time.Hour)
		}
	}
	if n, _ := strconv.Atoi(os.Getenv("DW_FAIL_ATTEMPTS")); n > 0 {
		if a, _ := strconv.Atoi(attempt); a <= n {
			event("fail")
			fmt.Println("failing on purpose")
			code, _ := strconv.Atoi(os.Getenv("DW_EXIT_CODE"))
			return max(code, 1)
		}
	}
	var err error
	switch step {
	case pipelines.StepDeploy, pipelines.StepRollback:
		err = testDeploy(stateDir, step)
	case pipelines.StepTrain:
		err = testTrain()
	case pipelines.StepEvaluate:
		err = testEvaluate()
	}
	if err != nil {
		event("fail")
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	event("done")
	return 0
}

func testTrain() error {
	dir := os.Getenv("DRIFTWATCH_ARTIFACT_DIR")
	if err := os.WriteFile(filepath.Join(dir, "profile.json"), []byte(`{"features": []}`), 0o644); err != nil {
		return err
	}
	res := map[string]any{"model_uri": filepath.Join(dir, "model.bin"), "profile_uri": filepath.Join(dir, "profile.json"), "metrics": map[string]float64{"train_loss": 0.2}}
	if v := os.Getenv("DW_VERSION"); v != "" {
		res["version"] = v
	}
	return writeResult(res)
}

func testEvaluate() error {
	res := map[string]any{}
	var m, c map[string]float64
	if err := json.Unmarshal([]byte(os.Getenv("DW_METRICS")), &m); err != nil {
		return err
	}
	res["metrics"] = m
	if os.Getenv("DRIFTWATCH_CHAMPION_VERSION") != "" {
		if err := json.Unmarshal([]byte(os.Getenv("DW_CHAMPION_METRICS")), &c); err != nil {
			return err
		}
		res["champion_metrics"] = c
	}
	return writeResult(res)
}

// writeResult writes the result, or what DW_RESULT asks for instead.
func writeResult(res map[string]any) error {
	path := os.Getenv(pipelines.EnvResult)
	data, _ := json.Marshal(res)
	switch os.Getenv("DW_RESULT") {
	case "none":
		return nil
	case "oversized":
		res["padding"] = strings.Repeat("x", pipelines.MaxResultBytes)
		data, _ = json.Marshal(res)
	case "not-json":
		data = []byte("model trained!")
	case "unknown-field":
		res["accuracy"] = 0.9
		data, _ = json.Marshal(res)
	case "no-model-uri":
		delete(res, "model_uri")
		data, _ = json.Marshal(res)
	}
	return os.WriteFile(path, data, 0o644)
}

// testDeploy records the deploy in stateDir/deploys; it fails when
// stateDir/fail-<step>-<version> exists.
func testDeploy(stateDir, step string) error {
	version := os.Getenv("DRIFTWATCH_MODEL_VERSION")
	uri := strings.TrimPrefix(os.Args[len(os.Args)-1], "--uri=")
	if uri != os.Getenv("DRIFTWATCH_MODEL_URI") {
		return fmt.Errorf("templated URI %q differs from DRIFTWATCH_MODEL_URI %q", uri, os.Getenv("DRIFTWATCH_MODEL_URI"))
	}
	if exists(filepath.Join(stateDir, "fail-"+step+"-"+version)) {
		return fmt.Errorf("%s of %s fails on purpose", step, version)
	}
	appendLine(filepath.Join(stateDir, "deploys"), step+" "+version)
	return nil
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		panic(err)
	}
	_ = f.Sync()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// testRunner is a driftwatch process for the crash test: a Runner over
// the store at dbPath whose Source hands out run crash-1 once. It runs
// until it is killed, recording in stateDir what it reports.
func testRunner(dbPath, dir, stateDir string) int {
	exe, _ := os.Executable()
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	once := make(chan pipelines.Request, 1)
	once <- pipelines.Request{ID: "crash-1", Model: "churn", Pipeline: "churn-retrain", Reason: "crash test",
		Trigger: pipelines.Trigger{Kind: pipelines.TriggerManual, RequestedBy: "test"}, RequestedAt: time.Now()}
	src := &fileSource{reqs: once, path: filepath.Join(stateDir, "finish-child")}
	r, err := pipelines.NewRunner(pipelines.Options{
		Pipelines: []pipelines.Pipeline{testPipeline(exe, stateDir)}, Store: db, Source: src,
		Switcher: pipelines.SwitcherFunc(func(context.Context, string, string, string) error { return nil }),
		Observer: pipelines.ObserverFunc(func(context.Context, string, string) (pipelines.Observation, error) {
			return pipelines.Observation{}, nil
		}),
		Executors:  map[pipelines.ExecutorType]pipelines.Executor{pipelines.ExecutorLocal: local.New(local.Options{})},
		Dir:        dir,
		Registerer: prometheus.NewRegistry(),
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = r.Run(context.Background())
	return 0
}

// fileSource hands out the requests of a channel and records reports in a
// file, for the process that the crash test kills.
type fileSource struct {
	reqs chan pipelines.Request
	path string
}

func (s *fileSource) Next(ctx context.Context) (pipelines.Request, error) {
	select {
	case r := <-s.reqs:
		return r, nil
	case <-ctx.Done():
		return pipelines.Request{}, ctx.Err()
	}
}

func (s *fileSource) Finish(_ context.Context, id string, o pipelines.Outcome, _ string) error {
	appendLine(s.path, id+" "+string(o))
	return nil
}

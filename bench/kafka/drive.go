package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"text/template"
	"time"
)

// target is a running driftwatch: its own process, or the benchmark's
// process when it runs driftwatch in-process for profiling.
type target interface {
	pid() int
	// exited is closed when driftwatch stops on its own.
	exited() <-chan struct{}
	// stop stops driftwatch as SIGTERM does and waits for it.
	stop() error
}

// runSpec is one measured run.
type runSpec struct {
	n        int64
	run      int
	topic    string
	group    string
	dir      string // the run's own directory: config, storage, log
	listen   string
	cfgPath  string
	logPath  string
	brokerPD int // the broker's pid, 0 if unknown
}

// result is what one run measured. The interval is from readiness (the
// consumer has joined its group and owns the partitions) to the scrape
// that saw N events consumed, interpolated between scrapes.
type result struct {
	n, run     int
	startup    time.Duration // start to ready
	elapsed    time.Duration // ready to N consumed
	cpu        cpuTimes      // driftwatch over elapsed
	cpuTotal   cpuTimes      // driftwatch from start to N consumed
	brokerCPU  time.Duration // broker over elapsed
	machine    machineCPU    // whole machine over elapsed
	mem        memory        // driftwatch at N consumed
	heapMax    float64
	outcomes   map[string]float64
	windows    map[string]float64
	loadBefore string
	loadAfter  string
	// earlyCloses counts windows closed before their allowed lateness
	// because too many were open: partitions read far apart in event time.
	earlyCloses int
	stopErr     error
	stopSeconds float64
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// freeListen returns a loopback address with a port that was free.
func freeListen() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

type configData struct {
	Listen, Storage, Broker, Topic, Group, Profile, Window, Lateness string
	Features                                                         []struct{ Name, Type string }
}

var configTemplate = template.Must(template.New("config").Parse(configYAML))

// writeConfig writes driftwatch's configuration of a run.
func writeConfig(path string, d configData) error {
	for _, f := range features {
		typ := "numeric"
		if f.categorical {
			typ = "categorical"
		}
		d.Features = append(d.Features, struct{ Name, Type string }{f.name, typ})
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := configTemplate.Execute(f, d); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// processTarget is driftwatch run as its own process.
type processTarget struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(binary string, spec runSpec) (*processTarget, error) {
	logf, err := os.Create(spec.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "run", "-c", spec.cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	t := &processTarget{cmd: cmd, done: make(chan struct{})}
	go func() {
		t.err = cmd.Wait()
		logf.Close()
		close(t.done)
	}()
	return t, nil
}

func (t *processTarget) pid() int                { return t.cmd.Process.Pid }
func (t *processTarget) exited() <-chan struct{} { return t.done }

func (t *processTarget) stop() error {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
		return t.err
	case <-time.After(60 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
		return errors.New("driftwatch did not stop within 60s of SIGTERM; killed")
	}
}

// measure waits for the target to be ready, then scrapes it every poll
// until it has consumed spec.n events, or until timeout.
func measure(ctx context.Context, t target, spec runSpec, poll, timeout time.Duration, log *slog.Logger) (result, error) {
	res := result{n: int(spec.n), run: spec.run, loadBefore: loadAverage()}
	base := "http://" + spec.listen
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for !ready(ctx, base) {
		if err := wait(ctx, t, 20*time.Millisecond); err != nil {
			return res, fmt.Errorf("waiting for /readyz: %w", err)
		}
	}
	readyAt := time.Now()
	res.startup = readyAt.Sub(start)
	before, err := readCounters(t.pid(), spec.brokerPD)
	if err != nil {
		return res, err
	}
	done, last, err := pollUntil(ctx, t, base, spec.n, readyAt, poll, &res.heapMax, log)
	if err != nil {
		return res, err
	}
	after, err := readCounters(t.pid(), spec.brokerPD)
	if err != nil {
		return res, err
	}
	if res.mem, err = processMemory(t.pid()); err != nil {
		return res, err
	}
	res.elapsed = done.Sub(readyAt)
	res.outcomes, res.windows = last.outcomes, last.windows
	res.cpu, res.cpuTotal = after.cpu.sub(before.cpu), after.cpu
	res.brokerCPU = after.broker.sub(before.broker).total()
	res.machine = machineCPU{busy: after.machine.busy - before.machine.busy, total: after.machine.total - before.machine.total}
	res.loadAfter = loadAverage()
	return res, nil
}

// counters are the CPU times read at each end of the measured interval.
type counters struct {
	cpu, broker cpuTimes
	machine     machineCPU
}

// readCounters reads the CPU times of driftwatch, of the broker (zero when
// its pid is unknown) and of the machine.
func readCounters(pid, brokerPID int) (counters, error) {
	var c counters
	var err error
	if c.cpu, err = processCPU(pid); err != nil {
		return c, err
	}
	if brokerPID > 0 {
		if c.broker, err = processCPU(brokerPID); err != nil {
			return c, fmt.Errorf("the broker: %w", err)
		}
	}
	c.machine, err = readMachineCPU()
	return c, err
}

// pollUntil scrapes base every poll until the model has consumed n events,
// and returns when that happened, interpolated between the last two
// scrapes, and the last scrape. heapMax keeps the largest heap seen.
func pollUntil(ctx context.Context, t target, base string, n int64, from time.Time, poll time.Duration,
	heapMax *float64, log *slog.Logger) (time.Time, sample, error) {
	prev := sample{at: from}
	for {
		if err := wait(ctx, t, poll); err != nil {
			return time.Time{}, prev, fmt.Errorf("after %d of %d events: %w", int64(prev.consumed), n, err)
		}
		cur, err := scrape(ctx, base)
		if err != nil {
			log.Warn("scrape failed", "err", err)
			continue
		}
		*heapMax = max(*heapMax, cur.heapInuse)
		if cur.consumed < float64(n) {
			prev = cur
			continue
		}
		frac := (float64(n) - prev.consumed) / (cur.consumed - prev.consumed)
		return prev.at.Add(time.Duration(frac * float64(cur.at.Sub(prev.at)))), cur, nil
	}
}

// wait sleeps for d, and fails when ctx ends or the target exits.
func wait(ctx context.Context, t target, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.exited():
		return errors.New("driftwatch exited")
	}
}

// prepareRun writes a run's directory and configuration.
func prepareRun(b *bench, n int64, run int) (runSpec, error) {
	listen, err := freeListen()
	if err != nil {
		return runSpec{}, err
	}
	dir := filepath.Join(b.dir, fmt.Sprintf("run-n%d-%d", n, run))
	if err := os.RemoveAll(dir); err != nil {
		return runSpec{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runSpec{}, err
	}
	spec := runSpec{
		n: n, run: run, topic: topicName(n, b.produce),
		group:    fmt.Sprintf("dwbench-n%d-%d-%d", n, run, time.Now().UnixNano()),
		dir:      dir,
		listen:   listen,
		cfgPath:  filepath.Join(dir, "driftwatch.yaml"),
		logPath:  filepath.Join(dir, "driftwatch.log"),
		brokerPD: b.brokerPID,
	}
	err = writeConfig(spec.cfgPath, configData{
		Listen: listen, Storage: filepath.Join(dir, "storage"), Broker: b.produce.broker,
		Topic: spec.topic, Group: spec.group, Profile: b.profile,
		Window: b.window.String(), Lateness: b.lateness.String(),
	})
	return spec, err
}

// countLines counts the lines of the file at path that contain s.
func countLines(path, s string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return bytes.Count(b, []byte(s)), nil
}

// Command kafka is the end-to-end throughput benchmark of driftwatch: it
// produces N JSON prediction events of a 20-feature model to a Kafka
// broker, runs `driftwatch run` against them with a fresh consumer group,
// and measures events per second from the moment the consumer owns its
// partitions until /metrics counts N events, with driftwatch's CPU time
// and peak resident memory (VmHWM). bench/kafka.sh starts a broker of its
// own and runs it; see docs/benchmarks.md.
//
//	go run ./bench/kafka -driftwatch bin/driftwatch -broker 127.0.0.1:39192 -n 1000000,3000000
//
// With -inprocess, driftwatch runs inside this process instead, and
// -cpuprofile and -memprofile write profiles of each measured interval.
//
// The producer uses kafka-go directly: this is a tool, not part of
// driftwatch, which reads Kafka only through collectors/kafkasource.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bench is the benchmark's settings, from the flags.
type bench struct {
	binary     string
	dir        string
	sizes      []int64
	runs       int
	produce    produceOptions
	window     time.Duration
	lateness   time.Duration
	refRows    int
	brokerPID  int
	poll       time.Duration
	timeout    time.Duration
	inProcess  bool
	cpuProfile string
	memProfile string
	deleteData bool
	profile    string // the reference profile, once built
	log        *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := parseFlags(os.Args[1:])
	if err == nil {
		err = b.main(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/kafka:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*bench, error) {
	fs := flag.NewFlagSet("bench/kafka", flag.ContinueOnError)
	b := &bench{log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	sizes := fs.String("n", "1000000,3000000,10000000", "comma-separated event counts N")
	fs.StringVar(&b.binary, "driftwatch", "bin/driftwatch", "driftwatch binary (also builds the reference profile)")
	fs.StringVar(&b.dir, "dir", "", "work directory (default: a new temporary directory)")
	fs.IntVar(&b.runs, "runs", 2, "runs per N")
	fs.StringVar(&b.produce.broker, "broker", "127.0.0.1:39192", "Kafka bootstrap broker")
	fs.IntVar(&b.produce.partitions, "partitions", 4, "partitions of each topic")
	fs.StringVar(&b.produce.compression, "compression", "lz4", "producer compression: none, gzip, snappy, lz4, zstd")
	fs.DurationVar(&b.produce.step, "step", time.Millisecond, "event time between consecutive events")
	fs.Uint64Var(&b.produce.seed, "seed", 1, "seed of the generated events and reference data")
	fs.IntVar(&b.produce.writers, "writers", 2, "producer goroutines")
	fs.DurationVar(&b.window, "window", time.Minute, "driftwatch window.size")
	fs.DurationVar(&b.lateness, "lateness", 2*time.Minute, "driftwatch window.allowed_lateness")
	fs.IntVar(&b.refRows, "reference-rows", 100_000, "rows of generated training data")
	fs.IntVar(&b.brokerPID, "broker-pid", 0, "pid of the broker, to report its CPU time")
	fs.DurationVar(&b.poll, "poll", 100*time.Millisecond, "interval between scrapes of /metrics")
	fs.DurationVar(&b.timeout, "timeout", 20*time.Minute, "bound on one run")
	fs.BoolVar(&b.inProcess, "inprocess", false, "run driftwatch inside this process (for -cpuprofile)")
	fs.StringVar(&b.cpuProfile, "cpuprofile", "", "with -inprocess: write CPU profiles of the measured intervals to PREFIX-nN-RUN.pprof")
	fs.StringVar(&b.memProfile, "memprofile", "", "with -inprocess: write a heap profile when each run has consumed N events to PREFIX-nN-RUN.pprof")
	fs.BoolVar(&b.deleteData, "delete-topics", false, "delete the benchmark's topics after the runs")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: bad event count %q", s)
		}
		b.sizes = append(b.sizes, n)
	}
	switch {
	case b.runs < 1 || b.produce.partitions < 1 || b.produce.writers < 1:
		return nil, errors.New("flags -runs, -partitions and -writers must be positive")
	case (b.cpuProfile != "" || b.memProfile != "") && !b.inProcess:
		return nil, errors.New("flags -cpuprofile and -memprofile need -inprocess")
	}
	if _, err := codec(b.produce.compression); err != nil {
		return nil, err
	}
	b.produce.log = b.log
	return b, nil
}

func (b *bench) main(ctx context.Context) error {
	if b.dir == "" {
		d, err := os.MkdirTemp("", "dwbench-")
		if err != nil {
			return err
		}
		b.dir = d
	} else if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if err := b.buildProfile(ctx); err != nil {
		return err
	}
	var results []result
	for _, n := range b.sizes {
		if err := ensureTopic(ctx, topicName(n, b.produce), n, b.produce); err != nil {
			return err
		}
		for run := 1; run <= b.runs; run++ {
			r, err := b.runOnce(ctx, n, run)
			if err != nil {
				return fmt.Errorf("run %d of %d events: %w", run, n, err)
			}
			b.log.Info("run", "n", n, "run", run, "events_per_s", int(r.rate()),
				"seconds", round(r.elapsed.Seconds(), 2), "peak_rss_mib", r.mem.hwm>>20,
				"cpu_s", round(r.cpu.total().Seconds(), 2), "load", r.loadBefore+"→"+r.loadAfter)
			results = append(results, r)
		}
	}
	if b.deleteData {
		var topics []string
		for _, n := range b.sizes {
			topics = append(topics, topicName(n, b.produce))
		}
		if err := deleteTopics(ctx, b.produce.broker, topics...); err != nil {
			b.log.Warn("could not delete the topics", "err", err)
		}
	}
	report(os.Stdout, b, results)
	return nil
}

// buildProfile writes the training data and builds the reference profile
// with `driftwatch reference build`, as an operator would.
func (b *bench) buildProfile(ctx context.Context) error {
	data := filepath.Join(b.dir, "train.csv")
	b.profile = filepath.Join(b.dir, "churn.profile.json")
	if err := writeReference(data, b.refRows, b.produce.seed); err != nil {
		return fmt.Errorf("writing the training data: %w", err)
	}
	cfg := filepath.Join(b.dir, "reference.yaml")
	err := writeConfig(cfg, configData{
		Listen: "127.0.0.1:0", Storage: filepath.Join(b.dir, "storage"), Broker: b.produce.broker,
		Topic: "unused", Group: "unused", Profile: b.profile,
		Window: b.window.String(), Lateness: b.lateness.String(),
	})
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, b.binary, "reference", "build", "-c", cfg, "--model", modelName,
		"--data", data, "--out", b.profile, "--created-at", "2026-03-01T00:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("driftwatch reference build: %w\n%s", err, out)
	}
	return nil
}

// runOnce measures one run of N events with a fresh consumer group.
func (b *bench) runOnce(ctx context.Context, n int64, run int) (result, error) {
	spec, err := prepareRun(b, n, run)
	if err != nil {
		return result{}, err
	}
	var t target
	if b.inProcess {
		t, err = startInProcess(ctx, spec, b)
	} else {
		t, err = startProcess(b.binary, spec)
	}
	if err != nil {
		return result{}, err
	}
	res, err := measure(ctx, t, spec, b.poll, b.timeout, b.log)
	stopStart := time.Now()
	res.stopErr = t.stop()
	res.stopSeconds = time.Since(stopStart).Seconds()
	if err != nil {
		return res, fmt.Errorf("%w (log: %s)", err, spec.logPath)
	}
	if res.stopErr != nil {
		b.log.Warn("driftwatch did not stop cleanly", "err", res.stopErr, "log", spec.logPath)
	}
	res.earlyCloses, err = countLines(spec.logPath, "too many open windows")
	return res, err
}

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/config"
)

// inProcessTarget runs driftwatch's app in the benchmark's own process,
// wired as `driftwatch run` wires it, so that runtime/pprof can profile
// it. Its CPU times are the whole process's, which the scraping adds
// little to; its VmHWM is the peak of every run so far.
type inProcessTarget struct {
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	logf    *os.File
	profile *os.File
	heap    string // where to write a heap profile when stopping
}

func startInProcess(ctx context.Context, spec runSpec, b *bench) (*inProcessTarget, error) {
	cfg, err := config.Load(spec.cfgPath)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(spec.logPath)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(promcollectors.NewGoCollector(),
		promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}))
	a, err := app.New(app.Options{
		Config:    cfg,
		ConfigDir: filepath.Dir(spec.cfgPath),
		Logger:    slog.New(slog.NewTextHandler(logf, nil)),
		Registry:  reg,
	})
	if err != nil {
		logf.Close()
		return nil, err
	}
	t := &inProcessTarget{done: make(chan struct{}), logf: logf}
	if b.cpuProfile != "" {
		path := fmt.Sprintf("%s-n%d-%d.pprof", b.cpuProfile, spec.n, spec.run)
		if t.profile, err = os.Create(path); err != nil {
			logf.Close()
			return nil, err
		}
		if err := pprof.StartCPUProfile(t.profile); err != nil {
			t.profile.Close()
			logf.Close()
			return nil, err
		}
		b.log.Info("profiling", "cpuprofile", path)
	}
	if b.memProfile != "" {
		t.heap = fmt.Sprintf("%s-n%d-%d.pprof", b.memProfile, spec.n, spec.run)
	}
	var runCtx context.Context
	runCtx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		t.err = a.Run(runCtx)
		close(t.done)
	}()
	return t, nil
}

func (t *inProcessTarget) pid() int                { return os.Getpid() }
func (t *inProcessTarget) exited() <-chan struct{} { return t.done }

// stop ends the profiles first, so that they cover the measured interval
// and not the shutdown.
func (t *inProcessTarget) stop() error {
	if t.profile != nil {
		pprof.StopCPUProfile()
		t.profile.Close()
	}
	if t.heap != "" {
		if err := writeHeapProfile(t.heap); err != nil {
			return err
		}
	}
	t.cancel()
	defer t.logf.Close()
	select {
	case <-t.done:
		return t.err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("driftwatch did not stop within 60s")
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

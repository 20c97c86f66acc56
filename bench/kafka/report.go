package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// report writes the runs and a summary per N as Markdown tables.
func report(w io.Writer, b *bench, results []result) {
	mode := "process"
	if b.inProcess {
		mode = "in-process (memory figures cover every run so far)"
	}
	fmt.Fprintf(w, "\n%d partitions, %s, %d reference rows, window %s (lateness %s), labels off, driftwatch %s\n\n",
		b.produce.partitions, b.produce.compression, b.refRows, b.window, b.lateness, mode)
	fmt.Fprintln(w, "| N | run | events/s | s | startup s | driftwatch CPU s (user+sys) | CPU µs/event | cores used | broker CPU s | machine busy | peak RSS MiB | RSS MiB | heap in use max MiB | late / rejected | windows (early) | load 1m |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %d | %d | %.0f | %.2f | %.2f | %.1f (%.1f+%.1f) | %.2f | %.2f | %.1f | %.0f%% | %d | %d | %.0f | %.0f / %.0f | %.0f (%d) | %s→%s |\n",
			r.n, r.run, r.rate(), r.elapsed.Seconds(), r.startup.Seconds(),
			r.cpu.total().Seconds(), r.cpu.user.Seconds(), r.cpu.sys.Seconds(),
			perEvent(r.cpu.total(), r.n), r.cpu.total().Seconds()/r.elapsed.Seconds(),
			r.brokerCPU.Seconds(), 100*r.machine.busy.Seconds()/max(r.machine.total.Seconds(), 1e-9),
			r.mem.hwm>>20, r.mem.rss>>20, r.heapMax/(1<<20),
			r.outcomes["late"], r.outcomes["rejected"], windowCount(r.windows), r.earlyCloses, r.loadBefore, r.loadAfter)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| N | runs | best events/s | median events/s | median CPU µs/event | median peak RSS MiB | target 200,000/s |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, n := range b.sizes {
		var rates, cpus, hwms []float64
		for _, r := range results {
			if int64(r.n) == n {
				rates = append(rates, r.rate())
				cpus = append(cpus, perEvent(r.cpu.total(), r.n))
				hwms = append(hwms, float64(r.mem.hwm>>20))
			}
		}
		if len(rates) == 0 {
			continue
		}
		met := "met"
		if median(rates) < 200_000 {
			met = "missed"
		}
		fmt.Fprintf(w, "| %d | %d | %.0f | %.0f | %.2f | %.0f | %s |\n",
			n, len(rates), slices.Max(rates), median(rates), median(cpus), median(hwms), met)
	}
}

func perEvent(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(n)
}

func windowCount(m map[string]float64) float64 {
	var n float64
	for _, v := range m {
		n += v
	}
	return n
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

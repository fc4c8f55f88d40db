// harness.go - options, clock, memory readings, medians and the fixed output
// schema of ../WORKLOADS.md; the Go twin of ../common/peer.h.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const engine = "go"

type options struct {
	json, quick bool
	runs        int
	warmup      int // unreported runs first, as every contestant (default 1)
	only        string
	minSampleMs float64 // --min-sample-ms M: minimum sample duration (measure)
}

type metric struct{ name, unit string }

var opt = options{runs: 3, warmup: 1}
var base = time.Now()
var sink int // results land here so no work is dropped

// nowNs reads the monotonic clock (time.Since uses it, not the wall clock).
func nowNs() int64 { return int64(time.Since(base)) }

// timedNs: what the timed regions measured so far. Each workload passes the
// duration it divides by its operation count through timed, which measure
// reads to repeat a run until its sample lasted the minimum (peer.h's
// peer_sample, the engines' BENCH_REPEAT).
var timedNs int64

func timed(ns int64) int64 {
	timedNs += ns
	return ns
}

// statusKiB returns a field of /proc/self/status in KiB ("VmRSS", "VmHWM").
func statusKiB(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, key+":") {
			fields := strings.Fields(line[len(key)+1:])
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return -1
}

// resetPeak makes VmHWM start again from the current RSS (Linux >= 4.0).
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// percentile is nearest-rank on a sorted slice.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func usage(workloads string) {
	fmt.Printf("usage: %s [--json] [--quick] [--runs N] [--bench NAME] [--help]\n"+
		"  --json       one JSON object per line: bench, engine, params, metric,\n"+
		"               value (median of the runs), unit, min, max, runs\n"+
		"  --quick      small sizes (whole program well under 20 s)\n"+
		"  --runs N     repeat each measurement N times (default 3)\n"+
		"  --warmup W   unreported runs before them (default 1)\n"+
		"  --min-sample-ms M  repeat each run until its timed regions add up to M ms (default 0)\n"+
		"  --bench NAME run only that workload\n"+
		"workloads: %s\n", os.Args[0], workloads)
}

func want(bench string) bool { return opt.only == "" || opt.only == bench }

var header bool

func emit(bench, params, name string, value, min, max float64, unit string) {
	if opt.json {
		fmt.Printf("{\"bench\":%q,\"engine\":%q,\"params\":%s,\"metric\":%q,\"value\":%.6g,\"unit\":%q,\"min\":%.6g,\"max\":%.6g,\"runs\":%d}\n",
			bench, engine, params, name, value, unit, min, max, opt.runs)
		return
	}
	if !header {
		header = true
		fmt.Printf("%-9s %-7s %-52s %-15s %12s %12s %12s %s\n", "bench", "engine", "params", "metric", "median", "min", "max", "unit")
	}
	fmt.Printf("%-9s %-7s %-52s %-15s %12.2f %12.2f %12.2f %s\n", bench, engine, params, name, value, min, max, unit)
}

// unsupported keeps the schema: value 0, unit "none", and a reason.
func unsupported(bench, params, reason string) {
	if opt.json {
		fmt.Printf("{\"bench\":%q,\"engine\":%q,\"params\":%s,\"metric\":\"unsupported\",\"value\":0,\"unit\":\"none\",\"reason\":%q}\n",
			bench, engine, params, reason)
		return
	}
	fmt.Printf("%-9s %-7s %-52s unsupported: %s\n", bench, engine, params, reason)
}

// sample runs fn once, then again while the time its timed regions measured
// is short of --min-sample-ms; each figure is the mean over the repetitions
// (every repetition does the same work). A fn that times nothing (memory,
// latency percentiles) runs once.
func sample(n int, fn func(out []float64)) []float64 {
	minNs, t0 := int64(opt.minSampleMs*1e6), timedNs
	sum := make([]float64, n)
	reps := 0
	for {
		one := make([]float64, n)
		fn(one)
		for k := range one {
			sum[k] += one[k]
		}
		reps++
		if !(timedNs > t0 && timedNs-t0 < minNs) {
			break
		}
	}
	for k := range sum {
		sum[k] /= float64(reps)
	}
	return sum
}

// measure takes opt.warmup unreported samples, then opt.runs samples; fn
// fills one figure per metric. It prints the median, min and max of each
// figure: medians resist the noisy machine.
func measure(bench, params string, ms []metric, fn func(out []float64)) {
	vals := make([][]float64, len(ms))
	for w := 0; w < opt.warmup; w++ {
		sample(len(ms), fn)
	}
	for r := 0; r < opt.runs; r++ {
		out := sample(len(ms), fn)
		for k := range ms {
			vals[k] = append(vals[k], out[k])
		}
	}
	for k, m := range ms {
		s := vals[k]
		sort.Float64s(s)
		n := len(s)
		med := s[n/2]
		if n%2 == 0 {
			med = (s[n/2-1] + s[n/2]) / 2
		}
		emit(bench, params, m.name, med, s[0], s[n-1], m.unit)
	}
}

// parseArgs handles the common options; it returns the remaining arguments
// (the hidden child mode of hold uses them).
func parseArgs(workloads string) []string {
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--json":
			opt.json = true
		case a == "--quick":
			opt.quick = true
		case a == "--runs" && i+1 < len(args):
			i++
			opt.runs, _ = strconv.Atoi(args[i])
		case a == "--warmup" && i+1 < len(args):
			i++
			opt.warmup, _ = strconv.Atoi(args[i])
		case a == "--min-sample-ms" && i+1 < len(args):
			i++
			opt.minSampleMs, _ = strconv.ParseFloat(args[i], 64)
		case a == "--bench" && i+1 < len(args):
			i++
			opt.only = args[i]
		case a == "--help" || a == "-h":
			usage(workloads)
			os.Exit(0)
		case a == "--hold-child":
			return args[i:]
		default:
			fmt.Fprintf(os.Stderr, "%s: unknown option %s\n", os.Args[0], a)
			usage(workloads)
			os.Exit(2)
		}
	}
	if opt.runs < 1 {
		opt.runs = 1
	}
	if opt.minSampleMs < 0 || opt.minSampleMs > 10000 {
		fmt.Fprintf(os.Stderr, "%s: --min-sample-ms must be 0..10000\n", os.Args[0])
		os.Exit(2)
	}
	if countCalls {
		opt.minSampleMs = 0 // calls_per_run counts one repetition
	}
	return nil
}

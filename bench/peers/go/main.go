// main.go - the workloads of ../WORKLOADS.md with goroutines. Async functions
// are plain Go functions on a goroutine's growable stack; a yield is
// runtime.Gosched(). GOMAXPROCS is 1: every figure is single-threaded, like
// the other peers' one-thread loops.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func fibRef(n int) int {
	a, b := 0, 1
	for ; n > 0; n-- {
		a, b = b, a+b
	}
	return a
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// ---- fib ----
var yieldEvery, leaf int
var fibCalls int // counted only when countCalls (checking build)

func fib(n int) int {
	if countCalls {
		fibCalls++
	}
	if n < 2 {
		if yieldEvery != 0 {
			if leaf++; leaf == yieldEvery {
				leaf = 0
				runtime.Gosched()
			}
		}
		return n
	}
	return fib(n-1) + fib(n-2)
}

func benchFib(n, k int) {
	calls, leaves := 2*fibRef(n+1)-1, fibRef(n+1)
	params := fmt.Sprintf(`{"n":%d,"yield_every":%d}`, n, k)
	ms := []metric{{"ns_per_call", "ns"}, {"peak_rss_kib", "KiB"}, {"allocs_per_call", "allocs"}}
	per := calls
	if k != 0 {
		ms[0].name, per = "ns_per_leaf", leaves
	}
	callsRun := 0
	measure("fib", params, ms, func(out []float64) {
		yieldEvery, leaf = k, 0
		resetPeak()
		c0 := fibCalls
		m0 := mallocs()
		done := make(chan int)
		t0 := nowNs()
		go func() { done <- fib(n) }()
		r := <-done
		t1 := nowNs()
		if r != fibRef(n) {
			panic("fib: wrong result")
		}
		out[0] = float64(timed(t1-t0)) / float64(per)
		out[1] = float64(statusKiB("VmHWM"))
		out[2] = float64(mallocs()-m0) / float64(calls)
		callsRun = fibCalls - c0
	})
	if countCalls {
		emit("fib", params, "calls_per_run", float64(callsRun), float64(callsRun), float64(callsRun), "calls")
	}
}

// ---- depth ----
var elapsed int64

func chain(d, r int) int {
	if d > 1 {
		return chain(d-1, r) + 1
	}
	t0 := nowNs()
	for i := 0; i < r; i++ {
		runtime.Gosched()
	}
	elapsed = nowNs() - t0
	return 1
}

func benchDepth(d, r int) {
	params := fmt.Sprintf(`{"depth":%d,"yields":%d}`, d, r)
	measure("depth", params, []metric{{"ns_per_roundtrip", "ns"}}, func(out []float64) {
		done := make(chan int)
		go func() { done <- chain(d, r) }()
		sink = <-done
		out[0] = float64(timed(elapsed)) / float64(r)
	})
}

// benchDepthFull: the full shape (issue 9): c fresh chains of d frames, each
// suspended once at its leaf and completed.
func benchDepthFull(d, c int) {
	params := fmt.Sprintf(`{"depth":%d,"chains":%d}`, d, c)
	measure("depth", params, []metric{{"ns_per_chain", "ns"}}, func(out []float64) {
		done := make(chan int)
		var ns int64
		go func() {
			s := 0
			t0 := nowNs()
			for i := 0; i < c; i++ {
				s += chain(d, 1)
			}
			ns = int64(nowNs() - t0)
			done <- s
		}()
		if s := <-done; s != d*c {
			panic("depth: wrong result")
		}
		out[0] = float64(timed(ns)) / float64(c)
	})
}

// ---- hold: N goroutines parked at depth 10 ----
// Each hold runs in a fresh child process: the runtime keeps dead
// goroutines' descriptors for reuse, so a second run in the same process
// would show less memory per task than the first.
var (
	wake     = make(chan struct{}) // receivers queue FIFO: a send wakes the oldest
	ran      = make(chan struct{}) // one-by-one mode: "I am running again"
	oneByOne bool
	lat      []float64
	tReq     int64 // when the resume of the task about to run was asked
)

func holdChain(d, slot int, parked *sync.WaitGroup) int {
	if d > 1 {
		return holdChain(d-1, slot, parked) + 1
	}
	parked.Done()
	<-wake
	lat[slot] = float64(nowNs() - tReq)
	if oneByOne {
		ran <- struct{}{}
	}
	return 1
}

// holdChild does one hold in this process and prints "bytes p50 p99".
func holdChild(n, holdMs int) {
	lat = make([]float64, n)
	res := make([]int, n)
	var parked, finished sync.WaitGroup
	runtime.GC()
	debug.FreeOSMemory()
	rss0 := statusKiB("VmRSS")
	parked.Add(n)
	finished.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			res[i] = holdChain(10, i, &parked)
			finished.Done()
		}(i)
	}
	parked.Wait()
	runtime.Gosched() // the last task still has to reach its receive
	rss1 := statusKiB("VmRSS")
	time.Sleep(time.Duration(holdMs) * time.Millisecond)
	if oneByOne {
		for i := 0; i < n; i++ {
			tReq = nowNs()
			wake <- struct{}{}
			<-ran
		}
	} else {
		close(wake)
	}
	finished.Wait()
	for _, v := range res {
		if v != 10 {
			panic("hold: wrong result")
		}
	}
	sort.Float64s(lat)
	fmt.Println(float64(rss1-rss0)*1024/float64(n), percentile(lat, 0.50), percentile(lat, 0.99))
}

// hold runs holdChild in a child process; out: bytes_per_task, p50, p99.
func hold(n int, oneByOne bool, out []float64, holdMs int) {
	exe, err := os.Executable()
	if err == nil {
		var b []byte
		cmd := exec.Command(exe, "--hold-child", strconv.Itoa(n), strconv.FormatBool(oneByOne), strconv.Itoa(holdMs))
		cmd.Stderr = os.Stderr
		if b, err = cmd.Output(); err == nil {
			for k, f := range strings.Fields(string(b)) {
				if k < len(out) {
					out[k], _ = strconv.ParseFloat(f, 64)
				}
			}
			return
		}
	}
	fmt.Fprintln(os.Stderr, "hold child:", err)
	os.Exit(1)
}

func benchDepthBytes(n int) {
	params := fmt.Sprintf(`{"depth":10,"tasks":%d}`, n)
	measure("depth", params, []metric{{"bytes_per_task", "bytes"}}, func(out []float64) {
		o := make([]float64, 3)
		hold(n, false, o, 10)
		out[0] = o[0]
	})
}

func benchLifetime(n, holdMs int) {
	params := fmt.Sprintf(`{"tasks":%d,"depth":10,"hold_ms":%d}`, n, holdMs)
	ms := []metric{{"bytes_per_task", "bytes"}, {"resume_p50_ns", "ns"}, {"resume_p99_ns", "ns"}}
	measure("lifetime", params, ms, func(out []float64) { hold(n, true, out, holdMs) })
}

// ---- sawtooth ----
func down(d int, first bool) int {
	if first && d == 20 {
		runtime.Gosched() // the first suspension, at 20
	}
	if d == 30 {
		return 1
	}
	return down(d+1, first) + 1
}

func saw(d, cycles int) int {
	if d < 10 {
		return saw(d+1, cycles) + 1
	}
	s := 0
	for c := 0; c < cycles; c++ {
		s += down(11, c == 0) // to depth 30 and back to 10
		runtime.Gosched()     // suspend at depth 10
	}
	return s
}

func benchSawtooth(tasks, cycles int) {
	params := fmt.Sprintf(`{"tasks":%d,"cycles":%d}`, tasks, cycles)
	measure("sawtooth", params, []metric{{"ns_per_cycle", "ns"}}, func(out []float64) {
		var wg sync.WaitGroup
		wg.Add(tasks)
		t0 := nowNs()
		for t := 0; t < tasks; t++ {
			go func() {
				sink = saw(1, cycles/tasks)
				wg.Done()
			}()
		}
		wg.Wait()
		out[0] = float64(timed(nowNs()-t0)) / float64(cycles/tasks*tasks)
	})
}

// ---- thunk: go f() and wait for it ----
func nop(wg *sync.WaitGroup) {
	sink = 0 // the async function's (empty) body
	wg.Done()
}

func benchThunk(iters int) {
	params := fmt.Sprintf(`{"calls":%d}`, iters)
	ms := []metric{{"ns_per_call", "ns"}, {"allocs_per_call", "allocs"}}
	measure("thunk", params, ms, func(out []float64) {
		var wg sync.WaitGroup
		m0 := mallocs()
		t0 := nowNs()
		for i := 0; i < iters; i++ {
			wg.Add(1)
			go nop(&wg)
			wg.Wait()
		}
		out[0] = float64(timed(nowNs()-t0)) / float64(iters)
		out[1] = float64(mallocs()-m0) / float64(iters)
	})
}

// ---- eh: panic at depth d, recover at the root ----
type benchError struct{ depth int }

var errBench = &benchError{} // preallocated: the panic itself allocates nothing

func thrower(d int, suspend bool) int {
	if d > 1 {
		return thrower(d-1, suspend) + 1
	}
	if suspend {
		runtime.Gosched()
	}
	panic(errBench)
}

func catchOne(d int, suspend bool) (caught int) {
	defer func() {
		if recover() != nil {
			caught = 1
		}
	}()
	sink = thrower(d, suspend)
	return 0
}

func benchEh(d, suspend, iters int) {
	params := fmt.Sprintf(`{"depth":%d,"suspend":%d,"mechanism":"panic"}`, d, suspend)
	measure("eh", params, []metric{{"ns_per_throw", "ns"}}, func(out []float64) {
		done := make(chan int)
		t0 := nowNs()
		go func() {
			caught := 0
			for i := 0; i < iters; i++ {
				caught += catchOne(d, suspend == 1)
			}
			done <- caught
		}()
		if <-done != iters {
			panic("eh: not every panic was recovered")
		}
		out[0] = float64(timed(nowNs()-t0)) / float64(iters)
	})
}

func main() {
	runtime.GOMAXPROCS(1)
	if rest := parseArgs("fib, depth, sawtooth, thunk, lifetime, eh"); rest != nil {
		n, _ := strconv.Atoi(rest[1])
		oneByOne = rest[2] == "true"
		holdMs, _ := strconv.Atoi(rest[3])
		holdChild(n, holdMs)
		return
	}
	q := opt.quick
	// Sizes mirror bench/common/workloads.h (C cannot be included from Go).
	pick := func(quick, full int) int {
		if q {
			return quick
		}
		return full
	}
	if want("fib") {
		benchFib(pick(27, 30), 0)
		benchFib(pick(22, 25), 1)
		benchFib(pick(22, 25), 10)
	}
	if want("depth") {
		for _, d := range []int{1, 10, 100, 1000} {
			benchDepth(d, pick(10000, 100000))
		}
		for _, d := range []int{1, 10, 100, 1000} {
			benchDepthFull(d, pick(1000, 10000))
		}
		benchDepthBytes(pick(10000, 100000))
	}
	if want("sawtooth") {
		for _, t := range []int{1, 100} {
			benchSawtooth(t, pick(10000, 100000))
		}
	}
	if want("thunk") {
		benchThunk(pick(100000, 1000000))
	}
	if want("lifetime") {
		// {tasks, hold_ms}: bench/common/workloads.h's wl_lifetime_case.
		max := pick(10000, 100000)
		for _, c := range [][2]int{{10, 10}, {1000, 10}, {max, 10}, {max, 1}, {max, 100}} {
			benchLifetime(c[0], c[1])
		}
	}
	if want("eh") {
		for _, d := range []int{1, 10, 64} {
			for s := 0; s <= 1; s++ {
				benchEh(d, s, pick(2000, 20000))
			}
		}
	}
}

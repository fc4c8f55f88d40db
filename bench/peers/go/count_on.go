//go:build countcalls

// The checking build (go build -tags countcalls, bench/check/run): every fib
// call is counted and each fib figure also emits calls_per_run.
package main

const countCalls = true

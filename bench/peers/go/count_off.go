//go:build !countcalls

// The timing build: the counter is a constant false, compiled away.
package main

const countCalls = false

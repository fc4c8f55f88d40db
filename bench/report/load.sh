# Sourced by the load benchmarks' drivers (bench/http/run.sh,
# bench/echo/run.sh), run from the repository root.

# load_go_peer DIR EXE: builds the Go program in DIR as EXE from the standard
# library only (nothing is downloaded); sets go_args to `--go EXE`, or to
# nothing when Go is missing or the build fails (the peer is then not measured).
load_go_peer() {
    go_args=()
    command -v go >/dev/null || return 0
    (cd "$1" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -o "$2" .) && go_args=(--go "$2")
    return 0
}

# load_report WHO: rebuilds bench/results/REPORT.md and README.md's headline
# from the files in bench/results (a driver run by hand; bench/run passes
# --no-report and rebuilds them once at its end).
load_report() {
    python3 bench/report/report.py bench/results/results.jsonl bench/results
    python3 bench/report/headline.py bench/results/results.jsonl README.md
    echo "$1: rebuilt bench/results/REPORT.md and README.md's headline" >&2
}

#!/usr/bin/env bash
# The rtajson command line (issue 14's contract): exit 0 for exactly one valid
# JSON text, 1 with one "FILE:LINE:COL: error: reason" line on stderr for an
# invalid one, 2 for I/O and usage errors; roundtrip writes the compact form.
#   usage: cli.sh RTAJSON CORPUS_DIR   (env RJ_ENGINES: the engines built;
#          RJ_RUN: an emulator prefix;
#          RJ_QUICK=1 runs every 10th corpus file, for slow configurations;
#          RJ_VALGRIND: a valgrind command line for a few runs of the tool)
set -u
bin=$1 corpus=$2
run() { ${RJ_RUN:-} "$bin" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect RC STDERR_REGEX|EMPTY|'' -- ARGS...   (stdin from $tmp/in when it exists)
expect() {
    local rc=$1 re=$2
    shift 3
    local got
    if [[ -e $tmp/in ]]; then run "$@" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"; else run "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; fi
    got=$?
    [[ $got == "$rc" ]] || fail "rtajson $* exited $got, expected $rc: $(head -c 300 "$tmp/err")"
    if [[ $re == EMPTY ]]; then
        [[ -s $tmp/err ]] && fail "rtajson $*: unexpected stderr '$(head -c 300 "$tmp/err")'"
    elif [[ -n $re ]]; then
        grep -Eq -- "$re" "$tmp/err" || fail "rtajson $*: stderr '$(head -c 300 "$tmp/err")' does not match '$re'"
    fi
    if [[ $rc == 1 && $(wc -l <"$tmp/err") != 1 ]]; then fail "rtajson $*: not exactly one line on stderr"; fi
}

# RJ_ENGINES: the engines this build has (CMake's list). Each must work; each
# known engine not in it must be refused with a clear exit 2.
read -ra engines <<<"${RJ_ENGINES:-sync tasklet}"
for e in cont async1; do
    [[ " ${engines[*]} " == *" $e "* ]] && continue
    run check --engine $e "$corpus/y_empty_object.json" 2>"$tmp/err"
    rc=$?
    if [[ $rc != 2 ]] || ! grep -q "engine $e is not built: it needs rtac" "$tmp/err"; then fail "--engine $e (not built): rc $rc $(cat "$tmp/err")"; fi
done

for e in "${engines[@]}"; do
    expect 0 EMPTY -- check --engine $e "$corpus/y_ws_object.json"
    expect 0 EMPTY -- roundtrip --engine $e "$corpus/y_ws_object.json"
    [[ $(cat "$tmp/out") == '{"a":[1,2],"b":{}}' ]] || fail "$e roundtrip gave $(cat "$tmp/out")"
    cmp -s "$tmp/out" "$corpus/y_ws_object.expect" || fail "$e roundtrip: trailing bytes"
    expect 1 "n_multiline_pos.json:4:7: error: expected a value, found ','" -- check --engine $e "$corpus/n_multiline_pos.json"
    expect 1 "" -- roundtrip --engine=$e "$corpus/n_multiline_pos.json"
    [[ -s $tmp/out ]] && fail "$e: roundtrip of an invalid file wrote output"
    expect 1 "1:513: error: nesting deeper than 512 levels" -- check --engine $e "$corpus/n_depth_100k.json"
    expect 0 EMPTY -- check --engine $e "$corpus/y_depth_512.json"
    expect 1 "1:3: error: nesting deeper than 2 levels" -- check --engine $e --max-depth 2 "$corpus/y_depth_512.json"
    printf '{"k": [true, "\\u00e9"]}' >"$tmp/in"
    expect 0 EMPTY -- roundtrip --engine $e -
    [[ $(cat "$tmp/out") == '{"k":[true,"é"]}' ]] || fail "$e: stdin roundtrip gave $(cat "$tmp/out")"
    printf '[1, 2' >"$tmp/in"
    expect 1 '<stdin>:1:6: error: .*end of input' -- check --engine $e -
    rm -f "$tmp/in"
    expect 2 "cannot open .*No such file" -- check --engine $e "$tmp/missing.json"
    expect 2 "read error: Is a directory" -- check --engine $e "$tmp"
    # a closed standard output is a write error, not a crash
    run roundtrip --engine $e "$corpus/y_ws_object.json" >&- 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] && grep -q "write error" "$tmp/err" || fail "$e: closed stdout: rc $rc $(cat "$tmp/err")"
done

# memcheck over the tool itself, a few runs (the library's tests run under it whole)
if [[ -n ${RJ_VALGRIND:-} ]]; then
    vg_runs=("roundtrip --engine tasklet $corpus/y_nested_mixed.json" "check --engine sync $corpus/n_multiline_pos.json"
             "roundtrip --engine tasklet $corpus/n_depth_100k.json")
    for e in cont async1; do # the rtac-lowered engines: one run each
        [[ " ${engines[*]} " == *" $e "* ]] && vg_runs+=("roundtrip --engine $e $corpus/n_depth_100k.json")
    done
    for args in "${vg_runs[@]}"; do
        $RJ_VALGRIND "$bin" $args >/dev/null 2>"$tmp/err"
        rc=$?
        [[ $rc == 0 || $rc == 1 ]] || fail "valgrind rtajson $args: rc $rc $(head -c 2000 "$tmp/err")"
    done
fi

expect 2 "unknown engine 'fast'" -- check --engine fast "$corpus/y_empty_object.json"
expect 2 "unknown command" -- validate "$corpus/y_empty_object.json"
expect 2 "no input file" -- check
expect 2 "one input file only" -- check a b
expect 2 "unknown option --bogus" -- check --bogus x
expect 2 "lacks its value" -- check --engine
expect 2 "max-depth takes" -- check --max-depth 0 x
expect 2 "usage" --

# the whole corpus, each engine: the verdict, and one same line for each error
i=0
for f in "$corpus"/*.json; do
    i=$((i + 1))
    [[ ${RJ_QUICK:-0} == 1 && $((i % 10)) != 0 ]] && continue
    name=$(basename "$f")
    want=0
    [[ $name == n_* ]] && want=1
    first=""
    for e in "${engines[@]}"; do
        # the rtac-lowered engines: every 3rd file (json_corpus runs them over the
        # whole corpus, cut every way; here only the tool's path is new, and it
        # is the same for every engine): keeps this test's time near one engine's
        [[ $e == cont || $e == async1 ]] && (( i % 3 != 0 )) && continue
        expect $want "" -- check --engine $e "$f"
        if [[ $want == 1 ]]; then
            pos=$(awk -v n="$name" '$1 == n { print $2 }' "$corpus/positions.txt")
            grep -q "^rtajson: $f:$pos: error: " "$tmp/err" || fail "$name ($e): $(cat "$tmp/err") (expected $pos)"
            [[ -z $first ]] && first=$(cat "$tmp/err")
            [[ $(cat "$tmp/err") == "$first" ]] || fail "$name: engines disagree: $(cat "$tmp/err") / $first"
        else
            expect 0 "" -- roundtrip --engine $e "$f"
            exp=${f%.json}.expect
            [[ -e $exp ]] && ! cmp -s "$tmp/out" "$exp" && fail "$name ($e): roundtrip differs from $(basename "$exp")"
        fi
    done
done
[[ $fails == 0 ]] || { echo "$fails failure(s)" >&2; exit 1; }
echo "cli: all checks passed (engines: ${engines[*]})"

#!/usr/bin/env bash
# The record of a scripts/repeat.sh run, from its files in OUT (its build
# directory): repeat-info.txt (written at the start), repeat-load.txt (the
# load average every 30 s), repeat.log and repeat-tools.log (ctest's line
# per run). Writes
# OUT/repeat-summary.txt and prints it. repeat.sh runs it at the end; run it
# by hand for a run that was stopped (STATUS: a word for the first line).
#
#   scripts/repeat-summary.sh OUT [STATUS]
set -euo pipefail
out=${1:?usage: repeat-summary.sh OUT [STATUS]}
status=${2:-stopped}
rounds= set= jobs= cores= order= commit= dirty= start= only=
while read -r line; do
    if [[ $line == only=* ]]; then
        only=${line#only=} # RTA_REPEAT_ONLY's regex: the whole line, never split or globbed
        continue
    fi
    for kv in $line; do
        case $kv in
        rounds=* | set=* | jobs=* | cores=* | order=* | commit=* | dirty=* | start=*) eval "${kv%%=*}=\${kv#*=}" ;;
        esac
    done
done < "$out/repeat-info.txt"
now=$(date +%s)
{
    echo "${only:+RTA_REPEAT_ONLY='$only' }scripts/repeat.sh $rounds $set: $status"
    echo "commit $commit${dirty:+ (with uncommitted changes)}; Release, RTA_TEST_SCALE=10, ctest -j$jobs on $cores cores, a busy loop on one, ${order:-long}est tests first"
    echo "start $(date -u -d "@$start" '+%F %T') UTC, end $(date -u -d "@$now" '+%F %T') UTC: $((now - start)) s"
    sort -n -k2 "$out/repeat-load.txt" | awk '{ l[NR] = $2 } END { if (NR) printf "load average (1 min, sampled every 30 s, %d samples): min %s, median %s, max %s\n", NR, l[1], l[int((NR + 1) / 2)], l[NR] }'
    # the first, unrepeated pass: how many tests the set has
    [[ -f $out/repeat-prime.log ]] && grep -E "tests passed" "$out/repeat-prime.log" | sed 's/^/first pass (one run each, orders the repeat): /'
    # ctest writes "Test #N: NAME ....   Passed  0.02 sec" for every run;
    # anything else there (***Failed, ***Timeout, ***Exception) is a failure,
    # after which ctest runs that test no more.
    awk -v R="$rounds" '
        / Test +#[0-9]+: / {
            name = $0; sub(/.*Test +#[0-9]+: /, "", name); sub(/ .*/, "", name)
            if (!(name in seen)) { seen[name] = 1; order[++n] = name }
            if ($0 ~ /Passed +[0-9.]+ sec/) { ok[name]++; runs++; secs[name] += $(NF - 1) }
            else bad[name] = $0
        }
        END {
            for (i = 1; i <= n; i++) if (ok[order[i]] >= R) full++
            printf "%d tests started; %d passed %d runs each; %d runs passed in all\n", n, full, R, runs
            for (i = 1; i <= n; i++) { t = order[i]; if (t in bad) printf "FAILED after %d passed runs: %s\n", ok[t], bad[t] }
            for (i = 1; i <= n; i++) { t = order[i]; if (!(t in bad) && ok[t] < R) printf "unfinished: %s, %d runs passed\n", t, ok[t] }
            # the tests that took the most time (the sum of their passed runs)
            for (i = 1; i <= n; i++) { t = order[i]; printf "%.1f %s\n", secs[t], t | "sort -rn | head -12 | sed \"s/^/seconds in all: /\"" }
        }' "$out/repeat.log" $([[ -f $out/repeat-tools.log ]] && echo "$out/repeat-tools.log")
    # the set's tests (from the first pass) that the repeat never started
    if [[ -f $out/repeat-prime.log ]]; then
        cat "$out"/repeat.log $([[ -f $out/repeat-tools.log ]] && echo "$out/repeat-tools.log") |
            sed -n 's/.* Test  *#[0-9]*: \([^ ]*\) .*/\1/p' | sort -u > "$out/.started"
        sed -n 's/.* Test  *#[0-9]*: \([^ ]*\) .*/\1/p' "$out/repeat-prime.log" | sort -u |
            comm -23 - "$out/.started" | awk '{ l = l " " $0; n++ } END { if (n) printf "not started: %d tests:%s\n", n, l }'
    fi
} > "$out/repeat-summary.txt"
cat "$out/repeat-summary.txt"

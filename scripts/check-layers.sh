#!/bin/sh
# check-layers.sh SRC_ROOT [NM LIBRARY [SHARED_LIBRARY OBJECT...]]: the
# layering rules of docs/design.md, checked on the sources, and on the built
# library when one is given. Units and their ranks, lowest first:
#   0 src/arch   1 src/core   2 src/sched   3 src/engine/NAME, src/io   4 src/runtime
# Rules:
#   includes   a unit includes nothing from a unit above it (arch and core
#              nothing from sched, engine, io, runtime; sched nothing from
#              engine, io, runtime; engine and io nothing from runtime);
#   weak       the library defines and references no weak rta symbol
#              (engines reach the scheduler through src/sched/engine.h, never
#              through the linker);
#   calls      (with the objects) a unit references no symbol defined only in
#              a unit above it, and no hidden symbol of a sibling (io and the
#              engines, or two engines, reach each other only through the
#              public API, the symbols SHARED_LIBRARY exports);
#   declares   (with the objects) no header of a unit declares an RTA__HIDDEN
#              name that only a unit above it, or a sibling, defines: the gap
#              the include rule cannot see (a lower layer promising a higher
#              one's function and leaving the linker to join them).
# OBJECT arguments are the library's object files, each under .../src/UNIT/
# (one argument may hold several separated by ';', as CMake's
# $<TARGET_OBJECTS> gives them). Run by ctest as `layers`
# (tests/CMakeLists.txt); tests/layers/planted.sh plants one violation of
# each rule and checks that this script refuses it.
# Exit 0 when every rule holds.
set -u
root=${1:?usage: check-layers.sh SRC_ROOT [NM LIBRARY [SHARED_LIBRARY OBJECT...]]}
status=0

# forbid DIR REGEX: no #include in DIR's files whose path matches REGEX.
forbid() {
    hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<][^\">]*($2)" "$root/src/$1" \
        --include='*.c' --include='*.h' --include='*.S' 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "check-layers: src/$1 must not include from a higher layer ($2):" >&2
        echo "$hits" | sed "s|$root/||" >&2
        status=1
    fi
}

forbid arch '(^|/)(core|sched|engine|io|runtime)/'
forbid core '(^|/)(sched|engine|io|runtime)/'
forbid sched '(^|/)(engine|io|runtime)/'
[ -d "$root/src/engine" ] && forbid engine '(^|/)runtime/'
[ -d "$root/src/io" ] && forbid io '(^|/)runtime/'

if [ $# -ge 3 ]; then
    nm=$2 lib=$3
    weak=$("$nm" -A "$lib" | grep -E ' [wWvV] _*rta' )
    if [ -n "$weak" ]; then
        echo "check-layers: weak symbols in $lib (use src/sched/engine.h instead):" >&2
        echo "$weak" >&2
        status=1
    fi
    # The check must see symbols at all (a wrong nm prints nothing).
    if ! "$nm" "$lib" | grep -q ' T rta_init$'; then
        echo "check-layers: $nm found no rta_init in $lib" >&2
        status=1
    fi
fi

if [ $# -ge 5 ]; then
    nm=$2 shared=$4
    shift 4
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    # The exported (public) names.
    "$nm" -D --defined-only "$shared" | awk 'NF >= 3 { print $3 }' | sort -u >"$tmp/exported"
    if [ ! -s "$tmp/exported" ]; then
        echo "check-layers: $nm -D found no exported symbol in $shared" >&2
        status=1
    fi
    # The objects, one a line; then, from one nm run over them all, "D unit
    # name" for what each defines and "U unit name" for what it references,
    # the unit being the folders after the object's last src/ (arch, core,
    # sched, io, runtime, engine/NAME).
    for arg in "$@"; do
        printf '%s\n' "$arg" | tr ';' '\n'
    done | grep -v '^$' >"$tmp/objects"
    unit_awk='function unit_of(p,   n, f, i, u) {
        n = split(p, f, "/")
        for (i = n; i > 0 && f[i] != "src"; i--) ;
        u = f[i + 1]; if (u == "engine") u = u "/" f[i + 2]
        return u }'
    # nm -A prefixes each line with "FILE:" (GNU nm then the value at once,
    # llvm-nm a space first); an undefined symbol has no value.
    tr '\n' '\0' <"$tmp/objects" | xargs -0 "$nm" -A 2>/dev/null | awk "$unit_awk"'
        {
            i = index($0, ":"); if (i == 0) next
            u = unit_of(substr($0, 1, i - 1))
            n = split(substr($0, i + 1), f, " ")
            if (n == 2 && f[1] == "U") print "U", u, f[2]
            else if (n == 3 && f[2] ~ /^[A-TV-Z]$/) print "D", u, f[3]
        }' >"$tmp/syms"
    if [ ! -s "$tmp/objects" ] || ! grep -q '^D ' "$tmp/syms"; then
        echo "check-layers: no object file or no defined symbol to check" >&2
        status=1
    fi
    # Hidden names each header declares: RTA__HIDDEN, then the first rta__
    # name followed by ( ) ; or [ (a function, a function pointer, an object).
    (cd "$root" && find src -name '*.h' | sort | tr '\n' '\0' | xargs -0 awk "$unit_awk"'
        /RTA__HIDDEN/ && !/#[[:space:]]*define/ {
            rest = substr($0, index($0, "RTA__HIDDEN") + 11)
            if (match(rest, /rta__[a-z0-9_]+[ \t]*[();[]/)) {
                name = substr(rest, RSTART, RLENGTH)
                sub(/[ \t]*[();[]$/, "", name)
                print "P", unit_of(FILENAME), name, FILENAME ":" FNR
            }
        }') >"$tmp/decls"
    cat "$tmp/syms" "$tmp/decls" | awk -v exported="$tmp/exported" '
        function rank(u) {
            if (u == "arch") return 0
            if (u == "core") return 1
            if (u == "sched") return 2
            if (u == "io" || u ~ /^engine\//) return 3
            if (u == "runtime") return 4
            return 9
        }
        # May code of unit a reach name s that unit b defines?
        function allowed(a, b, s) {
            if (a == b || rank(b) < rank(a)) return 1
            return rank(b) == rank(a) && (s in pub)
        }
        BEGIN { while ((getline s < exported) > 0) pub[s] = 1 }
        $1 == "D" { defs[$3] = defs[$3] " " $2; next }
        $1 == "U" { uses[++nu] = $2 " " $3; next }
        $1 == "P" { decls[++nd] = $2 " " $3 " " $4; next }
        END {
            bad = 0
            for (i = 1; i <= nu; i++) {
                split(uses[i], a, " ")
                if (!(a[2] in defs)) continue  # libc, the compiler runtime
                if ((a[1] SUBSEP a[2]) in seen) continue
                seen[a[1], a[2]] = 1
                n = split(defs[a[2]], d, " ")
                ok = 0
                for (j = 1; j <= n; j++) if (allowed(a[1], d[j], a[2])) ok = 1
                if (!ok) {
                    printf "check-layers: src/%s calls %s, defined in src/%s (a higher layer or a sibling'"'"'s hidden symbol): go through an engine hook (src/sched/engine.h)\n", a[1], a[2], d[1] > "/dev/stderr"
                    bad = 1
                }
            }
            for (i = 1; i <= nd; i++) {
                split(decls[i], a, " ")
                if (!(a[2] in defs)) continue  # declared and never defined: nothing to reach
                n = split(defs[a[2]], d, " ")
                ok = 0
                for (j = 1; j <= n; j++) if (allowed(a[1], d[j], a[2])) ok = 1
                if (!ok) {
                    printf "check-layers: %s declares %s, defined in src/%s (a higher layer or a sibling): declare it there, reach it through an engine hook\n", a[3], a[2], d[1] > "/dev/stderr"
                    bad = 1
                }
            }
            exit bad
        }' || status=1
fi
[ $status = 0 ] && echo "check-layers: layering holds"
exit $status

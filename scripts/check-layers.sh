#!/bin/sh
# check-layers.sh SRC_ROOT [NM LIBRARY]: the layering rules of docs/design.md,
# checked on the sources (and on the built library when one is given):
#   src/arch, src/core   include nothing from src/sched, src/engine, src/io, src/runtime
#   src/sched            includes nothing from src/engine, src/io, src/runtime
#   src/engine, src/io   include nothing from src/runtime
#   the library defines and references no weak rta symbol (engines reach the
#   scheduler through src/sched/engine.h, never through the linker).
# Run by ctest as `layers` (tests/CMakeLists.txt). Exit 0 when every rule holds.
set -u
root=${1:?usage: check-layers.sh SRC_ROOT [NM LIBRARY]}
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
forbid engine '(^|/)runtime/'
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
[ $status = 0 ] && echo "check-layers: layering holds"
exit $status

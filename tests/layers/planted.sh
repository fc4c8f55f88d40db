#!/bin/sh
# planted.sh CHECK_SCRIPT CC NM WORKDIR: scripts/check-layers.sh must refuse
# each kind of layering violation when one is planted in a small tree of
# its own (and accept that tree without one), so that the `layers` test
# passing on the library means something. Each case compiles a few one-line
# units (src/core, src/sched, src/engine/e, src/engine/f, src/io) with CC,
# links the shared library that gives the exported set, and runs the check;
# a refusal must name the planted symbol or file.
# Run by ctest as `layers_planted` (tests/CMakeLists.txt).
set -u
check=${1:?usage: planted.sh CHECK_SCRIPT CC NM WORKDIR}
cc=${2:?} nm=${3:?} work=${4:?}
fails=0

# plant CASE: writes the tree for CASE into $work/CASE.
plant() {
    t=$work/$1
    rm -rf "$t"
    mkdir -p "$t/src/core" "$t/src/sched" "$t/src/engine/e" "$t/src/engine/f" "$t/src/io"
    h='#define RTA__HIDDEN __attribute__((visibility("hidden")))'
    pub='__attribute__((visibility("default")))'
    # The clean tree: each unit calls the one below it; io calls engine e's
    # public function; sched declares only what it defines.
    printf '%s\nRTA__HIDDEN int rta__core_fn(void);\n' "$h" >"$t/src/core/core.h"
    printf '#include "core.h"\nint rta__core_fn(void) { return 1; }\n%s int rta_init(void) { return 0; }\n' \
        "$pub" >"$t/src/core/core.c"
    printf '#include "../core/core.h"\nRTA__HIDDEN int rta__sched_fn(void);\n' >"$t/src/sched/sched.h"
    printf '#include "sched.h"\nint rta__sched_fn(void) { return rta__core_fn(); }\n' >"$t/src/sched/sched.c"
    printf '#include "../../sched/sched.h"\nRTA__HIDDEN int rta__e_hidden(void);\n' >"$t/src/engine/e/e.h"
    printf '#include "e.h"\nint rta__e_hidden(void) { return rta__sched_fn(); }\n%s int rta_e_api(void) { return rta__e_hidden(); }\n' \
        "$pub" >"$t/src/engine/e/e.c"
    printf '#include "../../sched/sched.h"\nint rta__f_fn(void);\nint rta__f_fn(void) { return rta__sched_fn(); }\n' \
        >"$t/src/engine/f/f.c"
    printf '#include "../sched/sched.h"\nint rta_e_api(void);\nint rta__io_fn(void);\nint rta__io_fn(void) { return rta_e_api() + rta__sched_fn(); }\n' \
        >"$t/src/io/io.c"
    case $1 in
    clean) ;;
    include) # core includes from sched
        printf '#include "../sched/sched.h"\n' >>"$t/src/core/core.c" ;;
    call_up) # sched calls engine e's function
        printf 'int rta__e_hidden(void);\nint rta__sched_up(void);\nint rta__sched_up(void) { return rta__e_hidden(); }\n' \
            >>"$t/src/sched/sched.c" ;;
    declare_up) # a sched header declares engine e's function (pin.h's gap); nothing calls it
        printf 'RTA__HIDDEN int rta__e_hidden(void);\n' >>"$t/src/sched/sched.h" ;;
    weak) # a weak definition (what engine.h replaced)
        printf '__attribute__((weak)) int rta__weak_fn(void) { return 0; }\n' >>"$t/src/core/core.c" ;;
    sibling) # engine f calls engine e's hidden function
        printf 'int rta__e_hidden(void);\nint rta__f_side(void);\nint rta__f_side(void) { return rta__e_hidden(); }\n' \
            >>"$t/src/engine/f/f.c" ;;
    esac
    objs=
    for c in $(cd "$t" && find src -name '*.c' | sort); do
        mkdir -p "$t/obj/$(dirname "$c")"
        if ! "$cc" -c -fPIC -fvisibility=hidden -o "$t/obj/$c.o" "$t/$c"; then
            echo "planted: $1: $cc failed on $c" >&2
            exit 1
        fi
        objs="$objs$t/obj/$c.o;"
    done
    # -nostdlib: nothing here needs libc, and a cross compiler need not find one.
    if ! "$cc" -shared -nostdlib -o "$t/libplant.so" $(echo "$objs" | tr ';' ' '); then
        echo "planted: $1: linking the shared library failed" >&2
        exit 1
    fi
    "${AR:-ar}" rc "$t/libplant.a" $(echo "$objs" | tr ';' ' ') 2>/dev/null
}

# expect CASE WANT: the check on CASE's tree exits 0 (WANT "ok") or exits 1
# with WANT in its message.
expect() {
    plant "$1"
    out=$(sh "$check" "$work/$1" "$nm" "$work/$1/libplant.a" "$work/$1/libplant.so" "$objs" 2>&1)
    rc=$?
    if [ "$2" = ok ]; then
        if [ $rc != 0 ]; then
            echo "planted: $1: the clean tree was refused (rc $rc):" >&2
            echo "$out" >&2
            fails=$((fails + 1))
        fi
    elif [ $rc = 0 ] || ! printf '%s\n' "$out" | grep -q -- "$2"; then
        echo "planted: $1: want a refusal naming '$2', got rc $rc:" >&2
        echo "$out" >&2
        fails=$((fails + 1))
    else
        echo "planted: $1: refused: $(printf '%s\n' "$out" | grep -- "$2" | head -1)"
    fi
}

mkdir -p "$work" || exit 1
expect clean ok
expect include 'src/core must not include'
expect call_up 'src/sched calls rta__e_hidden'
expect declare_up 'src/sched/sched.h:3 declares rta__e_hidden'
expect weak 'weak symbols'
expect sibling 'src/engine/f calls rta__e_hidden'
[ $fails = 0 ] && echo "planted: every planted violation was refused"
exit $((fails != 0))

#!/bin/sh
# header_o0.sh CC NM INCLUDE_DIR WORKDIR: a file that includes rta.h and uses
# nothing of it, compiled without optimisation, must reference no rtasync
# symbol. Compilers keep unused static const tables at -O0 (gcc's
# -fkeep-static-consts): the async1 builders' tables in include/rta/async1.h
# then pulled the builder functions, and their calls into the async1 engine,
# into every such file, src/core's own objects included, and the `layers`
# test failed in a Debug build. Run by ctest as `layers_header_o0`.
set -u
cc=${1:?usage: header_o0.sh CC NM INCLUDE_DIR WORKDIR} nm=${2:?} inc=${3:?} work=${4:?}
mkdir -p "$work"
printf '#include <rta.h>\nint rta_test_unit_marker(void);\nint rta_test_unit_marker(void) { return 0; }\n' \
    >"$work/unit.c"
"$cc" -std=gnu11 -O0 -I"$inc" -c "$work/unit.c" -o "$work/unit.o" || exit 1
refs=$("$nm" -u "$work/unit.o" | awk '{print $2}' | grep '^rta' || true)
if [ -n "$refs" ]; then
    echo "header_o0: a unit that only includes rta.h, at -O0, references:" $refs
    exit 1
fi
echo "header_o0: a unit that only includes rta.h references no rtasync symbol at -O0"

#!/usr/bin/env bash
# Format check (issue 10): every C/C++ file of the tree must be as
# clang-format (Debian's clang-format 14, the project's .clang-format) writes
# it. `scripts/check-format.sh --fix` rewrites the files instead.
#
# Left out, on purpose: files whose exact text is the test's expected data,
# not code someone edits:
#   tests/rtac/golden/   rtac's expected output, compared byte for byte
#   tests/rtac/errors/   rtac's diagnostics name LINE:COL of these inputs
#   tests/compile_fail/  the compiler's diagnostics are matched on them
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
command -v "$fmt" >/dev/null || { echo "check-format.sh: $fmt not found (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc' '*.cpp' \
    | grep -Ev '^tests/(rtac/golden|rtac/errors|compile_fail)/')
if [[ "${1:-}" == --fix ]]; then
    "$fmt" -i "${files[@]}"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! "$fmt" "$f" | cmp -s - "$f"; then
        echo "not formatted: $f (scripts/check-format.sh --fix; diff: $fmt $f | diff $f -)" >&2
        bad=$((bad + 1))
    fi
done
if ((bad)); then
    echo "check-format.sh: $bad of ${#files[@]} files differ from $fmt's output" >&2
    exit 1
fi
echo "check-format.sh: ${#files[@]} files formatted as .clang-format says"

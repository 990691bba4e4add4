#!/usr/bin/env bash
# The sanitizer tree: one build for both robustness stages of scripts/test.sh (the unit and pipeline tests run again
# there, any report fails them) and for the libFuzzer targets (bench/fuzz). clang-14 with AddressSanitizer +
# UndefinedBehaviorSanitizer, libFuzzer's coverage hooks on every object (meson option fuzz=true; programs that are
# not fuzzers get the sanitizer runtime's no-op hooks), -O1 with line tables so a report keeps file:line, and the two
# libraries in unity mode (ten files a compile; the unit tests opt out): one tree instead of two cuts the suite's
# sanitizer builds from about 20 min to about 9 on two cores.
# Usage: scripts/lib/sanitizer_tree.sh DIR [TARGET...]   sets DIR up when it has no build.ninja, then runs ninja
#        (every target when none is named). The caller chooses where ninja's output goes.
set -euo pipefail
dir="$1"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 meson setup "$dir" "$root" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=plain -Doptimization=1 -Dcpp_args=-g1 -Dc_args=-g1 -Dunity=on -Dunity_size=10 \
        >/dev/null
fi
exec ninja -C "$dir" "$@"

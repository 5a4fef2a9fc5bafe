#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-asan (the sanitized
# suite's build, sanitizer-build.sh), replays the regression corpus, then fuzzes each target.
#   bash scripts/fuzz.sh          long local run: FUZZ_SECONDS per target (default 3600)
#   bash scripts/fuzz.sh --ci     replay, then a fixed number of executions per target from a fixed
#                                 seed and a fresh corpus (about 60 s each here), so CI's run does
#                                 not depend on the machine's speed and a failure there reruns as it
#                                 happened (on the same CPU model: the build uses -march=native)
# Fails on any crash, sanitizer report, leak, input slower than 10 s or allocation over 2 GB.
# Findings are written to build-asan/artifacts/; add each to tests/fuzz/regression/TARGET/ with its fix.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-long}
seconds=${FUZZ_SECONDS:-3600}

bash scripts/sanitizer-build.sh

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
bin=build-asan/tests/fuzz
work=build-asan/corpus
mkdir -p "$work/design" "$work/onnx" "$work/cli" build-asan/artifacts
limits=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)
# CI: a fixed seed and run count from the seeds alone, so its findings are reproducible (a time limit
# would make the number of executions, and so the inputs tried, depend on the machine's speed). Long
# local runs take a fresh seed each time and keep their corpus to explore further.
declare -A ci_runs=([design]=120000 [onnx]=1000000 [cli]=1600000)
if [ "$mode" = --ci ]; then
  rm -rf "$work"
  mkdir -p "$work/design" "$work/onnx" "$work/cli"
fi

# Seeds: the zoo designs, small ONNX models written by a script, a few command lines.
cp resources/zoo/*.json "$work/design/"
/usr/bin/python3 tests/fuzz/make_onnx_files.py "$work/onnx" build-asan/onnx-hostile >/dev/null
printf -- '--format\0json\0zoo:resnet18' >"$work/cli/format"
printf -- 'model.onnx\0--dim\0seq=128\0--input\0x=1,3,224,224' >"$work/cli/onnx"

# Known failures (tests/fuzz/regression/KNOWN_FAILING: "TARGET/FILE  reason") are replayed apart and
# reported, not failed: each names the fix that will remove it from the list.
known=$(sed -e 's/ .*//' tests/fuzz/regression/KNOWN_FAILING 2>/dev/null | grep -v '^#' || true)
for t in design onnx cli; do
  files=()
  for f in tests/fuzz/regression/$t/*; do
    [ -f "$f" ] || continue
    if grep -qx "$t/$(basename "$f")" <<<"$known"; then
      if "$bin/fuzz_$t" "${limits[@]}" "$f" >/dev/null 2>&1; then
        echo "fuzz: known failure $t/$(basename "$f") passes now; remove it from tests/fuzz/regression/KNOWN_FAILING"
      else
        echo "fuzz: known failure $t/$(basename "$f") still fails ($(grep "^$t/$(basename "$f")" tests/fuzz/regression/KNOWN_FAILING | sed 's/^[^ ]* *//'))"
      fi
      continue
    fi
    files+=("$f")
    cp "$f" "$work/$t/"
  done
  echo "fuzz: replaying ${#files[@]} regression inputs of fuzz_$t"
  "$bin/fuzz_$t" "${limits[@]}" "${files[@]}" >build-asan/replay-$t.log 2>&1 || {
    tail -40 build-asan/replay-$t.log
    echo "fuzz: fuzz_$t fails on its regression corpus"
    exit 1
  }
done

for t in design onnx cli; do
  if [ "$mode" = --ci ]; then
    budget=(-seed=20261205 -runs="${ci_runs[$t]}" -max_total_time=600)
    echo "fuzz: fuzz_$t for ${ci_runs[$t]} executions (seed 20261205)"
  else
    budget=(-max_total_time="$seconds")
    echo "fuzz: fuzz_$t for ${seconds} s"
  fi
  start=$SECONDS
  if ! "$bin/fuzz_$t" "${limits[@]}" "${budget[@]}" -print_final_stats=1 \
      -dict="tests/fuzz/dict/$t.dict" -artifact_prefix="build-asan/artifacts/$t-" "$work/$t" \
      >build-asan/fuzz-$t.log 2>&1; then
    tail -60 build-asan/fuzz-$t.log
    echo "fuzz: fuzz_$t found a failing input (build-asan/artifacts/)"
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' build-asan/fuzz-$t.log | grep -o '[0-9]*$' || echo '?')
  echo "fuzz: fuzz_$t: $runs executions in $((SECONDS - start)) s, no finding ($(date -u +%F))"
done

#!/usr/bin/env bash
# Runs every native Go fuzz target (func FuzzXxx in a *_test.go file) for a
# bounded time each. `go test -fuzz` takes one target per package per run, so
# the targets run one after another. Used by `make fuzz`.
#
#   FUZZTIME          time per target (default 30s; also e.g. 100000x)
#   FUZZMINIMIZETIME  time to minimise each new input (default 10s; Go's own
#                     default of 60s eats most of a short run)
#   FUZZ              extended regexp on "./pkg FuzzName" picking targets
#   FUZZPARALLEL      fuzz workers (default: GOMAXPROCS)
#   GO                go command (default: go)
#
# A crash does not stop the loop: Go writes the crasher to the package's
# testdata/fuzz/FuzzName/ (keep it there as a regression seed once fixed),
# and the script exits 1 after the last target, listing the failures. A run
# that ends in Go's spurious "context deadline exceeded" (go.dev/issue/75804,
# fixed in Go 1.27) without writing a failing input is reported, not failed.
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-10s}
FUZZ=${FUZZ:-}
parallel=()
[[ -n "${FUZZPARALLEL:-}" ]] && parallel=(-parallel "$FUZZPARALLEL")

# "./pkg FuzzName" pairs, found in the test sources.
mapfile -t targets < <(
  grep -rE --include='*_test.go' --exclude-dir=.git --exclude-dir=node_modules \
    -o '^func Fuzz[A-Za-z0-9_]*\(' . |
    sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#' |
    sort -u |
    { if [[ -n "$FUZZ" ]]; then grep -E -- "$FUZZ" || true; else cat; fi; }
)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz: no targets${FUZZ:+ match $FUZZ}" >&2
  exit 1
fi

echo "fuzz: ${#targets[@]} targets, $FUZZTIME each"
failed=()
flaked=()
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "=== $pkg $name"
  corpus="$pkg/testdata/fuzz/$name"
  before=$(ls "$corpus" 2>/dev/null | sort)
  log=$(mktemp)
  "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" \
    -fuzzminimizetime "$FUZZMINIMIZETIME" "${parallel[@]}" "$pkg" 2>&1 | tee "$log" |
    grep -vE '^fuzz: elapsed: .*(gathering baseline|execs: )' || true
  status=${PIPESTATUS[0]}
  # The last progress line carries the totals.
  grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1
  after=$(ls "$corpus" 2>/dev/null | sort)
  if [[ $status -ne 0 && "$before" == "$after" ]] &&
    grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written' "$log"; then
    # go.dev/issue/75804 (Go < 1.27): a duration -fuzztime can end in a
    # spurious "context deadline exceeded" with no failing input.
    echo "fuzz: $pkg $name: spurious deadline error at the end of the run (go.dev/issue/75804); no failing input"
    flaked+=("$pkg $name")
  elif [[ $status -ne 0 ]]; then
    failed+=("$pkg $name")
  fi
  rm -f "$log"
done

if [[ ${#flaked[@]} -ne 0 ]]; then
  echo "fuzz: ${#flaked[@]} target(s) ended with the spurious deadline error (not failures)"
fi
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz: FAILED (failing inputs, if any, are in each package's testdata/fuzz/):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"

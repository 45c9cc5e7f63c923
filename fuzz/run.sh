#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 150), seeded from the repository's own
# test files (valid and malformed), on the stable toolchain (RUSTC_BOOTSTRAP=1 lets stable take
# the -Z flags cargo-fuzz passes; no nightly needed). Installs cargo-fuzz with cargo if missing.
# Crashes are written to fuzz/artifacts/<target>/; the script exits non-zero if any target fails.
#
#   fuzz/run.sh            # 5 targets × 150 s (the first build takes ~20 min on 2 cores)
#   fuzz/run.sh 30 geotiff_read
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SECONDS_EACH=${1:-150}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(geotiff_read ascii_read geojson_read shapefile_read plan_toml)
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seed corpora from the repository's own fixtures (copied, so the fuzzer may add to them freely).
SEEDS=$(mktemp -d)
trap 'rm -rf "$SEEDS"' EXIT
seed() { # target, find arguments...
  local t=$1; shift
  mkdir -p "$SEEDS/$t"
  find .. \( -path ../target -o -path ../fuzz/target -o -path ../.git \) -prune -o "$@" -type f -size -300k -print |
    while read -r f; do cp "$f" "$SEEDS/$t/$(printf '%s' "$f" | sha256sum | cut -c1-16)"; done
}
seed geotiff_read -path '../crates/ecoplan-io/tests/data/geotiff/*'
seed ascii_read -name '*.asc'
seed geojson_read -name '*.geojson'
seed shapefile_read -path '../crates/ecoplan-io/tests/data/vector/*' -name '*.shp'
seed plan_toml \( -path '../data/demo/plan.toml' -o -path '../crates/ecoplan/tests/data/bad_plans/*' \)

status=0
for t in "${TARGETS[@]}"; do
  echo "=== $t: ${SECONDS_EACH} s"
  log="$SEEDS/$t.log"
  if cargo fuzz run -O "$t" "$SEEDS/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^Done|stat::number_of_executed_units|stat::peak_rss' "$log" || true
  else
    tail -40 "$log"
    echo "!!! $t found a failure (see fuzz/artifacts/$t/)"
    status=1
  fi
done
exit $status

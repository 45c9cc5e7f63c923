#!/usr/bin/env bash
# natcap.invest 3.20.2 vs `ecoplan invest` on the same synthetic landscape, timed in one run.
#   bench/invest_vs_natcap.sh [N] [MODELS] [extra invest_vs_natcap.py flags]
# N defaults to 5000 (25 M cells; data generation ~7 min once and kept in $WORK/data, or point
# DATA at an existing gen_landscape.py output; natcap.invest SDR ~8 min). Prints wall, CPU
# (user + sys) and peak-RSS ratios with the load average. Extra flags: --reuse-natcap (keep an
# earlier natcap.invest run), --ecoplan-args='--compress none' (note the =).
# Needs a python with natcap.invest 3.20.2 + GDAL (INVEST_PY, default /root/.cache/invest-venv/bin/python,
# installed as in /work/shared/bench/setup_venv.sh) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
MODELS=${2:-carbon,habitat_quality,annual_water_yield,sdr}
PY=${INVEST_PY:-/root/.cache/invest-venv/bin/python}
WORK=${WORK:-/tmp/ecoplan-invest-bench}
DATA=${DATA:-$WORK/data}
BIN=${ECOPLAN_BIN:-target/release/ecoplan}
[ -n "${ECOPLAN_BIN:-}" ] || cargo build --release -p ecoplan >&2
shift $(( $# < 2 ? $# : 2 ))
exec "$PY" bench/invest_vs_natcap.py --n "$N" --ecoplan "$BIN" --work "$WORK" --data "$DATA" \
  --models "$MODELS" --python "$PY" "$@"

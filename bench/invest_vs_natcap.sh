#!/usr/bin/env bash
# natcap.invest 3.20.2 vs `ecoplan invest` on the same synthetic landscape, timed in one run.
#   bench/invest_vs_natcap.sh [N] [MODELS]
# N defaults to 5000 (25 M cells; data generation ~7 min once, natcap.invest SDR ~8 min).
# Needs a python with natcap.invest 3.20.2 + GDAL (INVEST_PY, default /root/.cache/invest-venv/bin/python,
# installed as in /work/shared/bench/setup_venv.sh) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
MODELS=${2:-carbon,habitat_quality,annual_water_yield,sdr}
PY=${INVEST_PY:-/root/.cache/invest-venv/bin/python}
WORK=${WORK:-/tmp/ecoplan-bench}
cargo build --release -p ecoplan >&2
exec "$PY" bench/invest_vs_natcap.py --n "$N" --ecoplan target/release/ecoplan --work "$WORK" \
  --models "$MODELS" --python "$PY"

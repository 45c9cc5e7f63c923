#!/usr/bin/env bash
# Times `ecoplan assess` with every service (水源涵养 retention correction, 水土保持 RUSLE, 防风固沙 RWEQ,
# 生物多样性维护 habitat quality) and 水土流失/土地沙化 sensitivity on a synthesized N×N region.
#   bench/assess_100m.sh [N]        N defaults to 10000 (100 M cells, 30 m, EPSG:4547)
# Needs a python with numpy, rasterio, pyproj (ECOPLAN_PY, default /root/.cache/ecoplan-venv/bin/python)
# and GNU time. Prints wall time, CPU seconds and peak RSS (MB and bytes per cell) with the load average. Target: < 10 min at 100 M cells on
# the 2-core machine. Data are generated once into $WORK/N<N> (about 60 MB per layer per 25 M cells).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PY=${ECOPLAN_PY:-/root/.cache/ecoplan-venv/bin/python}
WORK=${WORK:-/tmp/ecoplan-assess-bench}
BIN=${ECOPLAN_BIN:-target/release/ecoplan}
[ -n "${ECOPLAN_BIN:-}" ] || cargo build --release -p ecoplan >&2
D="$WORK/N$N"
if [ ! -f "$D/plan.toml" ]; then
  t0=$(date +%s)
  "$PY" bench/assess_100m_gen.py --n "$N" --out "$D"
  echo "generated N=$N in $(( $(date +%s) - t0 )) s"
fi
rm -rf "$D/out"
echo "load before: $(uptime)"
/usr/bin/time -v "$BIN" assess "$D/plan.toml" 2> "$D/assess.log" >/dev/null || { tail -20 "$D/assess.log"; exit 1; }
echo "load after:  $(uptime)"
grep -E "写出|wrote|保持率" "$D/assess.log" | tail -2
wall=$(grep "Elapsed (wall clock)" "$D/assess.log" | awk '{print $NF}')
rss=$(grep "Maximum resident" "$D/assess.log" | awk '{print $NF}')
cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$D/assess.log")
cells=$(( N * N ))
echo "ecoplan assess, all services: N=$N ($((cells / 1000000)) M cells): wall $wall, CPU (user+sys) $cpu s, peak RSS $((rss / 1024)) MB ($(( rss * 1024 / cells )) B/cell)"

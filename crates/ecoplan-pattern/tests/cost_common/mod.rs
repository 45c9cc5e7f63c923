//! Shared helpers of the cost-distance / corridor tests: a seeded RNG and a brute-force
//! Dijkstra (std BinaryHeap, f64) with the ArcGIS step cost, written independently of the
//! library's radix-heap engine.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// xorshift64*: deterministic, good enough for test grids.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[derive(PartialEq)]
struct Entry(f64, usize);
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// Accumulated cost from `sources` (cell indices) on a `w × h` grid of costs (NaN or ≤ 0 =
/// impassable), cell size `cs`. Unreached / impassable → +∞.
pub fn brute_force(cost: &[f64], w: usize, h: usize, cs: f64, sources: &[usize]) -> Vec<f64> {
    let n = w * h;
    let ok = |i: usize| cost[i].is_finite() && cost[i] > 0.0;
    let mut dist = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::new();
    for &s in sources {
        if ok(s) {
            dist[s] = 0.0;
            heap.push(Entry(0.0, s));
        }
    }
    while let Some(Entry(d, u)) = heap.pop() {
        if d > dist[u] {
            continue;
        }
        let (r, c) = ((u / w) as i64, (u % w) as i64);
        for dr in -1i64..=1 {
            for dc in -1i64..=1 {
                if dr == 0 && dc == 0 {
                    continue;
                }
                let (r2, c2) = (r + dr, c + dc);
                if r2 < 0 || c2 < 0 || r2 >= h as i64 || c2 >= w as i64 {
                    continue;
                }
                let v = (r2 as usize) * w + c2 as usize;
                if !ok(v) {
                    continue;
                }
                let len = if dr != 0 && dc != 0 {
                    cs * std::f64::consts::SQRT_2
                } else {
                    cs
                };
                let nd = d + (cost[u] + cost[v]) / 2.0 * len;
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Entry(nd, v));
                }
            }
        }
    }
    dist
}

/// Random cost grid: values in [lo, hi), a fraction `holes` of NaN cells.
pub fn random_costs(rng: &mut Rng, n: usize, lo: f64, hi: f64, holes: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if rng.f64() < holes {
                f64::NAN
            } else {
                lo + (hi - lo) * rng.f64()
            }
        })
        .collect()
}

/// Relative closeness for f32-vs-f64 distance comparisons.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

/// Interop helper: the python interpreter in ECOPLAN_PY, or None (test prints "skipped") —
/// panics when ECOPLAN_REQUIRE_INTEROP=1 demands it.
pub fn python() -> Option<String> {
    match std::env::var("ECOPLAN_PY") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!("ECOPLAN_REQUIRE_INTEROP=1 but ECOPLAN_PY is not set");
            }
            eprintln!("skipped: ECOPLAN_PY not set");
            None
        }
    }
}

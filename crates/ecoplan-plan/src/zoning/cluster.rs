//! K-means (k-means++ seeding, fixed seed, several restarts), a self-organizing feature map
//! (SOFM, Kohonen) on a 1-D chain of nodes, the silhouette score and the adjusted Rand index.

/// Result of [`kmeans`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansResult {
    /// Cluster of each point (0…k−1).
    pub labels: Vec<usize>,
    pub centroids: Vec<Vec<f64>>,
    /// Sum of squared distances to the assigned centroid (weighted).
    pub inertia: f64,
}

/// SplitMix64: small, seedable, the same on every platform.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn d2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Weighted k-means of `points` (rows of equal length; `weights` e.g. unit areas). Deterministic for
/// a given `seed`; the best of `restarts` runs by inertia. `k` is capped at the number of points.
pub fn kmeans(
    points: &[Vec<f64>],
    weights: &[f64],
    k: usize,
    seed: u64,
    restarts: usize,
    max_iter: usize,
) -> KMeansResult {
    let n = points.len();
    let k = k.min(n).max(1);
    let mut rng = Rng(seed);
    let mut best: Option<KMeansResult> = None;
    for _ in 0..restarts.max(1) {
        let mut cents = plus_plus_seeds(points, weights, k, &mut rng);
        let mut labels = vec![usize::MAX; n];
        for _ in 0..max_iter.max(1) {
            let mut changed = false;
            for (i, p) in points.iter().enumerate() {
                let l = nearest(p, &cents);
                if l != labels[i] {
                    labels[i] = l;
                    changed = true;
                }
            }
            let dim = points[0].len();
            let mut sums = vec![vec![0.0; dim]; k];
            let mut ws = vec![0.0; k];
            for (i, p) in points.iter().enumerate() {
                let w = w_of(weights, i);
                ws[labels[i]] += w;
                for (s, v) in sums[labels[i]].iter_mut().zip(p) {
                    *s += w * v;
                }
            }
            for c in 0..k {
                if ws[c] > 0.0 {
                    cents[c] = sums[c].iter().map(|s| s / ws[c]).collect();
                }
            }
            if !changed {
                break;
            }
        }
        let inertia = points
            .iter()
            .enumerate()
            .map(|(i, p)| d2(p, &cents[labels[i]]) * w_of(weights, i))
            .sum();
        if best.as_ref().is_none_or(|b| inertia < b.inertia - 1e-12) {
            best = Some(KMeansResult {
                labels,
                centroids: cents,
                inertia,
            });
        }
    }
    best.expect("at least one run")
}

/// Settings of [`sofm`] besides `k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SofmSettings {
    /// Training passes over the points (default 60).
    pub epochs: usize,
    /// Learning rate at the start, decaying linearly to 1 % of it (default 0.5).
    pub learning_rate: f64,
    /// Neighbourhood radius in nodes at the start (default k/2), decaying exponentially to 0.3
    /// (then only the winning node moves: the map ends as on-line k-means).
    pub radius: Option<f64>,
}

impl Default for SofmSettings {
    fn default() -> Self {
        SofmSettings {
            epochs: 60,
            learning_rate: 0.5,
            radius: None,
        }
    }
}

/// Self-organizing feature map (Kohonen SOFM) with `k` nodes on a chain: each point, in a
/// seeded random order per epoch, pulls its best-matching node and, with a Gaussian weight on the
/// chain distance, that node's neighbours. Nodes start at k-means++ seeds (seeded) so that
/// well-separated groups each get a node. The best of `restarts` maps by weighted quantization
/// error is kept; points are labelled by their nearest node, nodes that win no point are dropped
/// and labels renumbered 0…k′−1 along the chain. Deterministic for a given `seed`.
pub fn sofm(
    points: &[Vec<f64>],
    weights: &[f64],
    k: usize,
    seed: u64,
    restarts: usize,
    s: &SofmSettings,
) -> KMeansResult {
    let n = points.len();
    let k = k.min(n).max(1);
    let mut rng = Rng(seed ^ 0x5EED_50F3);
    let mut best: Option<KMeansResult> = None;
    let r0 = s.radius.unwrap_or(k as f64 / 2.0).max(0.3);
    let epochs = s.epochs.max(1);
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..restarts.max(1) {
        let mut nodes = plus_plus_seeds(points, weights, k, &mut rng);
        let steps = (epochs * n) as f64;
        let mut t = 0usize;
        for _ in 0..epochs {
            // Fisher–Yates shuffle with the seeded generator.
            for i in (1..n).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            for &i in &order {
                let frac = t as f64 / steps;
                let lr = s.learning_rate * (1.0 - 0.99 * frac);
                let radius = r0 * (0.3 / r0).powf(frac);
                let win = nearest(&points[i], &nodes);
                for (c, node) in nodes.iter_mut().enumerate() {
                    let dc = c.abs_diff(win) as f64;
                    let h = (-(dc * dc) / (2.0 * radius * radius)).exp();
                    if h < 1e-4 {
                        continue;
                    }
                    for (v, x) in node.iter_mut().zip(&points[i]) {
                        *v += lr * h * (x - *v);
                    }
                }
                t += 1;
            }
        }
        let raw: Vec<usize> = points.iter().map(|p| nearest(p, &nodes)).collect();
        let mut used = vec![false; k];
        for l in &raw {
            used[*l] = true;
        }
        let mut new_id = vec![usize::MAX; k];
        let mut kept = Vec::new();
        for c in 0..k {
            if used[c] {
                new_id[c] = kept.len();
                kept.push(nodes[c].clone());
            }
        }
        let labels: Vec<usize> = raw.iter().map(|l| new_id[*l]).collect();
        let inertia = points
            .iter()
            .enumerate()
            .map(|(i, p)| d2(p, &kept[labels[i]]) * w_of(weights, i))
            .sum();
        if best.as_ref().is_none_or(|b| inertia < b.inertia - 1e-12) {
            best = Some(KMeansResult {
                labels,
                centroids: kept,
                inertia,
            });
        }
    }
    best.expect("at least one run")
}

/// k-means++ seeds: the first point at random, then each next point with probability
/// proportional to its weighted squared distance from the nearest seed so far.
fn plus_plus_seeds(points: &[Vec<f64>], weights: &[f64], k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let n = points.len();
    let mut cents: Vec<Vec<f64>> = vec![points[(rng.next() % n as u64) as usize].clone()];
    let mut dist: Vec<f64> = points
        .iter()
        .enumerate()
        .map(|(i, p)| d2(p, &cents[0]) * w_of(weights, i))
        .collect();
    while cents.len() < k {
        let total: f64 = dist.iter().sum();
        let pick = if total <= 0.0 {
            (rng.next() % n as u64) as usize
        } else {
            let mut t = rng.unit() * total;
            let mut j = n - 1;
            for (i, d) in dist.iter().enumerate() {
                if t < *d {
                    j = i;
                    break;
                }
                t -= d;
            }
            j
        };
        cents.push(points[pick].clone());
        let c = cents.last().expect("just pushed");
        for (i, p) in points.iter().enumerate() {
            dist[i] = dist[i].min(d2(p, c) * w_of(weights, i));
        }
    }
    cents
}

/// Adjusted Rand index of two labellings of the same points (Hubert & Arabie 1985), computed from
/// the pair-confusion counts as scikit-learn's `adjusted_rand_score`: 1 for identical partitions
/// (up to renaming), about 0 for independent ones, negative below chance. Two partitions that both
/// put every point in one cluster, or both in singletons, score 1.
///
/// ```
/// use ecoplan_plan::zoning::adjusted_rand_index;
/// assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 2, 2]), 1.0);
/// assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.5714285714285715).abs() < 1e-12);
/// ```
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len(), "labellings of different lengths");
    let n = a.len() as f64;
    let mut cont: std::collections::HashMap<(usize, usize), f64> = Default::default();
    let mut rows: std::collections::HashMap<usize, f64> = Default::default();
    let mut cols: std::collections::HashMap<usize, f64> = Default::default();
    for (x, y) in a.iter().zip(b) {
        *cont.entry((*x, *y)).or_default() += 1.0;
        *rows.entry(*x).or_default() += 1.0;
        *cols.entry(*y).or_default() += 1.0;
    }
    let sum_sq: f64 = cont.values().map(|v| v * v).sum();
    let rows_sq: f64 = rows.values().map(|v| v * v).sum();
    let cols_sq: f64 = cols.values().map(|v| v * v).sum();
    // Ordered pairs: together in both, in b only, in a only, apart in both.
    let tp = sum_sq - n;
    let fp = cols_sq - sum_sq;
    let fn_ = rows_sq - sum_sq;
    let tn = n * n - fp - fn_ - sum_sq;
    if fn_ == 0.0 && fp == 0.0 {
        return 1.0;
    }
    2.0 * (tp * tn - fn_ * fp) / ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn))
}

fn w_of(weights: &[f64], i: usize) -> f64 {
    weights.get(i).copied().unwrap_or(1.0)
}

fn nearest(p: &[f64], cents: &[Vec<f64>]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (c, q) in cents.iter().enumerate() {
        let d = d2(p, q);
        if d < best.0 {
            best = (d, c);
        }
    }
    best.1
}

/// Mean silhouette of a labelling (−1…1; higher = better separated). At most `max_points` points
/// enter (an even stride through the list) to bound the O(n²) cost.
pub fn silhouette(points: &[Vec<f64>], labels: &[usize], max_points: usize) -> f64 {
    let n = points.len();
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    if k < 2 || n < 3 {
        return 0.0;
    }
    let stride = n.div_ceil(max_points.max(2));
    let idx: Vec<usize> = (0..n).step_by(stride.max(1)).collect();
    let mut total = 0.0;
    for &i in &idx {
        let mut sum = vec![0.0; k];
        let mut cnt = vec![0usize; k];
        for &j in &idx {
            if i != j {
                sum[labels[j]] += d2(&points[i], &points[j]).sqrt();
                cnt[labels[j]] += 1;
            }
        }
        let own = labels[i];
        if cnt[own] == 0 {
            continue; // a singleton scores 0
        }
        let a = sum[own] / cnt[own] as f64;
        let b = (0..k)
            .filter(|c| *c != own && cnt[*c] > 0)
            .map(|c| sum[c] / cnt[c] as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(1e-300);
        }
    }
    total / idx.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_groups_are_found_whatever_the_seed() {
        // Two tight groups around (0,0) and (10,10), and one around (0,10).
        let pts: Vec<Vec<f64>> = [
            (0.0, 0.0),
            (0.2, 0.1),
            (0.1, 0.3),
            (10.0, 10.0),
            (9.8, 10.1),
            (10.2, 9.9),
            (0.0, 10.0),
            (0.3, 9.7),
        ]
        .iter()
        .map(|(x, y)| vec![*x, *y])
        .collect();
        for seed in [1, 7, 42] {
            let r = kmeans(&pts, &[], 3, seed, 4, 100);
            let l = &r.labels;
            assert!(l[0] == l[1] && l[1] == l[2], "{l:?}");
            assert!(l[3] == l[4] && l[4] == l[5], "{l:?}");
            assert_eq!(l[6], l[7]);
            assert!(l[0] != l[3] && l[0] != l[6] && l[3] != l[6], "{l:?}");
            let s = silhouette(&pts, l, 100);
            assert!(s > 0.9, "{s}");
        }
        // The same seed gives the same answer.
        assert_eq!(
            kmeans(&pts, &[], 3, 5, 3, 100),
            kmeans(&pts, &[], 3, 5, 3, 100)
        );
        // Two clusters of three groups separate worse than three.
        let two = kmeans(&pts, &[], 2, 1, 4, 100);
        assert!(
            silhouette(&pts, &two.labels, 100)
                < silhouette(&pts, &kmeans(&pts, &[], 3, 1, 4, 100).labels, 100)
        );
    }
    /// Four Gaussian-ish blobs (deterministic jitter) of 30 points each in 4-D, 8 sd apart.
    fn blobs() -> (Vec<Vec<f64>>, Vec<usize>) {
        let centres = [
            [0.0, 0.0, 0.0, 0.0],
            [8.0, 0.0, 8.0, 0.0],
            [0.0, 8.0, 0.0, 8.0],
            [8.0, 8.0, -8.0, 8.0],
        ];
        let mut rng = Rng(99);
        let mut pts = Vec::new();
        let mut truth = Vec::new();
        for (c, centre) in centres.iter().enumerate() {
            for _ in 0..30 {
                pts.push(
                    centre
                        .iter()
                        .map(|m| m + 2.0 * (rng.unit() - 0.5))
                        .collect(),
                );
                truth.push(c);
            }
        }
        (pts, truth)
    }

    #[test]
    fn sofm_and_kmeans_recover_separated_clusters() {
        let (pts, truth) = blobs();
        for seed in [1, 7, 20_210_214] {
            let s = sofm(&pts, &[], 4, seed, 3, &SofmSettings::default());
            assert_eq!(
                adjusted_rand_index(&s.labels, &truth),
                1.0,
                "sofm seed {seed}"
            );
            assert_eq!(s.centroids.len(), 4);
            let k = kmeans(&pts, &[], 4, seed, 3, 100);
            assert_eq!(
                adjusted_rand_index(&k.labels, &truth),
                1.0,
                "kmeans seed {seed}"
            );
        }
        // Deterministic: the same seed gives the same map.
        let a = sofm(&pts, &[], 4, 5, 2, &SofmSettings::default());
        let b = sofm(&pts, &[], 4, 5, 2, &SofmSettings::default());
        assert_eq!(a, b);
        // The map is ordered: neighbouring nodes are nearer each other than the chain ends are.
        let c = &a.centroids;
        assert!(d2(&c[0], &c[1]) <= d2(&c[0], &c[3]) + 1e-9, "{c:?}");
    }

    #[test]
    fn sofm_drops_nodes_that_win_nothing() {
        // Two identical points and k = 3: at most two nodes can win, labels stay 0…k′−1.
        let pts = vec![vec![1.0, 1.0], vec![1.0, 1.0], vec![5.0, 5.0]];
        let r = sofm(&pts, &[], 3, 3, 1, &SofmSettings::default());
        let max = *r.labels.iter().max().unwrap();
        assert_eq!(r.centroids.len(), max + 1);
        assert_eq!(r.labels[0], r.labels[1]);
        assert_ne!(r.labels[0], r.labels[2]);
    }

    #[test]
    fn adjusted_rand_index_hand_values() {
        // Identical up to renaming.
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[2, 2, 0, 0, 1]), 1.0);
        // a = {0,1},{2,3}; b = {0,1},{2},{3}. Contingency [[2,0,0],[0,1,1]]: Σn²=6, rows² = 8,
        // cols² = 6, n = 4 → tp = 2, fp = 0, fn = 2, tn = 16 − 0 − 2 − 6 = 8.
        // ARI = 2(2·8 − 0)/((2+2)(2+8) + (2+0)(0+8)) = 32/56 = 4/7.
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 4.0 / 7.0).abs() < 1e-15);
        // a = {0,1,2},{3,4,5}; b = {0,1},{2,3},{4,5}: Σn² = 10, rows² = 18, cols² = 12, n = 6 →
        // tp = 4, fp = 2, fn = 8, tn = 36 − 2 − 8 − 10 = 16; ARI = 2(64 − 16)/(12·24 + 6·18) = 96/396.
        let v = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((v - 96.0 / 396.0).abs() < 1e-15, "{v}");
        // Anti-correlated below chance: a = {0,1},{2,3}; b = {0,2},{1,3} → −0.5.
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-15);
        // All in one cluster in both → 1 (as scikit-learn).
        assert_eq!(adjusted_rand_index(&[3, 3, 3], &[1, 1, 1]), 1.0);
    }
}

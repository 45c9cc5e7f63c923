//! K-means (k-means++ seeding, fixed seed, several restarts) and the silhouette score.

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
        // k-means++ seeding.
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
            let c = cents.last().unwrap();
            for (i, p) in points.iter().enumerate() {
                dist[i] = dist[i].min(d2(p, c) * w_of(weights, i));
            }
        }
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
}

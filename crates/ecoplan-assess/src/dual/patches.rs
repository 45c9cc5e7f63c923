//! Minimum-patch-area clean-up of grade maps (METHODS §1.1 step 4).

/// Labels 8-connected patches of cells equal to `value`; returns (labels, cell count per label),
/// label 0 = not in a patch.
pub fn label_patches(
    grades: &[u8],
    width: usize,
    height: usize,
    value: u8,
) -> (Vec<u32>, Vec<u64>) {
    let mut labels = vec![0u32; grades.len()];
    let mut sizes = vec![0u64];
    let mut stack = Vec::new();
    for start in 0..grades.len() {
        if grades[start] != value || labels[start] != 0 {
            continue;
        }
        let id = sizes.len() as u32;
        sizes.push(0);
        labels[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            sizes[id as usize] += 1;
            let (c, r) = ((i % width) as isize, (i / width) as isize);
            for dr in -1..=1isize {
                for dc in -1..=1isize {
                    let (nc, nr) = (c + dc, r + dr);
                    if (dr == 0 && dc == 0)
                        || nc < 0
                        || nr < 0
                        || nc as usize >= width
                        || nr as usize >= height
                    {
                        continue;
                    }
                    let j = nr as usize * width + nc as usize;
                    if grades[j] == value && labels[j] == 0 {
                        labels[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
    }
    (labels, sizes)
}

/// Demotes patches of grade `value` smaller than `min_cells` to `demote_to`; returns how many
/// cells changed.
pub fn remove_small_patches(
    grades: &mut [u8],
    width: usize,
    height: usize,
    value: u8,
    min_cells: u64,
    demote_to: u8,
) -> u64 {
    if min_cells <= 1 {
        return 0;
    }
    let (labels, sizes) = label_patches(grades, width, height, value);
    let mut changed = 0;
    for (g, &l) in grades.iter_mut().zip(&labels) {
        if l != 0 && sizes[l as usize] < min_cells {
            *g = demote_to;
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn small_patches_are_demoted() {
        #[rustfmt::skip]
        let mut g = vec![
            3, 3, 1, 1,
            3, 1, 1, 3,
            1, 1, 1, 1,
        ];
        let n = remove_small_patches(&mut g, 4, 3, 3, 2, 2);
        assert_eq!(n, 1);
        assert_eq!(g, vec![3, 3, 1, 1, 3, 1, 1, 2, 1, 1, 1, 1]);
        // diagonal neighbours connect
        let (_, sizes) = label_patches(&[3, 1, 1, 3], 2, 2, 3);
        assert_eq!(sizes, vec![0, 2]);
    }
}

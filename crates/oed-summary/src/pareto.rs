//! Pareto fronts over oriented metric values, where larger is better in every
//! entry.
//!
//! A point dominates another when it is at least as good in every metric and
//! better in one. Equal points do not dominate each other, so duplicates are
//! all on the front. The front of a union is the front of the union of the
//! parts' fronts, which lets each chunk of records compute its own front in
//! parallel.

/// Whether `a` dominates `b`.
pub(crate) fn dominates(a: &[f64; 5], b: &[f64; 5]) -> bool {
    let mut strictly_better = false;
    for (x, y) in a.iter().zip(b) {
        if x < y {
            return false;
        }
        if x > y {
            strictly_better = true;
        }
    }
    strictly_better
}

/// Returns the positions in `points` of the non-dominated points, ascending.
/// Every value must be finite.
///
/// Points are visited in descending lexicographic order, so any point that
/// dominates another is visited first and a point only needs checking against
/// the front found so far.
pub(crate) fn front_positions(points: &[[f64; 5]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| points[i];
        let (a_values, b_values) = (key(a), key(b));
        for (x, y) in a_values.iter().zip(&b_values) {
            // Not total_cmp: -0.0 and 0.0 must compare equal, as in `dominates`.
            let ordering = y.partial_cmp(x).expect("front candidates are finite");
            if ordering.is_ne() {
                return ordering;
            }
        }
        a.cmp(&b)
    });

    let mut front: Vec<usize> = Vec::new();
    for position in order {
        let point = &points[position];
        if !front.iter().any(|&kept| dominates(&points[kept], point)) {
            front.push(position);
        }
    }
    front.sort_unstable();
    front
}

/// Merges the fronts of two disjoint sets of points into the front of their
/// union, keeping `earlier` members before `later` ones.
pub(crate) fn merge_fronts<T>(
    earlier: Vec<T>,
    later: Vec<T>,
    values: impl Fn(&T) -> [f64; 5],
) -> Vec<T> {
    let later_keeps: Vec<bool> = later
        .iter()
        .map(|b| !earlier.iter().any(|a| dominates(&values(a), &values(b))))
        .collect();
    let mut merged: Vec<T> = earlier
        .into_iter()
        .filter(|a| !later.iter().any(|b| dominates(&values(b), &values(a))))
        .collect();
    merged.extend(
        later
            .into_iter()
            .zip(later_keeps)
            .filter_map(|(b, keep)| keep.then_some(b)),
    );
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_front(points: &[[f64; 5]]) -> Vec<usize> {
        (0..points.len())
            .filter(|&i| !points.iter().any(|other| dominates(other, &points[i])))
            .collect()
    }

    #[test]
    fn dominance_needs_one_strict_gain() {
        let a = [1.0, 1.0, 1.0, 1.0, 1.0];
        let b = [1.0, 1.0, 1.0, 1.0, 0.5];
        assert!(dominates(&a, &b));
        assert!(!dominates(&b, &a));
        assert!(!dominates(&a, &a));
    }

    #[test]
    fn signed_zeros_are_equal() {
        // The second point dominates the first although 0.0 sorts after -0.0.
        let first = [0.0, -3.0, 0.0, 0.0, 0.0];
        let second = [-0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(front_positions(&[first, second]), vec![1]);
    }

    #[test]
    fn duplicates_stay_on_front() {
        let p = [2.0, 0.0, 0.0, 0.0, 0.0];
        let q = [0.0, 2.0, 0.0, 0.0, 0.0];
        let dominated = [0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(front_positions(&[p, dominated, p, q]), vec![0, 2, 3]);
    }

    #[test]
    fn front_matches_naive_definition() {
        // A fixed pseudo-random cloud with many ties on a coarse grid.
        let mut state = 12345_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 7) as f64
        };
        let points: Vec<[f64; 5]> = (0..300)
            .map(|_| [next(), next(), next(), next(), next()])
            .collect();
        assert_eq!(front_positions(&points), naive_front(&points));
    }

    #[test]
    fn merged_front_equals_front_of_union() {
        let points: Vec<[f64; 5]> = (0..60)
            .map(|i| {
                let x = f64::from(i);
                [x % 5.0, (x * 7.0) % 11.0, (x * 3.0) % 4.0, -x % 6.0, 1.0]
            })
            .collect();
        let (left, right) = points.split_at(25);
        let left_front: Vec<usize> = front_positions(left);
        let right_front: Vec<usize> = front_positions(right).iter().map(|i| i + 25).collect();
        let merged = merge_fronts(left_front, right_front, |&i| points[i]);
        assert_eq!(merged, naive_front(&points));
    }
}

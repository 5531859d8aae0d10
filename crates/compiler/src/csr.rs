//! Compressed sparse rows: a table of rows of items, built by a counting sort from
//! `(row, item)` pairs in two passes, with the rows' items in the pairs' order. The
//! reversed edges of a state graph are built with it.

use crate::explore::Graph;

/// Rows `0..n` of items; row `r` is `items[start[r]..start[r + 1]]`.
#[derive(Debug, Clone)]
pub struct Csr<T> {
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy + Default> Csr<T> {
    /// Builds `n` rows from the pairs `pairs()` yields; it is called twice (to count,
    /// then to fill) and must yield the same pairs both times.
    pub fn build<I: Iterator<Item = (u32, T)>>(n: usize, pairs: impl Fn() -> I) -> Self {
        let mut start = vec![0u32; n + 1];
        for (r, _) in pairs() {
            start[r as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut items = vec![T::default(); start[n] as usize];
        for (r, x) in pairs() {
            items[fill[r as usize] as usize] = x;
            fill[r as usize] += 1;
        }
        Csr { start, items }
    }

    /// How many items all rows hold.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no row holds an item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items of row `r`.
    pub fn row(&self, r: u32) -> &[T] {
        &self.items[self.start[r as usize] as usize..self.start[r as usize + 1] as usize]
    }
}

/// The graph's edges reversed: row `t` lists the states with an edge to `t`, each with
/// `tag(state, k)` for its `k`-th edge in [`Graph::successors`] order of that state,
/// numbered across the whole graph.
pub fn reversed<T: Copy + Default>(graph: &Graph, tag: impl Fn(u32, usize) -> T) -> Csr<(u32, T)> {
    Csr::build(graph.len(), || {
        (0..graph.len() as u32)
            .flat_map(|i| graph.successors(i).map(move |(t, _)| (i, t)))
            .enumerate()
            .map(|(k, (i, t))| (t, (i, tag(i, k))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_the_pairs_order() {
        let pairs = [(2u32, 'a'), (0, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        let csr = Csr::build(4, || pairs.iter().copied());
        assert_eq!(csr.row(0), ['b', 'e']);
        assert_eq!(csr.row(1), ['d']);
        assert_eq!(csr.row(2), ['a', 'c']);
        assert!(csr.row(3).is_empty());
    }
}

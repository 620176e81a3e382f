//! Custom ids, removal by id and allow-lists.
//!
//! Ids are non-negative int64s (−1 is the padding a k-NN row gets past the last
//! result, as in FAISS), unique among the codes not removed. Without custom ids
//! the id of a code is its position. Removing a code clears its bit in a bitset
//! of live positions: the codes, the ids and the multi-index tables stay where
//! they are, and every search skips the position. An allow-list becomes a bitset
//! over positions for one search.

use super::view::{bit, clear_bit, full_bitset};
use super::HammingIndex;
use crate::{Codes, Error, Result};

fn ids_error(reason: String) -> Error {
    Error::Ids { reason }
}

/// Checks ids about to be stored: as many as codes, none negative, no repeats.
fn check_new_ids(ids: &[i64], codes: usize) -> Result<()> {
    if ids.len() != codes {
        return Err(ids_error(format!("{} ids for {codes} codes", ids.len())));
    }
    if let Some(&id) = ids.iter().find(|&&id| id < 0) {
        return Err(ids_error(format!("id {id} is negative (ids are 0 to 2^63 - 1)")));
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(ids_error(format!("id {} appears more than once", w[0])));
    }
    Ok(())
}

impl HammingIndex {
    /// An index over `codes` whose i-th code has id `ids[i]`.
    ///
    /// Errors: a count mismatch, a negative or repeated id ([`Error::Ids`]).
    pub fn from_codes_with_ids(codes: Codes, ids: Vec<i64>) -> Result<Self> {
        check_new_ids(&ids, codes.len())?;
        let mut index = Self::from_codes(codes);
        index.ids = Some(ids);
        Ok(index)
    }

    /// The custom ids by position, if any (else the id is the position).
    pub fn ids(&self) -> Option<&[i64]> {
        self.ids.as_deref()
    }

    /// The id of the code at `pos`.
    pub fn id_at(&self, pos: usize) -> i64 {
        self.ids.as_ref().map_or(pos as i64, |v| v[pos])
    }

    /// Whether the code at `pos` was removed.
    pub fn is_removed(&self, pos: usize) -> bool {
        self.live.as_ref().is_some_and(|live| !bit(live, pos))
    }

    /// Codes not removed.
    pub fn live_len(&self) -> usize {
        match &self.live {
            Some(bits) => bits.iter().map(|w| w.count_ones() as usize).sum(),
            None => self.len(),
        }
    }

    /// Appends codes; they get the next ids (one past the largest id stored, or
    /// their positions without custom ids). Multi-index tables are dropped
    /// (rebuild with [`HammingIndex::build_multi_index`]).
    ///
    /// Errors: codes of another width ([`Error::ShapeMismatch`]).
    pub fn add(&mut self, codes: &Codes) -> Result<()> {
        let ids = self.ids.as_ref().map(|v| {
            let next = v.iter().max().map_or(0, |&m| m + 1);
            (next..next + codes.len() as i64).collect::<Vec<i64>>()
        });
        self.append(codes, ids)
    }

    /// Appends codes with the given ids.
    ///
    /// Errors: codes of another width ([`Error::ShapeMismatch`]); a count
    /// mismatch, a negative id, an id repeated or already in the index
    /// ([`Error::Ids`]). The index is unchanged on error.
    pub fn add_with_ids(&mut self, codes: &Codes, ids: &[i64]) -> Result<()> {
        check_new_ids(ids, codes.len())?;
        let map = self.live_map();
        if let Some(&id) = ids.iter().find(|&&id| self.lookup(map.as_deref(), id).is_some()) {
            return Err(ids_error(format!("id {id} is already in the index")));
        }
        if self.ids.is_none() {
            self.ids = Some((0..self.len() as i64).collect());
        }
        self.append(codes, Some(ids.to_vec()))
    }

    fn append(&mut self, codes: &Codes, new_ids: Option<Vec<i64>>) -> Result<()> {
        self.codes.extend(codes)?;
        if let (Some(ids), Some(new)) = (&mut self.ids, new_ids) {
            ids.extend(new);
        }
        let n = self.len();
        if let Some(live) = &mut self.live {
            let old = n - codes.len();
            live.resize(n.div_ceil(64), 0);
            for p in old..n {
                live[p / 64] |= 1 << (p % 64);
            }
        }
        self.tables = None;
        Ok(())
    }

    /// Removes the codes with these ids (their rows stay in place, skipped by
    /// every search). Returns how many were removed (a repeated id counts once).
    ///
    /// Errors: an id not in the index, or already removed ([`Error::Ids`]); the
    /// index is unchanged on error.
    pub fn remove(&mut self, ids: &[i64]) -> Result<usize> {
        let positions = self.positions_of(ids)?;
        let live = self.live.get_or_insert_with(|| full_bitset(self.codes.len()));
        let mut removed = 0;
        for p in positions {
            if bit(live, p) {
                clear_bit(live, p);
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The live (id, position) pairs sorted by id, with custom ids (one sort
    /// instead of a linear search per id looked up).
    fn live_map(&self) -> Option<Vec<(i64, usize)>> {
        let stored = self.ids.as_ref()?;
        let mut map: Vec<(i64, usize)> =
            stored.iter().enumerate().filter(|&(p, _)| !self.is_removed(p)).map(|(p, &id)| (id, p)).collect();
        map.sort_unstable();
        Some(map)
    }

    /// The live position holding `id` (`map` from [`Self::live_map`]).
    fn lookup(&self, map: Option<&[(i64, usize)]>, id: i64) -> Option<usize> {
        match map {
            None => usize::try_from(id).ok().filter(|&p| p < self.len() && !self.is_removed(p)),
            Some(map) => map.binary_search_by_key(&id, |e| e.0).ok().map(|i| map[i].1),
        }
    }

    /// The live positions of `ids`, in order.
    fn positions_of(&self, ids: &[i64]) -> Result<Vec<usize>> {
        let map = self.live_map();
        ids.iter()
            .map(|&id| self.lookup(map.as_deref(), id).ok_or_else(|| ids_error(format!("id {id} is not in the index"))))
            .collect()
    }

    /// The allow-list as a bitset over live positions.
    pub(super) fn allow_bits(&self, allow: Option<&[i64]>) -> Result<Option<Vec<u64>>> {
        let Some(allow) = allow else { return Ok(None) };
        let mut bits = vec![0u64; self.len().div_ceil(64)];
        for p in self.positions_of(allow)? {
            bits[p / 64] |= 1 << (p % 64);
        }
        Ok(Some(bits))
    }
}

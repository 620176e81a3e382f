//! What a search sees of the stored codes: which positions count (codes removed
//! by id and codes outside an allow-list do not) and which id each position
//! reports. Both engines (the scan in `search.rs`, multi-index hashing in
//! `mih_search.rs`) offer positions to a `View` and rank by (distance, id).

use super::limit::Cap;

/// The positions a search may return and the id of each.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    /// Position → id; `None`: the id is the position.
    ids: Option<&'a [i64]>,
    /// A bitset over positions (bit p of word p / 64); `None`: every position.
    allow: Option<&'a [u64]>,
    /// Ids increase with the position, so a scan, which offers positions in
    /// increasing order, meets equal distances in id order.
    monotone: bool,
    /// The results a radius search may still store (`limit.rs`); `None`: no cap.
    cap: Option<&'a Cap>,
}

impl<'a> View<'a> {
    /// Positions `allow` lets through (all when `None`), reported as `ids[p]`
    /// (the position when `None`). Ids must be non-negative.
    pub(crate) fn new(ids: Option<&'a [i64]>, allow: Option<&'a [u64]>) -> Self {
        let monotone = ids.is_none_or(|ids| ids.windows(2).all(|w| w[0] < w[1]));
        Self { ids, allow, monotone, cap: None }
    }

    /// This view with every stored result counted against `cap`.
    pub(crate) fn capped(self, cap: &'a Cap) -> Self {
        Self { cap: Some(cap), ..self }
    }

    /// Takes one result from the cap (true without a cap).
    #[inline]
    pub(crate) fn take(&self) -> bool {
        self.cap.is_none_or(Cap::take)
    }

    /// Returns `n` results to the cap (a dropped list's).
    pub(crate) fn give_back(&self, n: usize) {
        if let Some(cap) = self.cap {
            cap.give_back(n);
        }
    }

    /// Whether the cap was passed: collectors then stop (threshold 0).
    #[inline]
    pub(crate) fn over(&self) -> bool {
        self.cap.is_some_and(Cap::over)
    }

    /// Whether this view is the identity (every position, position = id).
    pub(crate) fn is_identity(&self) -> bool {
        self.ids.is_none() && self.allow.is_none()
    }

    #[inline]
    pub(crate) fn allowed(&self, pos: usize) -> bool {
        self.allow.is_none_or(|bits| bits[pos / 64] >> (pos % 64) & 1 == 1)
    }

    #[inline]
    pub(crate) fn id(&self, pos: usize) -> u64 {
        match self.ids {
            Some(ids) => ids[pos] as u64,
            None => pos as u64,
        }
    }

    /// What a scan's reject threshold must add to the k-th best distance: 0 when
    /// ids follow positions (an equal distance arrives later, with a larger id, so
    /// it can never enter), 1 otherwise (an equal distance may carry a smaller id).
    #[inline]
    pub(crate) fn slack(&self) -> u32 {
        u32::from(!self.monotone)
    }
}

/// A bitset of `n` bits, all set.
pub(crate) fn full_bitset(n: usize) -> Vec<u64> {
    let mut bits = vec![!0u64; n.div_ceil(64)];
    if n % 64 != 0 {
        if let Some(last) = bits.last_mut() {
            *last = (1u64 << (n % 64)) - 1;
        }
    }
    bits
}

/// Clears bit `pos`.
pub(crate) fn clear_bit(bits: &mut [u64], pos: usize) {
    bits[pos / 64] &= !(1u64 << (pos % 64));
}

/// Whether bit `pos` is set.
pub(crate) fn bit(bits: &[u64], pos: usize) -> bool {
    bits[pos / 64] >> (pos % 64) & 1 == 1
}

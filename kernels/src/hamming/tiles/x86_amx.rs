//! The tile scan's AMX and AVX-512 bodies. Stable Rust has no AMX intrinsics, so
//! the tile instructions are `asm!` with fixed registers: tmm4..tmm7 hold a
//! group's B tiles (one per word), tmm0 and tmm1 take the A tiles in turn, and
//! tmm2 and tmm3 the sums of even and odd sub-blocks. Nothing else in the program uses tile registers.

use std::arch::asm;
use std::arch::x86_64::*;

use super::{Row, TileBlock, TileQueries, TILE};

/// Bytes between tile rows in every layout: one row per cache line.
const STRIDE: usize = 64;

/// The tile configuration: palette 1, all 8 tiles 16 rows of 64 bytes.
#[repr(C, align(64))]
struct Config([u8; 64]);

fn config() -> Config {
    let mut c = [0u8; 64];
    c[0] = 1;
    for t in 0..8 {
        c[16 + 2 * t] = 64;
        c[48 + t] = TILE as u8;
    }
    Config(c)
}

/// Rows of `8 · w` bytes into A tiles: each word's 64 bits as 64 bytes 0/1, one
/// masked move per word.
///
/// # Safety
/// The CPU must support AVX-512 BW; `out` holds the tiles of every row.
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn expand_codes(rows: &[u8], w: usize, out: &mut [Row]) {
    let ones = _mm512_set1_epi8(1);
    for (i, code) in rows.chunks_exact(8 * w).enumerate() {
        let (s, m) = (i / TILE, i % TILE);
        for (t, bytes) in code.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            let dst = &mut out[(s * w + t) * TILE + m];
            // SAFETY: dst is one 64-byte aligned row.
            unsafe { _mm512_store_si512(dst.0.as_mut_ptr().cast(), _mm512_maskz_mov_epi8(word, ones)) };
        }
    }
}

/// Loads a group's B tiles (words 0..w at `b`, 1 KiB apart) into tmm4.. .
///
/// # Safety
/// The tile configuration is loaded; `b` holds `w` tiles.
#[inline(always)]
unsafe fn load_queries(w: usize, b: *const Row) {
    // SAFETY: each tile is 16 rows of STRIDE bytes within b (the caller vouches).
    unsafe {
        asm!("tileloadd tmm4, [{p} + {s}]", p = in(reg) b, s = in(reg) STRIDE, options(nostack, readonly));
        asm!("tileloadd tmm5, [{p} + {s}]", p = in(reg) b.add(TILE), s = in(reg) STRIDE, options(nostack, readonly));
        if w > 2 {
            asm!("tileloadd tmm6, [{p} + {s}]", p = in(reg) b.add(2 * TILE), s = in(reg) STRIDE, options(nostack, readonly));
        }
        if w > 3 {
            asm!("tileloadd tmm7, [{p} + {s}]", p = in(reg) b.add(3 * TILE), s = in(reg) STRIDE, options(nostack, readonly));
        }
    }
}

/// `start_sums!(tmmC, w, a)`: starts the 16 × 16 sums of a sub-block of codes
/// (A tiles at `a`) against the loaded queries in tile register C; `store_sums!`
/// writes them out. Split so that the vector units compare the previous sums
/// while the tile unit works (a tile store waits for the products), and two
/// sum registers in turn so that one sub-block's products need not wait for
/// the previous store.
macro_rules! start_sums {
    ($c:literal, $w:expr, $a:expr) => {{
        let a: *const Row = $a;
        let s = STRIDE;
        match $w {
            2 => asm!(
                concat!("tilezero ", $c),
                "tileloadd tmm0, [{a0} + {s}]", concat!("tdpbusd ", $c, ", tmm0, tmm4"),
                "tileloadd tmm1, [{a1} + {s}]", concat!("tdpbusd ", $c, ", tmm1, tmm5"),
                a0 = in(reg) a, a1 = in(reg) a.add(TILE), s = in(reg) s, options(nostack, readonly)),
            3 => asm!(
                concat!("tilezero ", $c),
                "tileloadd tmm0, [{a0} + {s}]", concat!("tdpbusd ", $c, ", tmm0, tmm4"),
                "tileloadd tmm1, [{a1} + {s}]", concat!("tdpbusd ", $c, ", tmm1, tmm5"),
                "tileloadd tmm0, [{a2} + {s}]", concat!("tdpbusd ", $c, ", tmm0, tmm6"),
                a0 = in(reg) a, a1 = in(reg) a.add(TILE), a2 = in(reg) a.add(2 * TILE),
                s = in(reg) s, options(nostack, readonly)),
            _ => asm!(
                concat!("tilezero ", $c),
                "tileloadd tmm0, [{a0} + {s}]", concat!("tdpbusd ", $c, ", tmm0, tmm4"),
                "tileloadd tmm1, [{a1} + {s}]", concat!("tdpbusd ", $c, ", tmm1, tmm5"),
                "tileloadd tmm0, [{a2} + {s}]", concat!("tdpbusd ", $c, ", tmm0, tmm6"),
                "tileloadd tmm1, [{a3} + {s}]", concat!("tdpbusd ", $c, ", tmm1, tmm7"),
                a0 = in(reg) a, a1 = in(reg) a.add(TILE), a2 = in(reg) a.add(2 * TILE), a3 = in(reg) a.add(3 * TILE),
                s = in(reg) s, options(nostack, readonly)),
        }
    }};
}

macro_rules! store_sums {
    ($c:literal, $dst:expr) => {{
        let c: *mut Row = $dst;
        asm!(concat!("tilestored [{c} + {s}], ", $c), c = in(reg) c, s = in(reg) STRIDE, options(nostack))
    }};
}

/// Starts the sums of a sub-block in tmm2 (`even`) or tmm3.
///
/// # Safety
/// [`load_queries`] ran for the same `w`; `a` holds `w` A tiles.
#[inline(always)]
unsafe fn start_sums(even: bool, w: usize, a: *const Row) {
    // SAFETY: as the caller vouches; each load is 16 rows of STRIDE bytes.
    unsafe {
        if even {
            start_sums!("tmm2", w, a)
        } else {
            start_sums!("tmm3", w, a)
        }
    }
}

/// Writes the sums [`start_sums`] began in the same register as 16 rows of 16 i32 at `c`.
///
/// # Safety
/// [`start_sums`] ran with the same `even`; `c` is 16 writable rows.
#[inline(always)]
unsafe fn store_sums(even: bool, c: *mut Row) {
    // SAFETY: 16 rows of STRIDE bytes at c (the caller vouches).
    unsafe {
        if even {
            store_sums!("tmm2", c)
        } else {
            store_sums!("tmm3", c)
        }
    }
}

/// Sums of two sub-blocks: the tile unit fills one while the vector units
/// compare the other.
#[repr(C, align(64))]
struct Sums([[Row; TILE]; 2]);

/// The lane-wise minimum of the 16 rows of sums: one compare with the bounds
/// then clears a whole sub-block (256 pairs) when nothing in it is a hit, the
/// common case once the thresholds have settled.
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn min_rows(rows: &[Row; TILE]) -> __m512i {
    // SAFETY: each row is 64 aligned bytes.
    let ld = |m: usize| unsafe { _mm512_load_si512(rows[m].0.as_ptr().cast()) };
    let mut lo = [ld(0), ld(1), ld(2), ld(3)];
    for m in (4..TILE).step_by(4) {
        for (k, v) in lo.iter_mut().enumerate() {
            *v = _mm512_min_epi32(*v, ld(m + k));
        }
    }
    _mm512_min_epi32(_mm512_min_epi32(lo[0], lo[1]), _mm512_min_epi32(lo[2], lo[3]))
}

/// See [`super::tiles_scan`]. Sub-block s's sums go through tile register
/// tmm2 or tmm3 (s even or odd) and buffer s % 2, two sub-blocks ahead: the
/// products of s + 2 are started, then s is compared, then s + 1 is stored, so
/// a store never waits on the products started just before it.
///
/// # Safety
/// AMX must be usable (`has_amx`); the widths match and `thresholds` is one per query.
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn scan<F: FnMut(usize, usize, u32) -> u32>(
    queries: &TileQueries,
    block: &TileBlock,
    thresholds: &mut [u32],
    hit: &mut F,
) {
    let (w, n) = (queries.w, block.len);
    let subs = n.div_ceil(TILE);
    // Every distance is at most 64 · w: a larger threshold admits everything.
    let cap = 64 * w as u32 + 1;
    let cfg = config();
    let mut sums = Sums([[Row([0; 64]); TILE]; 2]);
    let a = |s: usize| block.rows[s * w * TILE..].as_ptr();
    // SAFETY: the configuration is 64 readable bytes.
    unsafe { asm!("ldtilecfg [{}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly)) };
    for j in 0..queries.len.div_ceil(TILE) {
        let q0 = j * TILE;
        let live = (queries.len - q0).min(TILE);
        let weights = &queries.weights[q0..q0 + TILE];
        // Lane l offers code i when its sum c = d − |q| is below thr − |q|; padding
        // lanes never (no sum is below i32::MIN).
        let mut bound = [i32::MIN; TILE];
        for l in 0..live {
            bound[l] = thresholds[q0 + l].min(cap) as i32 - weights[l];
        }
        // SAFETY: bound is 16 i32.
        let mut bv = unsafe { _mm512_loadu_si512(bound.as_ptr().cast()) };
        // SAFETY: the tiles of group j are within queries.rows; sub-blocks 0 and
        // (if it exists) 1 are within the block; sums.0[0] is 16 rows.
        unsafe {
            load_queries(w, queries.rows[j * w * TILE..].as_ptr());
            start_sums(true, w, a(0));
            if subs > 1 {
                start_sums(false, w, a(1));
            }
            store_sums(true, sums.0[0].as_mut_ptr());
        }
        for s in 0..subs {
            if s + 2 < subs {
                // SAFETY: sub-block s + 2 exists; its register was stored (s).
                unsafe { start_sums(s % 2 == 0, w, a(s + 2)) };
            }
            let rows = (n - s * TILE).min(TILE);
            let sub = &sums.0[s % 2];
            // SAFETY: AVX-512F is enabled here.
            let quiet = rows == TILE && _mm512_cmpgt_epi32_mask(bv, unsafe { min_rows(sub) }) == 0;
            if !quiet {
                for (m, row) in sub.iter().enumerate().take(rows) {
                    // SAFETY: row is 64 aligned bytes.
                    let c = unsafe { _mm512_load_si512(row.0.as_ptr().cast()) };
                    let mut mask = _mm512_cmpgt_epi32_mask(bv, c);
                    if mask == 0 {
                        continue;
                    }
                    let mut cs = [0i32; TILE];
                    // SAFETY: cs is 64 writable bytes.
                    unsafe { _mm512_storeu_si512(cs.as_mut_ptr().cast(), c) };
                    while mask != 0 {
                        let l = mask.trailing_zeros() as usize;
                        mask &= mask - 1;
                        let q = q0 + l;
                        let t = hit(q, s * TILE + m, (cs[l] + weights[l]) as u32);
                        thresholds[q] = t;
                        bound[l] = t.min(cap) as i32 - weights[l];
                    }
                    // SAFETY: as above.
                    bv = unsafe { _mm512_loadu_si512(bound.as_ptr().cast()) };
                }
            }
            if s + 1 < subs {
                // SAFETY: the sums of s + 1 were started in register (s + 1) % 2;
                // the buffer they go to was compared (s − 1).
                unsafe { store_sums(s % 2 == 1, sums.0[(s + 1) % 2].as_mut_ptr()) };
            }
        }
    }
    // SAFETY: releases the tile state this function configured.
    unsafe { asm!("tilerelease", options(nostack, nomem)) };
}

//! GEMM on every instruction set this CPU runs, against the scalar reference.
//!
//! Exactness: inputs are small integers (|x| <= 4) and α, β are small integers or
//! halves, so every partial sum is an integer far below 2^24 and every f32 operation
//! is exact whatever the order or fusion: the SIMD paths must then equal the
//! reference bit for bit (`==`). C lives inside a larger buffer filled with NaN, so a
//! write outside the result or a read of C when β == 0 shows up as NaN. One test
//! uses random floats with a stated error bound instead.

use proptest::prelude::*;
use sigah_kernels::gemm::{gemm, gemm_scalar, gemm_with, MatMut, MatRef};
use sigah_kernels::isa::{self, Isa};
use sigah_kernels::rng::SplitMix64;

/// Deterministic small integers in -4..=4 (splitmix64).
fn ints(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1));
    (0..len).map(|_| (rng.next_u64() % 9) as f32 - 4.0).collect()
}

/// Uniform floats in [-1, 1) from the same generator.
fn floats(len: usize, seed: u64) -> Vec<f32> {
    ints(len * 2, seed).chunks(2).enumerate().map(|(i, p)| (p[0] * 9.0 + p[1] + 0.37 * (i % 7) as f32) / 45.0).collect()
}

/// How an operand is stored. Every kind can also be handed over as the transpose
/// of its storage (`.t()`), which is how the four transpose cases arise.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major with `pad` unused elements after each row.
    Rows { pad: usize },
    /// Column-major with `pad` unused elements after each column.
    Cols { pad: usize },
    /// Neither stride is 1: every other element, rows further apart.
    Gapped,
}

impl Layout {
    /// (row stride, column stride, buffer length) for a `rows × cols` matrix,
    /// starting at offset `off`.
    fn strides(self, rows: usize, cols: usize, off: usize) -> (usize, usize, usize) {
        let (rs, cs) = match self {
            Layout::Rows { pad } => (cols + pad, 1),
            Layout::Cols { pad } => (1, rows + pad),
            Layout::Gapped => (2 * cols + 3, 2),
        };
        (rs, cs, off + rows * rs.max(1) + cols * cs + 5)
    }
}

const LAYOUTS: [Layout; 4] =
    [Layout::Rows { pad: 0 }, Layout::Rows { pad: 3 }, Layout::Cols { pad: 1 }, Layout::Gapped];

/// An input operand: logical shape `rows × cols`; stored either directly or as the
/// transpose of a `cols × rows` storage (when `transposed`).
struct Operand {
    buf: Vec<f32>,
    off: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
    transposed: bool,
}

impl Operand {
    fn new(rows: usize, cols: usize, layout: Layout, transposed: bool, seed: u64, float: bool) -> Self {
        let (sr, sc) = if transposed { (cols, rows) } else { (rows, cols) };
        let off = 2;
        let (rs, cs, len) = layout.strides(sr, sc, off);
        // Unused slots are NaN: reading one would poison the result.
        let mut buf = vec![f32::NAN; len];
        let vals = if float { floats(sr * sc, seed) } else { ints(sr * sc, seed) };
        for i in 0..sr {
            for j in 0..sc {
                buf[off + i * rs + j * cs] = vals[i * sc + j];
            }
        }
        Self { buf, off, rows: sr, cols: sc, rs, cs, transposed }
    }

    fn view(&self) -> MatRef<'_> {
        let v = MatRef::strided(&self.buf[self.off..], self.rows, self.cols, self.rs, self.cs);
        if self.transposed {
            v.t()
        } else {
            v
        }
    }
}

/// The output: `m × n` inside a NaN-filled buffer.
struct Output {
    buf: Vec<f32>,
    off: usize,
    m: usize,
    n: usize,
    rs: usize,
    cs: usize,
}

impl Output {
    fn new(m: usize, n: usize, layout: Layout, init_nan: bool, seed: u64) -> Self {
        let off = 3;
        let (rs, cs, len) = layout.strides(m, n, off);
        let mut buf = vec![f32::NAN; len];
        if !init_nan {
            let vals = ints(m * n, seed);
            for i in 0..m {
                for j in 0..n {
                    buf[off + i * rs + j * cs] = vals[i * n + j];
                }
            }
        }
        Self { buf, off, m, n, rs, cs }
    }

    fn view(&mut self) -> MatMut<'_> {
        MatMut::strided(&mut self.buf[self.off..], self.m, self.n, self.rs, self.cs)
    }

    /// Which buffer slots belong to C (the rest are canaries).
    fn mask(&self) -> Vec<bool> {
        let mut inside = vec![false; self.buf.len()];
        for i in 0..self.m {
            for j in 0..self.n {
                inside[self.off + i * self.rs + j * self.cs] = true;
            }
        }
        inside
    }
}

/// One exact case: every available level (and parallel on/off) against the reference.
#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
    la: Layout,
    lb: Layout,
    lc: Layout,
    alpha: f32,
    beta: f32,
    seed: u64,
}

fn check_exact(case: Case) {
    let Case { m, k, n, ta, tb, la, lb, lc, alpha, beta, seed } = case;
    let a = Operand::new(m, k, la, ta, seed, false);
    let b = Operand::new(k, n, lb, tb, seed ^ 0xB, false);
    // β == 0: C starts as NaN and must not be read.
    let c0 = Output::new(m, n, lc, beta == 0.0, seed ^ 0xC);
    let mut want = Output { buf: c0.buf.clone(), ..c0 };
    gemm_scalar(alpha, a.view(), b.view(), beta, want.view());
    let inside = c0.mask();
    let outside_nan = |o: &Output| o.buf.iter().zip(&inside).all(|(x, &c)| c || x.is_nan());
    assert!(outside_nan(&want), "reference wrote outside C: {case:?}");
    for isa in isa::available() {
        for parallel in [false, true] {
            let mut got = Output { buf: c0.buf.clone(), ..c0 };
            gemm_with(isa, parallel, alpha, a.view(), b.view(), beta, got.view());
            for i in 0..m {
                for j in 0..n {
                    let idx = got.off + i * got.rs + j * got.cs;
                    assert!(
                        got.buf[idx] == want.buf[idx],
                        "{isa} parallel={parallel} C[{i},{j}] = {} want {} in {case:?}",
                        got.buf[idx],
                        want.buf[idx]
                    );
                }
            }
            assert!(outside_nan(&got), "{isa}: canary overwritten in {case:?}");
        }
    }
}

fn case(m: usize, k: usize, n: usize, variant: usize) -> Case {
    let row = Layout::Rows { pad: 0 };
    Case {
        m,
        k,
        n,
        ta: variant & 1 != 0,
        tb: variant & 2 != 0,
        la: row,
        lb: row,
        lc: Layout::Rows { pad: 2 },
        alpha: 1.0,
        beta: 0.0,
        seed: (m * 10_000 + k * 100 + n) as u64,
    }
}

/// Every m and n in 0..=33 with a few depths, all four transpose cases.
#[test]
fn all_m_n_small_k() {
    println!("gemm exactness on {:?}", isa::available());
    for k in [0, 1, 5, 33] {
        for m in 0..=33 {
            for n in 0..=33 {
                let variant = (m + n + k) % 4;
                check_exact(case(m, k, n, variant));
            }
        }
    }
}

/// Every k in 0..=33 with a few (m, n), all four transpose cases.
#[test]
fn all_k_few_m_n() {
    for k in 0..=33 {
        for (m, n) in [(1, 1), (7, 17), (13, 33), (33, 9)] {
            for variant in 0..4 {
                check_exact(case(m, k, n, variant));
            }
        }
    }
}

/// Awkward layouts for every operand (padded rows, column-major, neither stride 1)
/// with each transpose case and non-trivial α, β.
#[test]
fn awkward_strides_and_scalars() {
    let mut seed = 1;
    for (m, k, n) in [(5, 9, 19), (17, 3, 33), (31, 20, 6), (1, 33, 40)] {
        for la in LAYOUTS {
            for lb in LAYOUTS {
                for lc in [Layout::Rows { pad: 2 }, Layout::Cols { pad: 1 }, Layout::Gapped] {
                    for (alpha, beta) in [(1.0, 0.0), (-2.0, 1.0), (0.5, -3.0)] {
                        seed += 1;
                        let (ta, tb) = (seed % 2 == 0, seed % 3 == 0);
                        check_exact(Case { m, k, n, ta, tb, la, lb, lc, alpha, beta, seed });
                    }
                }
            }
        }
    }
}

/// Sizes past every blocking constant: several depth blocks (K > KC), row blocks
/// (M > MC) and column blocks (N > NC) of the micro-kernels.
#[test]
fn larger_than_cache_blocks() {
    for (m, k, n, variant) in [(200, 530, 70, 0), (23, 300, 1100, 3), (400, 40, 33, 1), (70, 513, 45, 2)] {
        let mut c = case(m, k, n, variant);
        c.beta = -1.0;
        check_exact(c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_shapes(
        m in 0usize..70, k in 0usize..70, n in 0usize..70,
        ta: bool, tb: bool,
        la in 0usize..4, lb in 0usize..4, lc in 0usize..3,
        scalars in 0usize..4, seed: u64,
    ) {
        let (alpha, beta) = [(1.0, 0.0), (2.0, 1.0), (-0.5, 2.0), (1.0, -1.0)][scalars];
        let lc = [Layout::Rows { pad: 0 }, Layout::Cols { pad: 2 }, Layout::Gapped][lc];
        check_exact(Case { m, k, n, ta, tb, la: LAYOUTS[la], lb: LAYOUTS[lb], lc, alpha, beta, seed });
    }
}

/// Random floats: |C − C_ref| <= 2·k·ε·(|α|·Σ_p |a_ip|·|b_pj| + |β|·|c_ij|) + 1e-30
/// against an f64 reference, the standard forward error bound of a dot product of
/// length k (any summation order, with or without FMA), doubled for the α/β update.
#[test]
fn random_floats_within_bound() {
    for (m, k, n, ta, tb) in [(37, 300, 45, false, false), (64, 129, 100, true, false), (50, 77, 81, false, true)] {
        let (alpha, beta) = (0.75f32, -0.5f32);
        let a = Operand::new(m, k, Layout::Rows { pad: 1 }, ta, 7, true);
        let b = Operand::new(k, n, Layout::Rows { pad: 0 }, tb, 8, true);
        let c_init = floats(m * n, 9);
        let (av, bv) = (a.view(), b.view());
        for isa in isa::available() {
            let mut c = c_init.clone();
            gemm_with(isa, true, alpha, av, bv, beta, MatMut::new(&mut c, m, n));
            for i in 0..m {
                for j in 0..n {
                    let (mut exact, mut scale) = (0.0f64, 0.0f64);
                    for p in 0..k {
                        let prod = av.at(i, p) as f64 * bv.at(p, j) as f64;
                        exact += prod;
                        scale += prod.abs();
                    }
                    let c0 = c_init[i * n + j] as f64;
                    let want = alpha as f64 * exact + beta as f64 * c0;
                    let bound = 2.0
                        * (k + 2) as f64
                        * f32::EPSILON as f64
                        * (alpha.abs() as f64 * scale + beta.abs() as f64 * c0.abs())
                        + 1e-30;
                    let err = (c[i * n + j] as f64 - want).abs();
                    assert!(
                        err <= bound,
                        "{isa} {m}x{k}x{n} C[{i},{j}] = {} want {want}: error {err:e} > {bound:e}",
                        c[i * n + j]
                    );
                }
            }
        }
    }
}

/// Threads split only rows/columns of C, never the depth: the result is bitwise the
/// same on 1, 2, 3 and 4 threads (random floats, so any change of order would show).
#[test]
fn bitwise_identical_across_thread_counts() {
    for (m, k, n) in [(300, 700, 130), (90, 520, 500), (256, 128, 64)] {
        let a = floats(m * k, 1);
        let b = floats(k * n, 2);
        for isa in isa::available() {
            let mut one = vec![f32::NAN; m * n];
            gemm_with(isa, false, 1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, MatMut::new(&mut one, m, n));
            for threads in [2, 3, 4] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
                let mut many = vec![f32::NAN; m * n];
                pool.install(|| {
                    gemm_with(
                        isa,
                        true,
                        1.0,
                        MatRef::new(&a, m, k),
                        MatRef::new(&b, k, n),
                        0.0,
                        MatMut::new(&mut many, m, n),
                    )
                });
                let same = one.iter().zip(&many).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{isa}: {threads} threads differ from one thread on {m}x{k}x{n}");
            }
        }
    }
}

/// The dispatching entry point agrees with the level it reports.
#[test]
fn gemm_uses_selected_level() {
    let (m, k, n) = (19, 23, 29);
    let (a, b) = (floats(m * k, 3), floats(k * n, 4));
    let mut via_gemm = vec![0.0; m * n];
    let mut via_with = vec![0.0; m * n];
    gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, MatMut::new(&mut via_gemm, m, n));
    let isa: Isa = isa::selected();
    gemm_with(isa, true, 1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, MatMut::new(&mut via_with, m, n));
    assert!(via_gemm.iter().zip(&via_with).all(|(x, y)| x.to_bits() == y.to_bits()));
}

#[test]
#[should_panic(expected = "A is 2x3, B is 4x5, C is 2x5")]
fn shape_mismatch_names_the_shapes() {
    let (a, b) = (vec![0.0; 6], vec![0.0; 20]);
    let mut c = vec![0.0; 10];
    gemm(1.0, MatRef::new(&a, 2, 3), MatRef::new(&b, 4, 5), 0.0, MatMut::new(&mut c, 2, 5));
}

#[test]
#[should_panic(expected = "C is 3x5")]
fn output_shape_mismatch_panics() {
    let (a, b) = (vec![0.0; 6], vec![0.0; 15]);
    let mut c = vec![0.0; 15];
    gemm_with(Isa::Portable, false, 1.0, MatRef::new(&a, 2, 3), MatRef::new(&b, 3, 5), 0.0, MatMut::new(&mut c, 3, 5));
}

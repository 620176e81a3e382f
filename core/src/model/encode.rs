//! Encoding: the hash encoder alone, outside the tape. Rows are processed in
//! blocks of [`BLOCK`] (one GEMM per layer per block, on the calling thread), and
//! blocks are spread over the rayon pool; every block's result is independent of
//! which thread computed it, so codes do not depend on the thread count.

use rayon::prelude::*;
use sigah_kernels::gemm::{gemm_with, MatMut, MatRef};

use super::SigahModel;
use crate::codes::pack_signs;
use crate::{Codes, Error, Result, Tensor};

/// Rows per block. The GEMM packs the weights once per call, so a block must be
/// tall for the packing to be amortised (at 256 rows it took 12 % of the time, at
/// 1024 about 3 %); a block's activations (1024 × 784 floats, 3 MiB) are per thread.
const BLOCK: usize = 1024;

/// Scratch buffers reused by one worker across blocks.
#[derive(Default)]
struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
    /// The preprocessed input, kept for the linear skip path.
    x: Vec<f32>,
}

impl SigahModel {
    /// The real-valued code values u (`n × bits`), before binarisation.
    pub fn code_values(&self, x: &Tensor) -> Result<Tensor> {
        self.check_input(x)?;
        let k = self.bits();
        let wt = self.encoder_weights_t();
        let mut out = vec![0f32; x.rows * k];
        out.par_chunks_mut(BLOCK * k).enumerate().for_each_init(Scratch::default, |s, (bi, chunk)| {
            let rows = chunk.len() / k;
            let u = self.hash_block(&wt, &x.data[bi * BLOCK * x.cols..(bi * BLOCK + rows) * x.cols], rows, s);
            chunk.copy_from_slice(u);
        });
        Ok(Tensor::new(x.rows, k, out))
    }

    /// Packed codes of the rows of `x`: bit j of code i is 1 iff `u_ij > 0`.
    pub fn encode(&self, x: &Tensor) -> Result<Codes> {
        self.check_input(x)?;
        let k = self.bits();
        let row = k / 8;
        let wt = self.encoder_weights_t();
        let mut codes = Codes::zeros(x.rows, k)?;
        codes.rows_mut().par_chunks_mut(BLOCK * row).enumerate().for_each_init(Scratch::default, |s, (bi, chunk)| {
            let n = chunk.len() / row;
            let u = self.hash_block(&wt, &x.data[bi * BLOCK * x.cols..(bi * BLOCK + n) * x.cols], n, s);
            for (code, urow) in chunk.chunks_exact_mut(row).zip(u.chunks_exact(k)) {
                pack_signs(urow, code);
            }
        });
        Ok(codes)
    }

    fn check_input(&self, x: &Tensor) -> Result<()> {
        if x.cols != self.dim() {
            return Err(Error::ShapeMismatch {
                op: "SigahModel::encode",
                expected: format!("vectors of dimension {} (the model's)", self.dim()),
                got: format!("dimension {}", x.cols),
            });
        }
        Ok(())
    }

    /// Each encoder weight transposed to `in × out`, row-major: the GEMM then packs
    /// it with contiguous copies instead of a strided gather (once per call).
    fn encoder_weights_t(&self) -> Vec<Tensor> {
        self.layout
            .enc
            .iter()
            .map(|&(w, _)| {
                let w = &self.gen.tensors[w];
                let mut t = Tensor::zeros(w.cols, w.rows);
                for i in 0..w.rows {
                    for (j, &v) in w.row(i).iter().enumerate() {
                        t.data[j * w.rows + i] = v;
                    }
                }
                t
            })
            .collect()
    }

    /// u for `rows` raw input rows; returns a slice of the scratch space.
    fn hash_block<'s>(&self, wt: &[Tensor], input: &[f32], rows: usize, s: &'s mut Scratch) -> &'s [f32] {
        let isa = sigah_kernels::isa::selected();
        s.b.clear();
        s.b.extend_from_slice(input);
        self.preprocess.apply(&mut s.b, &mut s.a);
        if self.layout.skip.is_some() {
            s.x.clear();
            s.x.extend_from_slice(&s.a);
        }
        let last = self.layout.enc.len() - 1;
        let features = self.preprocess.out_dim();
        let mut width = features;
        for (i, (&(_, c), w)) in self.layout.enc.iter().zip(wt).enumerate() {
            let c = &self.gen.tensors[c];
            let out = w.cols;
            s.b.clear();
            s.b.resize(rows * out, 0.0);
            // Y = X·Wᵀ on this thread: the blocks are already spread over the pool.
            let xv = MatRef::new(&s.a, rows, width);
            gemm_with(isa, false, 1.0, xv, w.view(), 0.0, MatMut::new(&mut s.b, rows, out));
            sigah_kernels::elementwise::bias_add_with(isa, &mut s.b, &c.data);
            if i < last {
                s.b.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            std::mem::swap(&mut s.a, &mut s.b);
            width = out;
        }
        if let Some(w) = self.layout.skip {
            // u += X·W_linᵀ (the skip path; after the bias, as on the tape).
            let w = &self.gen.tensors[w];
            let xv = MatRef::new(&s.x, rows, features);
            let gamma = self.config.optimiser.skip_lr_scale;
            gemm_with(isa, false, gamma, xv, w.view().t(), 1.0, MatMut::new(&mut s.a[..rows * width], rows, width));
        }
        &s.a[..rows * width]
    }
}

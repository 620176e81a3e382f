//! The SiGAH hyper-parameters (docs/METHOD.md, "The model"), with the defaults
//! changed by measurement as docs/METHOD.md records, in five sections:
//! `architecture` (the networks), `optimiser` (Adam and the batch),
//! `loss` (the reconstruction, balance and adversarial terms), `neighbours` (the
//! terms that keep near training rows near in Hamming space) and `training`
//! (the seed, the start, the length of the run).
//!
//! A config is read from a JSON or TOML file (`read.rs`: missing keys keep their
//! defaults, unknown keys are an error so that a typo is not silently ignored;
//! flat files without sections, as earlier builds wrote them, still read), then
//! overridden field by field (the CLI flags), then validated (`validate.rs`)
//! before any work starts.

mod layers;
mod read;
mod validate;

use serde::{Deserialize, Serialize};

pub use layers::{ConfigLayers, Preset};
pub use read::REMOVED;

/// Which decoder turns the code into the synthetic feature `x̃`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DecoderKind {
    /// LISTA compressed-sensing recovery of a sparse latent, then the dictionary
    /// (docs/METHOD.md, "The model"): `x̃ = D·z_T + c_D`.
    #[default]
    Lista,
    /// The ablation without compressed sensing (docs/METHOD.md, "The model", its ablation flags):
    /// `x̃ = D·s + c_D`.
    Linear,
}

/// SiGAH hyper-parameters (docs/METHOD.md, "The model"). `Default` gives the
/// documented defaults. A model file stores every key, section by section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigahConfig {
    pub architecture: Architecture,
    pub optimiser: Optimiser,
    pub loss: Loss,
    pub neighbours: NeighbourTerms,
    pub training: Training,
}

/// The networks: the hash encoder, the decoder and the discriminator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Architecture {
    /// Code length k (a multiple of 8).
    pub bits: usize,
    /// Project the centred input onto its top `input_pca` principal directions
    /// before the networks (docs/METHOD.md); 0, or at least the input dimension,
    /// keeps all `d` dimensions.
    pub input_pca: usize,
    /// Widths of the hash encoder's hidden ReLU layers (one entry per layer).
    pub hidden: Vec<usize>,
    /// A linear skip path from the (preprocessed) input to the code values:
    /// `u = W_lin·x + W_L·ReLU(…) + c_L` (docs/METHOD.md). Ignored without hidden
    /// layers (the encoder is then linear already).
    pub skip: bool,
    /// Latent units m of the compressed-sensing decoder; `None` means `4 · bits`.
    pub latent: Option<usize>,
    /// Unrolled ISTA steps T.
    pub lista_steps: usize,
    /// Initial thresholds are `θ = lista_lambda · η` (the ISTA threshold λ/L with
    /// L = ‖Φ‖², Gregor & LeCun 2010).
    pub lista_lambda: f32,
    /// The decoder: "lista" (default) or "linear" (ablation).
    pub decoder: DecoderKind,
    /// Hidden width of the auto-encoder discriminator.
    pub disc_hidden: usize,
}

/// Adam, the mini-batch, and the skip path's learning-rate scale.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Optimiser {
    /// Adam learning rate of the generator.
    pub lr_g: f32,
    /// Adam learning rate of the discriminator.
    pub lr_d: f32,
    /// Adam β₁.
    pub beta1: f32,
    /// Adam β₂.
    pub beta2: f32,
    /// Adam ε.
    pub eps: f32,
    /// Anchors per mini-batch.
    pub batch_size: usize,
    /// The skip path's effective learning rate is `skip_lr_scale × lr_g`: its
    /// weight is stored divided by this factor and multiplied back in the forward
    /// pass (Adam's step is scale-free, so this rescales the step on `W_lin`
    /// alone). The ITQ start moves slowly instead of being erased in the first
    /// epoch while the decoder is still random.
    pub skip_lr_scale: f32,
}

/// The generator's terms other than the neighbour terms, and the adversarial game.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Loss {
    /// Weight of the reconstruction term in L_G up to 64 bits; 3× or 6× past 64
    /// ([`SigahConfig::reconstruction_weight`]).
    pub lambda_rec: f32,
    /// Weight of the bit-balance term in L_G.
    pub lambda_bal: f32,
    /// Whether the generator is trained against the discriminator. `false` is the
    /// ablation without the game (docs/METHOD.md, "The model", its ablation flags): no D steps and no
    /// energy term in L_G.
    pub adversarial: bool,
    /// A fixed margin μ; `None` means `margin_factor ×` the mean real energy over
    /// the first epoch, fixed from then on.
    pub margin: Option<f32>,
    /// See `margin`.
    pub margin_factor: f32,
}

/// The neighbour terms (docs/METHOD.md, "The model"): pair, ranking and listwise
/// terms over a kNN graph of the training set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeighbourTerms {
    /// With `lambda_pair > 0`: each batch of B training vectors is extended by one
    /// of the `knn_pairs` nearest neighbours (in the whole training set) of each,
    /// and the pair term pulls those B pairs to `pair_target`. 0 turns it off. The
    /// neighbour graph is built before training (`knn/`: exact up to a
    /// cost cap, approximate past it).
    pub knn_pairs: usize,
    /// Weight of the neighbour-pair term `mean_i (s_i·s_nb(i)/k − pair_target)²`
    /// over the `knn_pairs` pairs of each batch (0: off).
    pub lambda_pair: f32,
    /// The pair term's τ: the code similarity `s_i·s_nb(i)/k` it pulls each
    /// neighbour pair to (or, one-sided, at least to). Named `sim_knn_target`
    /// in flat config files and model files of format version 1.
    pub pair_target: f32,
    /// The pair term only pulls pairs less similar than `pair_target`
    /// (`max(0, τ − s_i·s_nb/k)²`) instead of pulling every pair to it: nearer
    /// pairs keep their order instead of being pushed apart to τ.
    pub pair_one_sided: bool,
    /// Weight of the ranking term: for each anchor, a positive drawn from its
    /// `rank_pos` nearest training rows and a negative drawn from its ranks
    /// `rank_pos..rank_neg` (or, with `rank_neg = 0`, any training row), hinge
    /// `max(0, rank_margin + h(a, p) − h(a, n))` on Hamming distances as a fraction
    /// of the bits (0: off).
    pub lambda_rank: f32,
    /// See `lambda_rank`: positives come from this many nearest neighbours.
    pub rank_pos: usize,
    /// See `lambda_rank`: negatives come from the neighbour ranks
    /// `rank_pos..rank_neg`; 0 draws them from the whole training set.
    pub rank_neg: usize,
    /// See `lambda_rank`: the margin, as a fraction of the bits.
    pub rank_margin: f32,
    /// Weight of the listwise neighbourhood term (0: off): for each anchor, a
    /// softmax over every other row of its batch of the relaxed code similarity
    /// divided by `list_temp`, whose cross-entropy against the rows that are among
    /// the anchor's `list_k` nearest training rows is minimised (docs/METHOD.md).
    pub lambda_list: f32,
    /// See `lambda_list`: the rows that count as the anchor's neighbours, at
    /// most one in 32 of the training rows ([`SigahConfig::list_neighbours`]).
    pub list_k: usize,
    /// See `lambda_list`: the softmax temperature, as a fraction of the bits, for
    /// codes of up to 64 bits (a Hamming distance of `T·k` bits more scales a
    /// row's weight by 1/e); each doubling of the width past 64 bits multiplies it
    /// by 0.85, and where the code is wide for its input it is at most 0.7 ×
    /// this ([`SigahConfig::list_temperature`]).
    pub list_temp: f32,
    /// With `relax_beta > 0` the neighbour terms compare `tanh(relax_beta·u)`
    /// instead of the sign codes (0: the signs, with the hard-tanh STE).
    pub relax_beta: f32,
}

/// The run: its seed, how it starts, how long it lasts, and the D:G step ratio.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Training {
    /// Seed of the one RNG that draws the sample, initialises the weights and
    /// shuffles the batches.
    pub seed: u64,
    /// Passes over the training data (see `max_steps`).
    pub epochs: usize,
    /// Train on a uniform sample of at most this many rows (0: every row), so
    /// that training cost stops growing with n (docs/METHOD.md, "Schedule").
    pub train_size: usize,
    /// Cut `epochs` to the fewest whole epochs of at least this many batches in
    /// all (0: no cut).
    pub max_steps: usize,
    /// Discriminator steps per batch (the D:G ratio is `d_steps : g_steps`).
    pub d_steps: usize,
    /// Generator steps per batch.
    pub g_steps: usize,
    /// Start the linear path (the skip path, or the only layer of a linear
    /// encoder) at the ITQ projection of the training set (PCA, then the learned
    /// rotation), so training starts from ITQ's codes.
    pub itq_init: bool,
    /// With the skip path, the ReLU branch's output layer starts at this fraction
    /// of its Xavier initialisation (small: the branch refines the linear path).
    pub branch_init: f32,
}

impl Default for Architecture {
    fn default() -> Self {
        Self {
            bits: 64,
            input_pca: 256,
            hidden: vec![512],
            skip: true,
            latent: None,
            lista_steps: 3,
            lista_lambda: 0.1,
            decoder: DecoderKind::Lista,
            disc_hidden: 256,
        }
    }
}

impl Default for Optimiser {
    fn default() -> Self {
        Self { lr_g: 1e-3, lr_d: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, batch_size: 256, skip_lr_scale: 0.1 }
    }
}

impl Default for Loss {
    fn default() -> Self {
        Self { lambda_rec: 1.0, lambda_bal: 0.1, adversarial: true, margin: None, margin_factor: 2.0 }
    }
}

impl Default for NeighbourTerms {
    fn default() -> Self {
        Self {
            knn_pairs: 10,
            lambda_pair: 1.0,
            pair_target: 0.8,
            pair_one_sided: true,
            lambda_rank: 6.0,
            rank_pos: 50,
            rank_neg: 0,
            rank_margin: 0.1,
            lambda_list: 3.0,
            list_k: 100,
            list_temp: 0.05,
            relax_beta: 2.0,
        }
    }
}

impl Default for Training {
    fn default() -> Self {
        Self {
            seed: 42,
            epochs: 30,
            train_size: 100_000,
            max_steps: 4000,
            d_steps: 1,
            g_steps: 1,
            itq_init: true,
            branch_init: 0.0,
        }
    }
}

/// The listwise temperature's factor per doubling of the width past 64 bits.
const WIDE_LIST_TEMP_STEP: f32 = 0.85;

/// Where the code is wide for its input ([`SigahConfig::wide_for`]) the
/// temperature is at most this fraction of `list_temp`.
const WIDE_INPUT_LIST_TEMP_CAP: f32 = 0.7;

/// The listwise neighbours are at most one in this many training rows.
const LIST_ROWS_PER_NEIGHBOUR: usize = 32;

/// The reconstruction weight's factor past 64 bits.
const WIDE_REC_FACTOR: f32 = 3.0;

/// The same where the code is wide for its input.
const WIDE_INPUT_REC_FACTOR: f32 = 6.0;

/// Past 64 bits, a code is wide for its input from one bit per this many input
/// dimensions.
const WIDE_INPUT_DIMS_PER_BIT: usize = 4;

impl SigahConfig {
    /// The config as one line of JSON, section by section (what the model file
    /// stores).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a config always serialises")
    }

    /// Whether the code is wide for an input of `input_dim` dimensions: more
    /// than 64 bits, and at least one bit per 4 input dimensions (128 bits of
    /// 128-d SIFT or 384-d sentence embeddings, not of 784-d MNIST pixels).
    /// ITQ's rotation of the top principal directions then keeps most of what
    /// the input holds, and the two rules below lean further towards it.
    pub fn wide_for(&self, input_dim: usize) -> bool {
        let bits = self.architecture.bits;
        bits > 64 && bits * WIDE_INPUT_DIMS_PER_BIT >= input_dim
    }

    /// The listwise term's temperature at this width for an input of
    /// `input_dim` dimensions, as a fraction of the bits: `list_temp` up to 64
    /// bits, then 0.85× per doubling (0.0425 at 128 bits with the default
    /// 0.05, 0.036 at 256); where the code is wide for its input
    /// ([`SigahConfig::wide_for`]) at most 0.7 × `list_temp` (0.035). A
    /// fraction of a wider code spreads less between rows (its noise shrinks
    /// like 1/√k), so the same fraction separates neighbours from the rows just
    /// past them less sharply; at 128 bits 0.05 left SiGAH below ITQ on
    /// sentence embeddings. 0.035 gains more where the code is wide for its
    /// input, and costs mnist5k's label relevance its margin at 128 bits, so
    /// 784-d pixels keep 0.0425 there; lower than 0.035 lost on mnist5k at 256
    /// bits (0.0245: −1.7 points) (docs/RESULTS.md, "Codes wide for their
    /// input").
    pub fn list_temperature(&self, input_dim: usize) -> f32 {
        let (bits, t) = (self.architecture.bits, self.neighbours.list_temp);
        if bits <= 64 {
            return t;
        }
        let shrunk = t * WIDE_LIST_TEMP_STEP.powf((bits as f32 / 64.0).log2());
        if self.wide_for(input_dim) {
            shrunk.min(t * WIDE_INPUT_LIST_TEMP_CAP)
        } else {
            shrunk
        }
    }

    /// The reconstruction term's weight at this width for an input of
    /// `input_dim` dimensions: `lambda_rec` up to 64 bits, 3× that past 64, 6×
    /// where the code is wide for its input ([`SigahConfig::wide_for`]). Where
    /// the code holds most of the data's variance, what the code keeps of x,
    /// which is all ITQ optimises, weighs more against the neighbour terms: at
    /// 128 bits 3× gained 1.1 to 2.0 mAP points on three sentence-embedding
    /// sets, and 6× more again on them and on SIFT, but 6× costs mnist5k's
    /// label relevance its margin (docs/RESULTS.md, "Wide codes: the
    /// reconstruction weight").
    pub fn reconstruction_weight(&self, input_dim: usize) -> f32 {
        let w = self.loss.lambda_rec;
        if self.architecture.bits <= 64 {
            w
        } else if self.wide_for(input_dim) {
            w * WIDE_INPUT_REC_FACTOR
        } else {
            w * WIDE_REC_FACTOR
        }
    }

    /// The listwise term's neighbours per anchor when training on `rows` rows:
    /// `list_k`, but at most one in 32 of the rows (at least 1). In a batch of
    /// 256 anchors (1,024 rows with their neighbour rows) an anchor then meets
    /// about as many of its neighbours on a set of a few thousand rows as on a
    /// large one, instead of a target spread over 6 % of the data that groups
    /// rows far coarser than the top-100 ranking it serves. It changes only
    /// training sets under 3,200 rows: on 1,617 64-d digits at 64 bits, 50
    /// neighbours instead of 100 gained 0.8 mAP points over 3 seeds, 200 lost 7
    /// (docs/RESULTS.md, "Small sets: the listwise neighbours").
    pub fn list_neighbours(&self, rows: usize) -> usize {
        self.neighbours.list_k.min((rows / LIST_ROWS_PER_NEIGHBOUR).max(1))
    }

    /// The latent width m.
    pub fn latent_units(&self) -> usize {
        self.architecture.latent.unwrap_or(4 * self.architecture.bits)
    }

    /// Whether the encoder has the linear skip path (only beside hidden layers).
    pub fn has_skip(&self) -> bool {
        self.architecture.skip && !self.architecture.hidden.is_empty()
    }

    /// Whether any neighbour term is on (they need the kNN graph and the
    /// compared codes).
    pub fn neighbour_terms_on(&self) -> bool {
        let n = &self.neighbours;
        n.lambda_pair > 0.0 || n.lambda_rank > 0.0 || n.lambda_list > 0.0
    }
}

#[cfg(test)]
mod tests;

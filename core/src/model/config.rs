//! The SiGAH hyper-parameters (docs/METHOD.md, "The model"), with the defaults changed by
//! measurement as docs/METHOD.md records. A config can be read
//! from a JSON or TOML file (missing keys keep their defaults, unknown keys are an
//! error so a typo is not silently ignored), then overridden field by field (the
//! CLI flags), then validated before any work starts.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which decoder turns the code into the synthetic feature `x̃`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DecoderKind {
    /// LISTA compressed-sensing recovery of a sparse latent, then the dictionary
    /// (docs/METHOD.md, "The model"): `x̃ = D·z_T + c_D`.
    #[default]
    Lista,
    /// Ablation (issue 6): `x̃ = D·s + c_D`, no compressed-sensing step.
    Linear,
}

/// SiGAH hyper-parameters (docs/METHOD.md, "The model"). `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigahConfig {
    /// Code length k (a multiple of 8).
    pub bits: usize,
    /// Project the centred input onto its top `input_pca` principal directions
    /// before the networks (docs/METHOD.md); 0, or at least the input dimension,
    /// keeps all `d` dimensions.
    pub input_pca: usize,
    /// Widths of the hash encoder's hidden ReLU layers (one entry per layer).
    pub hidden: Vec<usize>,
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
    /// Whether the generator is trained against the discriminator. `false` is the
    /// ablation of issue 6: no D steps and no energy term in L_G.
    pub adversarial: bool,
    /// Weight of the reconstruction term in L_G.
    pub lambda_rec: f32,
    /// Weight of the bit-balance term in L_G.
    pub lambda_bal: f32,
    /// A fixed margin μ; `None` means `margin_factor ×` the mean real energy over
    /// the first epoch, fixed from then on.
    pub margin: Option<f32>,
    /// See `margin`.
    pub margin_factor: f32,
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
    /// Mini-batch size.
    pub batch_size: usize,
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
    /// Seed of the one RNG that initialises the weights and shuffles the batches.
    pub seed: u64,
    /// A linear skip path from the (preprocessed) input to the code values:
    /// `u = W_lin·x + W_L·ReLU(…) + c_L` (docs/METHOD.md). Ignored without hidden
    /// layers (the encoder is then linear already).
    pub skip: bool,
    /// Start the linear path (the skip path, or the only layer of a linear
    /// encoder) at the ITQ projection of the training set (PCA, then the learned
    /// rotation), so training starts from ITQ's codes.
    pub itq_init: bool,
    /// With the skip path, the ReLU branch's output layer starts at this fraction
    /// of its Xavier initialisation (small: the branch refines the linear path).
    pub branch_init: f32,
    /// The skip path's effective learning rate is `skip_lr_scale × lr_g`: its
    /// weight is stored divided by this factor and multiplied back in the forward
    /// pass (Adam's step is scale-free, so this rescales the step on `W_lin`
    /// alone). The ITQ start moves slowly instead of being erased in the first
    /// epoch while the decoder is still random.
    pub skip_lr_scale: f32,
    /// Weight of the neighbour-pair term `mean_i (s_i·s_nb(i)/k − pair_target)²`
    /// over the `knn_pairs` pairs of each batch (0: off).
    pub lambda_pair: f32,
    /// The pair term only pulls pairs less similar than `pair_target`
    /// (`max(0, τ − s_i·s_nb/k)²`) instead of pulling every pair to it: nearer
    /// pairs keep their order instead of being pushed apart to τ.
    pub pair_one_sided: bool,
    /// The pair term's τ: the code similarity `s_i·s_nb(i)/k` it pulls each
    /// neighbour pair to (or, one-sided, at least to). Named `sim_knn_target`
    /// in model files of format version 1.
    #[serde(alias = "sim_knn_target")]
    pub pair_target: f32,
    /// With `lambda_pair > 0`: each batch of B training vectors is extended by one
    /// of the `knn_pairs` nearest neighbours (in the whole training set) of each,
    /// and the pair term pulls those B pairs to `pair_target`. 0 turns it off. The
    /// neighbour graph is built before training (`train/knn/`: exact up to a
    /// cost cap, approximate past it).
    pub knn_pairs: usize,
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
    /// See `lambda_list`: the rows that count as the anchor's neighbours.
    pub list_k: usize,
    /// See `lambda_list`: the softmax temperature, as a fraction of the bits, for
    /// codes of up to 64 bits (a Hamming distance of `T·k` bits more scales a
    /// row's weight by 1/e); each doubling of the width past 64 bits multiplies it
    /// by 0.85 ([`SigahConfig::list_temperature`]).
    pub list_temp: f32,
    /// With `relax_beta > 0` the pair and ranking terms compare `tanh(relax_beta·u)`
    /// instead of the sign codes (0: the signs, with the hard-tanh STE).
    pub relax_beta: f32,
}

/// Knobs that were measured and left off (docs/METHOD.md, "Measurements behind
/// each change" and "Second round"), then removed with the code they guarded:
/// each with its "off" value, which files written before the removal carry.
/// `lambda_sim`, `sim_knn`: the batch similarity-preservation term; `prox_decay`:
/// a proximal pull of the encoder to its ITQ start; `branch_lr_scale`: a slower
/// ReLU branch; `encoder_warmup`: epochs that train only the decoder and the
/// discriminator.
pub const REMOVED: [(&str, f64); 5] =
    [("lambda_sim", 0.0), ("sim_knn", 0.0), ("prox_decay", 0.0), ("branch_lr_scale", 1.0), ("encoder_warmup", 0.0)];

impl Default for SigahConfig {
    fn default() -> Self {
        Self {
            bits: 64,
            input_pca: 256,
            hidden: vec![512],
            latent: None,
            lista_steps: 3,
            lista_lambda: 0.1,
            decoder: DecoderKind::Lista,
            disc_hidden: 256,
            adversarial: true,
            lambda_rec: 1.0,
            lambda_bal: 0.1,
            margin: None,
            margin_factor: 2.0,
            lr_g: 1e-3,
            lr_d: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
            batch_size: 256,
            epochs: 30,
            train_size: 100_000,
            max_steps: 4000,
            d_steps: 1,
            g_steps: 1,
            seed: 42,
            skip: true,
            itq_init: true,
            branch_init: 0.0,
            skip_lr_scale: 0.1,
            pair_target: 0.8,
            knn_pairs: 10,
            lambda_pair: 1.0,
            pair_one_sided: true,
            lambda_rank: 6.0,
            rank_pos: 50,
            rank_neg: 0,
            rank_margin: 0.1,
            relax_beta: 2.0,
            lambda_list: 3.0,
            list_k: 100,
            list_temp: 0.05,
        }
    }
}

/// The listwise temperature's factor per doubling of the width past 64 bits.
const WIDE_LIST_TEMP_STEP: f32 = 0.85;

impl SigahConfig {
    /// Reads a config file: `.toml` as TOML, anything else as JSON. Keys that are
    /// absent keep their defaults. The result is not yet validated.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &text)
    }

    /// Parses config text already in memory (the fuzz target's entry point): TOML
    /// if `path` ends in `.toml`, else JSON; `path` only names the source in errors.
    /// Files written before the [`REMOVED`] knobs were removed still parse when
    /// those keys hold their "off" values.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        Self::parse_current(path, text, is_toml).or_else(|error| {
            // Only when the text names a removed knob is it read again, as a value
            // without them (an error then has no position in the text).
            let value = if is_toml {
                toml::from_str::<toml::Table>(text).ok().and_then(|t| serde_json::to_value(t).ok())
            } else {
                serde_json::from_str::<serde_json::Value>(text).ok()
            };
            match value {
                Some(v) if v.as_object().is_some_and(|o| REMOVED.iter().any(|(k, _)| o.contains_key(*k))) => {
                    Self::from_value(v).map_err(|reason| Error::format(path, 0, format!("invalid config: {reason}")))
                }
                _ => Err(error),
            }
        })
    }

    /// The config a model file or checkpoint stores (its `config` metadata).
    pub fn from_metadata(path: &Path, json: &str) -> Result<Self> {
        serde_json::from_str::<serde_json::Value>(json)
            .map_err(|e| e.to_string())
            .and_then(Self::from_value)
            .map_err(|reason| Error::format(path, 8, format!("metadata key \"config\" is invalid: {reason}")))
    }

    /// A config from its JSON value, the [`REMOVED`] keys checked and dropped.
    fn from_value(mut value: serde_json::Value) -> std::result::Result<Self, String> {
        if let Some(object) = value.as_object_mut() {
            for (key, off) in REMOVED {
                if let Some(v) = object.remove(key) {
                    if v.as_f64() != Some(off) {
                        return Err(format!(
                            "{key} = {v}: this knob was measured, left off and removed (docs/METHOD.md, \"Measurements behind each change\"); only {off} is accepted"
                        ));
                    }
                }
            }
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    fn parse_current(path: &Path, text: &str, is_toml: bool) -> Result<Self> {
        if is_toml {
            toml::from_str(text).map_err(|e| {
                let offset = e.span().map_or(0, |s| s.start as u64);
                Error::format(path, offset, format!("invalid config: {}", e.message()))
            })
        } else {
            serde_json::from_str(text).map_err(|e| {
                let offset = line_col_to_offset(text, e.line(), e.column());
                Error::format(path, offset, format!("invalid config: {e}"))
            })
        }
    }

    /// The config as one line of JSON (what the model file stores).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a config always serialises")
    }

    /// The listwise term's temperature at this width, as a fraction of the bits:
    /// `list_temp` up to 64 bits, then 0.85× per doubling (0.0425 at 128 bits
    /// with the default 0.05). A fraction of a wider code spreads less between rows
    /// (its noise shrinks like 1/√k), so the same fraction separates neighbours
    /// from the rows just past them less sharply; at 128 bits 0.05 left SiGAH
    /// below ITQ on sentence embeddings (docs/RESULTS.md, "Wide codes").
    pub fn list_temperature(&self) -> f32 {
        if self.bits <= 64 {
            self.list_temp
        } else {
            self.list_temp * WIDE_LIST_TEMP_STEP.powf((self.bits as f32 / 64.0).log2())
        }
    }

    /// The latent width m.
    pub fn latent_units(&self) -> usize {
        self.latent.unwrap_or(4 * self.bits)
    }

    /// Whether the encoder has the linear skip path (only beside hidden layers).
    pub fn has_skip(&self) -> bool {
        self.skip && !self.hidden.is_empty()
    }

    /// Checks every value; the error names the field and the allowed range.
    pub fn validate(&self) -> Result<()> {
        crate::codes::check_bits(self.bits)?;
        let bad = |msg: String| Err(Error::Config(msg));
        if self.hidden.contains(&0) {
            return bad(format!("hidden: every layer width must be at least 1, got {:?}", self.hidden));
        }
        if self.latent == Some(0) {
            return bad("latent: must be at least 1".into());
        }
        if self.decoder == DecoderKind::Lista && self.lista_steps == 0 {
            return bad("lista_steps: must be at least 1 with the lista decoder".into());
        }
        if self.itq_init && !self.hidden.is_empty() && !self.skip {
            return bad("itq_init: needs a linear path to initialise (skip = true, or hidden = [])".into());
        }
        if self.disc_hidden == 0 {
            return bad("disc_hidden: must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size: must be at least 1".into());
        }
        if self.d_steps == 0 || self.g_steps == 0 {
            return bad(format!("d_steps and g_steps must be at least 1, got {} and {}", self.d_steps, self.g_steps));
        }
        if self.lambda_rank > 0.0 && self.rank_pos == 0 {
            return bad("rank_pos: must be at least 1 with lambda_rank > 0".into());
        }
        if self.rank_neg != 0 && self.rank_neg <= self.rank_pos {
            return bad(format!(
                "rank_neg: must be 0 (random negatives) or more than rank_pos = {}, got {}",
                self.rank_pos, self.rank_neg
            ));
        }
        if self.lambda_list > 0.0 && self.list_k == 0 {
            return bad("list_k: must be at least 1 with lambda_list > 0".into());
        }
        let nonneg = [
            ("lista_lambda", self.lista_lambda),
            ("lambda_rec", self.lambda_rec),
            ("lambda_bal", self.lambda_bal),
            ("margin_factor", self.margin_factor),
            ("margin", self.margin.unwrap_or(0.0)),
            ("branch_init", self.branch_init),
            ("lambda_pair", self.lambda_pair),
            ("lambda_rank", self.lambda_rank),
            ("rank_margin", self.rank_margin),
            ("relax_beta", self.relax_beta),
            ("lambda_list", self.lambda_list),
        ];
        for (name, v) in nonneg {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{name}: must be a finite number >= 0, got {v}"));
            }
        }
        for (name, v) in [
            ("skip_lr_scale", self.skip_lr_scale),
            ("lr_g", self.lr_g),
            ("lr_d", self.lr_d),
            ("eps", self.eps),
            ("list_temp", self.list_temp),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return bad(format!("{name}: must be a finite number > 0, got {v}"));
            }
        }
        for (name, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(format!("{name}: must be in [0, 1), got {v}"));
            }
        }
        Ok(())
    }
}

/// The byte offset of a 1-based (line, column) position, for error messages.
fn line_col_to_offset(text: &str, line: usize, column: usize) -> u64 {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listwise_temperature_shrinks_past_64_bits() {
        let at = |bits| SigahConfig { bits, ..Default::default() }.list_temperature();
        for bits in [8, 16, 32, 48, 64] {
            assert_eq!(at(bits), 0.05, "{bits} bits");
        }
        assert!((at(128) - 0.0425).abs() < 1e-7, "{}", at(128));
        assert!((at(256) - 0.036125).abs() < 1e-7, "{}", at(256));
        assert!(at(96) < 0.05 && at(96) > at(128));
        let custom = SigahConfig { bits: 128, list_temp: 0.1, ..Default::default() };
        assert!((custom.list_temperature() - 0.085).abs() < 1e-7);
    }

    #[test]
    fn defaults_are_the_documented_values() {
        // docs/METHOD.md's defaults, with its measured changes (epochs, the
        // ITQ-initialised skip path, the one-sided neighbour-pair term, the
        // ranking term on tanh-relaxed codes, the input projection and the
        // listwise neighbourhood term).
        let c = SigahConfig::default();
        assert_eq!(
            (c.bits, c.hidden.clone(), c.latent_units(), c.lista_steps, c.disc_hidden, c.epochs),
            (64, vec![512], 256, 3, 256, 30)
        );
        assert_eq!(
            (c.lambda_rec, c.lambda_bal, c.lr_g, c.lr_d, c.beta1, c.beta2, c.eps),
            (1.0, 0.1, 1e-3, 2e-4, 0.5, 0.999, 1e-8)
        );
        assert!(c.skip && c.itq_init && c.has_skip());
        assert_eq!((c.branch_init, c.skip_lr_scale), (0.0, 0.1));
        assert_eq!((c.lambda_pair, c.knn_pairs, c.pair_target, c.pair_one_sided), (1.0, 10, 0.8, true));
        assert_eq!((c.lambda_rank, c.rank_pos, c.rank_neg, c.rank_margin, c.relax_beta), (6.0, 50, 0, 0.1, 2.0));
        assert_eq!((c.input_pca, c.lambda_list, c.list_k, c.list_temp), (256, 3.0, 100, 0.05));
        assert_eq!((c.batch_size, c.d_steps, c.g_steps, c.margin, c.margin_factor), (256, 1, 1, None, 2.0));
        assert!(c.adversarial && c.decoder == DecoderKind::Lista);
        c.validate().unwrap();
    }

    #[test]
    fn json_and_toml_files_override_only_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("c.json");
        std::fs::write(&j, r#"{"bits": 32, "hidden": [256, 128], "decoder": "linear", "margin": 0.5}"#).unwrap();
        let c = SigahConfig::from_file(&j).unwrap();
        assert_eq!(
            (c.bits, c.hidden.clone(), c.decoder, c.margin),
            (32, vec![256, 128], DecoderKind::Linear, Some(0.5))
        );
        assert_eq!(c.lr_g, 1e-3, "unnamed keys keep their defaults");
        let t = dir.path().join("c.toml");
        std::fs::write(&t, "bits = 128\nadversarial = false\nlr_d = 0.001\n").unwrap();
        let c = SigahConfig::from_file(&t).unwrap();
        assert_eq!((c.bits, c.adversarial, c.lr_d, c.batch_size), (128, false, 0.001, 256));
        // Round trip through the JSON the model file stores.
        let back: SigahConfig = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("c.json");
        std::fs::write(&j, "{\"bits\": 64,\n \"bitz\": 3}").unwrap();
        let e = SigahConfig::from_file(&j).unwrap_err().to_string();
        assert!(e.contains("c.json") && e.contains("bitz"), "{e}");
        let t = dir.path().join("c.toml");
        std::fs::write(&t, "bits = \"many\"\n").unwrap();
        let e = SigahConfig::from_file(&t).unwrap_err().to_string();
        assert!(e.contains("c.toml") && e.contains("at byte 7"), "{e}");
        let e = SigahConfig::from_file(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(e.contains("missing.json"), "{e}");
    }

    #[test]
    fn validation_names_the_field() {
        type Edit = Box<dyn Fn(&mut SigahConfig)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|c| c.bits = 12), "bits"),
            (Box::new(|c| c.hidden = vec![0]), "hidden"),
            (Box::new(|c| c.batch_size = 0), "batch_size"),
            (Box::new(|c| c.lr_g = -1.0), "lr_g"),
            (Box::new(|c| c.beta2 = 1.0), "beta2"),
            (Box::new(|c| c.lambda_bal = f32::NAN), "lambda_bal"),
            (Box::new(|c| c.d_steps = 0), "d_steps"),
            (Box::new(|c| c.lista_steps = 0), "lista_steps"),
            (Box::new(|c| c.rank_neg = c.rank_pos), "rank_neg"),
            (Box::new(|c| c.rank_margin = -0.1), "rank_margin"),
            (Box::new(|c| c.relax_beta = f32::INFINITY), "relax_beta"),
            (Box::new(|c| (c.lambda_rank, c.rank_pos) = (1.0, 0)), "rank_pos"),
            (Box::new(|c| c.list_k = 0), "list_k"),
            (Box::new(|c| c.list_temp = 0.0), "list_temp"),
            (Box::new(|c| c.lambda_list = -1.0), "lambda_list"),
        ];
        for (edit, field) in cases {
            let mut c = SigahConfig::default();
            edit(&mut c);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
        let c = SigahConfig { hidden: vec![], decoder: DecoderKind::Linear, lista_steps: 0, ..Default::default() };
        c.validate().expect("no hidden layer (a linear hash) and a linear decoder are valid");
    }

    #[test]
    fn flat_files_of_earlier_builds_still_read() {
        let dir = tempfile::tempdir().unwrap();
        // A config as main wrote it before the removal: every removed knob off,
        // the pair term's τ under its old name.
        let j = dir.path().join("old.json");
        std::fs::write(
            &j,
            r#"{"bits": 32, "sim_knn": 0, "sim_knn_target": 0.7, "encoder_warmup": 0,
            "branch_lr_scale": 1.0, "prox_decay": 0.0, "lambda_sim": 0.0}"#,
        )
        .unwrap();
        let c = SigahConfig::from_file(&j).unwrap();
        assert_eq!(c, SigahConfig { bits: 32, pair_target: 0.7, ..Default::default() });
        let t = dir.path().join("old.toml");
        std::fs::write(&t, "sim_knn_target = 0.6\nlambda_sim = 0.0\nlr_g = 0.002\n").unwrap();
        let c = SigahConfig::from_file(&t).unwrap();
        assert_eq!(c, SigahConfig { pair_target: 0.6, lr_g: 0.002, ..Default::default() });
        // A removed knob turned on is refused by name.
        std::fs::write(&j, r#"{"prox_decay": 0.01}"#).unwrap();
        let e = SigahConfig::from_file(&j).unwrap_err().to_string();
        assert!(e.contains("prox_decay") && e.contains("removed"), "{e}");
        // Errors other than a removed knob keep their position.
        std::fs::write(&j, "{\"lambda_sim\": 0.0,\n \"bitz\": 3}").unwrap();
        let e = SigahConfig::from_file(&j).unwrap_err().to_string();
        assert!(e.contains("bitz"), "{e}");
    }
}

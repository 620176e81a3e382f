//! Training checkpoints: the model file's tensors and metadata plus both Adam
//! states (`adam_g.m.<name>`, `adam_g.v.<name>`, `adam_d.…`), the step counts,
//! the RNG state and a fingerprint of the training data, in one `.safetensors`
//! file with `format = sigah-checkpoint`. Resuming restores all of it, so a
//! resumed run produces the same bytes as an uninterrupted one.

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::stfile::{self, stored_shape};
use crate::adam::Adam;
use crate::model::{SigahConfig, SigahModel, TrainState};
use crate::{Error, Result, Tensor};

/// What identifies the training data: its shape and an FNV-1a hash of its bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPrint {
    pub rows: usize,
    pub cols: usize,
    pub fnv1a: String,
}

impl DataPrint {
    pub fn of(data: &Tensor) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for v in &data.data {
            for byte in v.to_bits().to_le_bytes() {
                h = (h ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        Self { rows: data.rows, cols: data.cols, fnv1a: format!("{h:016x}") }
    }
}

/// The ChaCha8 state: seed, stream and position in the stream.
#[derive(Serialize, Deserialize)]
struct RngState {
    seed: String,
    stream: u64,
    /// u128 as a decimal string (JSON numbers are not that wide).
    word_pos: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Writes the checkpoint atomically: a crash leaves the previous one intact.
pub(crate) fn save(path: &Path, st: &TrainState, data: &DataPrint) -> Result<()> {
    let (mut meta, mut tensors) = st.model.file_contents();
    meta.insert("format".into(), "sigah-checkpoint".into());
    for (tag, adam, net) in [("adam_g", &st.adam_g, &st.model.gen), ("adam_d", &st.adam_d, &st.model.disc)] {
        meta.insert(format!("{tag}_t"), adam.t.to_string());
        for (name, (m, v)) in net.names.iter().zip(adam.m.iter().zip(&adam.v)) {
            tensors.push((format!("{tag}.m.{name}"), stored_shape(m.rows, m.cols), &m.data[..]));
            tensors.push((format!("{tag}.v.{name}"), stored_shape(v.rows, v.cols), &v.data[..]));
        }
    }
    let rng = RngState {
        seed: hex(&st.rng.get_seed()),
        stream: st.rng.get_stream(),
        word_pos: st.rng.get_word_pos().to_string(),
    };
    meta.insert("rng".into(), serde_json::to_string(&rng).expect("serialises"));
    meta.insert("data".into(), serde_json::to_string(data).expect("serialises"));
    stfile::write(path, &tensors, &meta)
}

/// Reads a checkpoint and checks it was made on the same data.
pub(crate) fn load(path: &Path, data: &DataPrint) -> Result<TrainState> {
    let mut file = stfile::read(path)?;
    let model = SigahModel::from_file(path, &mut file, "sigah-checkpoint")?;
    let theirs: DataPrint = file.meta_json(path, "data")?;
    if &theirs != data {
        return Err(Error::Config(format!(
            "{}: the checkpoint was trained on other data ({} x {}, hash {}; this data is {} x {}, hash {})",
            path.display(),
            theirs.rows,
            theirs.cols,
            theirs.fnv1a,
            data.rows,
            data.cols,
            data.fnv1a
        )));
    }
    let cfg = &model.config;
    let mut adams = Vec::new();
    for (tag, net, lr) in [("adam_g", &model.gen, cfg.optimiser.lr_g), ("adam_d", &model.disc, cfg.optimiser.lr_d)] {
        let mut adam = Adam::new(lr, cfg.optimiser.beta1, cfg.optimiser.beta2, cfg.optimiser.eps, &net.tensors);
        adam.t = file.meta_json(path, &format!("{tag}_t"))?;
        for (i, (name, t)) in net.names.iter().zip(&net.tensors).enumerate() {
            adam.m[i] = file.take(path, &format!("{tag}.m.{name}"), t.rows, t.cols)?;
            adam.v[i] = file.take(path, &format!("{tag}.v.{name}"), t.rows, t.cols)?;
        }
        adams.push(adam);
    }
    file.check_all_taken(path)?;
    let rs: RngState = file.meta_json(path, "rng")?;
    let bad_rng = || Error::format(path, 8, "metadata key \"rng\" is invalid");
    let mut rng = ChaCha8Rng::from_seed(unhex(&rs.seed).ok_or_else(bad_rng)?);
    rng.set_stream(rs.stream);
    rng.set_word_pos(rs.word_pos.parse().map_err(|_| bad_rng())?);
    let adam_d = adams.pop().expect("two");
    let adam_g = adams.pop().expect("two");
    Ok(TrainState { model, adam_g, adam_d, rng })
}

/// The config a checkpoint was trained with (the CLI's starting point on `--resume`).
pub fn checkpoint_config(path: &Path) -> Result<SigahConfig> {
    let file = stfile::read(path)?;
    let format = file.meta(path, "format")?;
    if format != "sigah-checkpoint" {
        return Err(Error::format(path, 8, format!("format is {format:?}, expected \"sigah-checkpoint\"")));
    }
    SigahConfig::from_metadata(path, file.meta(path, "config")?)
}

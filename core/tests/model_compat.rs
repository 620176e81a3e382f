//! Model files written by earlier builds still load and encode as they did
//! (`tests/data/compat/README.md` says how each was made).

use std::path::PathBuf;

use sigah_core::io::vectors::load_vectors;
use sigah_core::model::SigahModel;
use sigah_core::Codes;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/compat").join(name)
}

fn loads_and_encodes_as_written(commit: &str) {
    let model = SigahModel::load(&fixture(&format!("model_{commit}.safetensors")))
        .unwrap_or_else(|e| panic!("the model file of {commit} no longer loads: {e}"));
    assert_eq!((model.bits(), model.dim()), (16, 12));
    let data = load_vectors(&fixture("vectors.fvecs")).unwrap();
    let codes = model.encode(&data).unwrap();
    let then = Codes::read_npy(&fixture(&format!("codes_{commit}.npy"))).unwrap();
    assert_eq!(codes, then, "{commit}'s model encodes differently");
}

#[test]
fn a_model_file_of_main_at_9bdcee9_loads_and_encodes_the_same_codes() {
    loads_and_encodes_as_written("9bdcee9");
}

#[test]
fn a_model_file_of_main_at_92646cf_loads_and_encodes_the_same_codes() {
    loads_and_encodes_as_written("92646cf");
}

#[test]
fn a_model_file_of_main_at_43fa67b_format_2_loads_and_encodes_the_same_codes() {
    loads_and_encodes_as_written("43fa67b");
}

#[test]
fn a_flat_config_of_format_2_reads_into_its_sections() {
    let model = SigahModel::load(&fixture("model_43fa67b.safetensors")).unwrap();
    let c = &model.config;
    assert_eq!((c.architecture.bits, c.architecture.hidden.clone(), c.architecture.latent), (16, vec![8], Some(16)));
    assert_eq!((c.neighbours.knn_pairs, c.neighbours.rank_pos, c.neighbours.list_k), (3, 5, 5));
    assert_eq!((c.training.seed, c.optimiser.batch_size, c.architecture.disc_hidden), (5, 32, 8));
}

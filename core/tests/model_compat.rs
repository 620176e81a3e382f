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

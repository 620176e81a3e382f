//! The model-file loader (`.safetensors` + metadata) on arbitrary bytes: no
//! panic; the peak allocation stays proportional to the input (a header that
//! claims a huge tensor must fail before it allocates); whatever is accepted
//! saves and loads back equal, and saving is deterministic
//! (`to_bytes(load(to_bytes(m))) == to_bytes(m)`).
#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::model::SigahModel;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.safetensors");
    if let Ok(model) = common::within_budget(data, 16, || SigahModel::from_bytes(p, data)) {
        let bytes = model.to_bytes().expect("an accepted model serialises");
        let back = SigahModel::from_bytes(p, &bytes).expect("a saved model loads");
        assert_eq!(back, model);
        assert_eq!(back.to_bytes().expect("serialises"), bytes, "saving is deterministic");
    }
});

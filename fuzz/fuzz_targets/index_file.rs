//! The Hamming index file loaders on arbitrary bytes: never panic, allocate no
//! more than a bound proportional to the input, and whatever they accept saves
//! and loads back equal (`load(save(x)) == x`). The memory-mapped `open` (unsafe
//! code: run under ASan) must accept what the in-memory loader accepts, with the
//! same codes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use sigah_core::index::HammingIndex;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.sigahidx");
    let parsed = common::within_budget(data, 16, || HammingIndex::from_file_bytes(path, data));
    let dir = std::env::temp_dir().join(format!("sigah-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    if let Ok(index) = parsed {
        let raw = dir.join("raw.sigahidx");
        std::fs::write(&raw, data).expect("temp file");
        // `open` checks the header and size only; verify adds the checksum.
        let mapped = HammingIndex::open(&raw).expect("open accepts what from_file_bytes accepts");
        assert_eq!(mapped, index, "mapped and in-memory loads differ");
        HammingIndex::verify(&raw).expect("verify accepts what from_file_bytes accepts");
        let file = dir.join("i.sigahidx");
        index.save(&file).expect("save");
        assert_eq!(HammingIndex::load(&file).expect("load"), index);
    }
});

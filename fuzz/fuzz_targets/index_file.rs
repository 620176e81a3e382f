//! The Hamming index file loader on arbitrary bytes: never panics, and whatever it
//! accepts saves and loads back equal (`load(save(x)) == x`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigah_core::index::HammingIndex;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.sigahidx");
    if let Ok(index) = HammingIndex::from_file_bytes(path, data) {
        let dir = std::env::temp_dir().join(format!("sigah-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("i.sigahidx");
        index.save(&file).expect("save");
        assert_eq!(HammingIndex::load(&file).expect("load"), index);
    }
});

//! The codes `.npy` loader on arbitrary bytes: never panics, and whatever it
//! accepts survives a write and a re-read unchanged (`load(save(x)) == x`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigah_core::io::npy;
use sigah_core::Codes;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.npy");
    if let Ok(codes) = Codes::parse_npy(path, data) {
        let mut bytes = npy::header_bytes(npy::DType::U8, &[codes.len(), codes.bits() / 8]);
        codes.write_rows(&mut bytes).expect("writing to a Vec");
        assert_eq!(Codes::parse_npy(path, &bytes).expect("re-read"), codes);
    }
});

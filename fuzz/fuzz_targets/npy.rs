//! The `.npy` header parser on arbitrary bytes: never panics, and whatever it
//! accepts announces no more data than the input holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigah_core::io::npy;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = npy::parse_header(std::path::Path::new("fuzz.npy"), data) {
        let need = header.len() * header.dtype.size();
        assert!(header.data_offset + need <= data.len());
    }
});

//! The codes `.npy` loaders on arbitrary bytes: never panic, allocate no more
//! than a bound proportional to the input, and whatever they accept survives a
//! write and a re-read unchanged (`load(save(x)) == x`). The memory-mapped loader
//! (`open_npy`, unsafe code: run under ASan) must agree with the in-memory one.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::npy;
use sigah_core::Codes;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.npy");
    // Codes are copied as they are (rows of bits/8 bytes in a word buffer): about
    // one byte per input byte, well inside the budget, plus its fixed part.
    let parsed = common::within_budget(data, 16, || Codes::parse_npy(path, data));
    let file = std::env::temp_dir().join(format!("sigah-fuzz-codes-{}.npy", std::process::id()));
    std::fs::write(&file, data).expect("temp file");
    let mapped = Codes::open_npy(&file);
    match (&parsed, &mapped) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "mapped and in-memory loads differ"),
        (Err(_), Err(_)) => {}
        _ => panic!("the loaders disagree: parse {:?}, open {:?}", parsed.is_ok(), mapped.is_ok()),
    }
    if let Ok(codes) = parsed {
        let mut bytes = npy::header_bytes(npy::DType::U8, &[codes.len(), codes.bits() / 8]);
        codes.write_rows(&mut bytes).expect("writing to a Vec");
        assert_eq!(Codes::parse_npy(path, &bytes).expect("re-read"), codes);
    }
});

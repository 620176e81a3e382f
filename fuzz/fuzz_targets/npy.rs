//! The `.npy` header parser on arbitrary bytes: never panics, allocates no more
//! than a bound proportional to the input, and whatever it accepts announces no
//! more data than the input holds; a header it accepts is rewritten by
//! `header_bytes` into one it parses the same way.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::npy;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let p = std::path::Path::new("fuzz.npy");
    if let Ok(header) = common::within_budget(data, 16, || npy::parse_header(p, data)) {
        let need = header.len() * header.dtype.size();
        assert!(header.data_offset + need <= data.len());
        let mut again = npy::header_bytes(header.dtype, &header.shape);
        let body = &data[header.data_offset..header.data_offset + need];
        again.extend_from_slice(body);
        let back = npy::parse_header(p, &again).expect("a written header parses");
        assert_eq!((back.dtype, &back.shape), (header.dtype, &header.shape));
    }
});

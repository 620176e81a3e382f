//! gzip-compressed inputs (`.gz`, known by their magic bytes) on arbitrary
//! bytes. The first byte picks the name (`.fvecs`, `.bvecs`, `.npy`, `.csv`)
//! and how the rest is used: as a gzip stream itself (garbage, truncated or
//! bomb-like deflate data: no panic, and memory bounded by what actually
//! decompresses), or compressed here and read back, which must equal the
//! file loader's result on the uncompressed bytes.
#![no_main]

mod common;

use std::io::Write;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::sniff::{self, Kind};
use sigah_core::io::vectors::{self, CsvOptions};
use sigah_core::Tensor;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fn same(a: &Tensor, b: &Tensor) {
    assert_eq!((a.rows, a.cols), (b.rows, b.cols));
    let bits = |t: &Tensor| t.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a), bits(b));
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let name = ["x.fvecs.gz", "x.bvecs.gz", "x.npy.gz", "x.csv.gz"][(which % 4) as usize];
    let p = Path::new(name);
    if which & 4 == 0 {
        // The bytes as a gzip stream: deflate expands at most 1032 to 1, and
        // u8 -> f32 is 4 more (plus Vec doubling): run.sh gives this target
        // -max_len=16384 so that the bound stays under -malloc_limit_mb.
        let raw = [&[0x1f, 0x8b][..], body].concat();
        let _ = common::within_budget(&raw, 1032 * 16, || {
            vectors::read_vectors(p, p, Box::new(std::io::Cursor::new(raw.clone())))
        });
        return;
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("compress in memory");
    let gz = e.finish().expect("compress in memory");
    let stream = common::within_budget(body, 16, || vectors::read_vectors(p, p, Box::new(std::io::Cursor::new(gz))));
    // What the uncompressed bytes give as a file (the stream reader sniffs, so
    // bytes that start like another kind of file are not comparable).
    let plain = Path::new(&name[..name.len() - 3]);
    let kind = sniff::of_bytes(&body[..body.len().min(sniff::SNIFF_LEN)]);
    let file = match (which % 4, kind) {
        (0, Kind::Other) => vectors::parse_fvecs(plain, body),
        (1, Kind::Other) => vectors::parse_bvecs(plain, body),
        (2, _) => vectors::parse_npy_vectors(plain, body),
        (3, Kind::Other) => vectors::parse_csv(plain, body, &CsvOptions::default()).map(|(t, _)| t),
        _ => return,
    };
    match (&stream, &file) {
        (Ok(a), Ok(b)) => same(a, b),
        (Err(_), Err(_)) => {}
        _ => panic!("gzip stream and file disagree: stream {:?}, file {:?}", stream.is_ok(), file.is_ok()),
    }
});

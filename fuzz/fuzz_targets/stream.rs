//! Stream framing (standard input, named pipes): the one-pass readers of
//! `.fvecs`, `.bvecs` and `.npy` on arbitrary bytes handed out in pieces of a
//! fuzzer-chosen size, as a pipe does. The first byte picks the format and the
//! piece size. Properties: no panic; memory within 16 bytes per input byte
//! (nothing is sized from a claim); and the stream agrees with the file loader
//! on the same bytes: both accept with bit-identical tensors, or both refuse.
#![no_main]

mod common;

use std::io::Read;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::io::sniff::{self, Kind};
use sigah_core::io::vectors;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

/// Hands out at most `piece` bytes per read.
struct Pieces {
    data: Vec<u8>,
    at: usize,
    piece: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.piece).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let piece = 1 + (which as usize >> 2) * 13;
    let (name, want) = match which % 3 {
        0 => ("x.fvecs", Kind::Other),
        1 => ("x.bvecs", Kind::Other),
        _ => ("-", Kind::Npy),
    };
    let p = Path::new(name);
    let reader = Pieces { data: file.to_vec(), at: 0, piece };
    let stream = common::within_budget(file, 16, || vectors::read_vectors(p, p, Box::new(reader)));
    // The stream reader goes by the bytes first (gzip, .npy, HDF5, ...): only
    // inputs of the kind the name says are comparable with the file loader.
    if sniff::of_bytes(&file[..file.len().min(sniff::SNIFF_LEN)]) != want {
        return;
    }
    let plain = match which % 3 {
        0 => vectors::parse_fvecs(p, file),
        1 => vectors::parse_bvecs(p, file),
        _ => vectors::parse_npy_vectors(p, file),
    };
    match (&stream, &plain) {
        (Ok(a), Ok(b)) => {
            assert_eq!((a.rows, a.cols), (b.rows, b.cols));
            let bits = |t: &sigah_core::Tensor| t.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b), "stream and file loads differ");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("stream and file disagree: stream {:?}, file {:?}", stream.is_ok(), plain.is_ok()),
    }
});

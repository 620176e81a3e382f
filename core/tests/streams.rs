//! Inputs that are not plain files (docs/ROBUSTNESS.md §1): streams (standard input, named
//! pipes) read in one pass, gzip decompressed, HDF5 in the ann-benchmarks
//! layout. Each stream result must equal what the file loaders make of the same
//! bytes, whatever pieces the bytes arrive in.

use std::io::{Read, Write};
use std::path::Path;

use sigah_core::io::hdf5::Hdf5;
use sigah_core::io::npy::{self, DType};
use sigah_core::io::vectors;
use sigah_core::Tensor;

/// A reader that hands out at most `piece` bytes per read, as a pipe does.
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

fn stream(name: &str, bytes: &[u8], piece: usize) -> sigah_core::Result<Tensor> {
    let reader = Pieces { data: bytes.to_vec(), at: 0, piece };
    vectors::read_vectors(Path::new(name), Path::new(name), Box::new(reader))
}

fn fvecs(rows: usize, d: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for r in 0..rows {
        b.extend((d as i32).to_le_bytes());
        (0..d).for_each(|j| b.extend(((r * d + j) as f32 * 0.5 - 3.0).to_le_bytes()));
    }
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn npy_f64(rows: usize, d: usize) -> Vec<u8> {
    let mut b = npy::header_bytes(DType::F64, &[rows, d]);
    (0..rows * d).for_each(|i| b.extend((i as f64 * 0.25 - 1.0).to_le_bytes()));
    b
}

#[test]
fn streams_in_any_pieces_equal_the_file_loaders() {
    let fv = fvecs(700, 9);
    let bv: Vec<u8> = (0..300u32).flat_map(|r| [&5i32.to_le_bytes()[..], &[r as u8, 1, 2, 3, 255]].concat()).collect();
    // 40,000 float64: more than one 1 MiB piece of the npy stream reader.
    let np = npy_f64(20_000, 7);
    let file_fv = vectors::parse_fvecs(Path::new("x.fvecs"), &fv).unwrap();
    let file_bv = vectors::parse_bvecs(Path::new("x.bvecs"), &bv).unwrap();
    let file_np = vectors::parse_npy_vectors(Path::new("x.npy"), &np).unwrap();
    for piece in [1, 3, 7, 4096, usize::MAX] {
        assert_eq!(stream("x.fvecs", &fv, piece).unwrap(), file_fv, "fvecs in pieces of {piece}");
        assert_eq!(stream("x.bvecs", &bv, piece).unwrap(), file_bv, "bvecs in pieces of {piece}");
        if piece >= 7 {
            assert_eq!(stream("x.npy", &np, piece).unwrap(), file_np, "npy in pieces of {piece}");
        }
        // gzip, known by its bytes, read through the same stream readers.
        assert_eq!(stream("x.fvecs.gz", &gzip(&fv), piece).unwrap(), file_fv);
        assert_eq!(stream("x.fvecs", &gzip(&fv), piece).unwrap(), file_fv, "gzip named without .gz");
    }
    // A .npy on standard input needs no name: its magic says what it is.
    assert_eq!(stream("-", &np, 1 << 16).unwrap(), file_np);
    assert_eq!(stream("-", &gzip(&np), 1 << 16).unwrap(), file_np);
    // Two gzip members one after the other (`cat a.gz b.gz`) are one stream, as gunzip reads them.
    let two = [gzip(&fv[..fv.len() / 2]), gzip(&fv[fv.len() / 2..])].concat();
    assert_eq!(stream("x.fvecs.gz", &two, 100).unwrap(), file_fv);
}

#[test]
fn bad_streams_fail_naming_the_input_and_the_problem() {
    let err = |name: &str, bytes: &[u8]| stream(name, bytes, 5).unwrap_err().to_string();
    let fv = fvecs(3, 4);
    let e = err("cut.fvecs", &fv[..fv.len() - 3]);
    assert!(e.contains("cut.fvecs: truncated row 2: 17 bytes, a row of dimension 4 needs 20"), "{e}");
    let e = err("cut.fvecs.gz", &gzip(&fv[..fv.len() - 3]));
    assert!(e.contains("cut.fvecs.gz: truncated row 2"), "{e}");
    let np = npy_f64(4, 3);
    let e = err("-", &np[..np.len() - 1]);
    assert!(e.contains("-: truncated: shape [4, 3] of <f8 needs 96 bytes of data, the stream has 95"), "{e}");
    // Standard input has no extension to tell texmex from CSV.
    let e = err("-", &fv);
    assert!(e.contains("standard input has no name") && e.contains("mkfifo x.fvecs"), "{e}");
    // A gzip stream cut short, or not gzip after its magic.
    let gz = gzip(&fv);
    let e = err("x.fvecs.gz", &gz[..gz.len() / 2]);
    assert!(e.starts_with("x.fvecs.gz: "), "{e}");
    let e = err("x.fvecs.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
    assert!(e.starts_with("x.fvecs.gz: "), "{e}");
    // Every byte of the data there, but the checksum wrong or the trailer cut
    // off: the stream is read to its end, so neither passes for whole.
    let mut bad_crc = gzip(&np);
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    let e = err("crc.npy.gz", &bad_crc);
    assert!(e.contains("crc.npy.gz: corrupt gzip stream does not have a matching checksum"), "{e}");
    let e = err("cut.npy.gz", &gzip(&np)[..n - 8]);
    assert!(e.starts_with("cut.npy.gz: "), "{e}");
    let e = err("x.npy.gz.gz", &gzip(&gzip(&np)));
    assert!(e.contains("gzip-compressed twice"), "{e}");
    // HDF5 needs a seek: on a stream it is refused, saying to use a file.
    let h5 = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/hdf5/ann_f32")).unwrap();
    let e = err("-", &h5);
    assert!(e.contains("HDF5 is read by seeking") && e.contains("save it as a file"), "{e}");
    // The other kinds of file are named as what they are.
    let e = err("-", b"SIGAHIDX\x02\0\0\0\x40\0\0\0");
    assert!(e.contains("this is a sigah index file, not vectors or labels"), "{e}");
    let e = err("empty.fvecs", b"");
    assert!(e.contains("empty.fvecs: empty file: no vectors"), "{e}");
}

#[test]
fn ann_benchmarks_files_written_by_h5py_are_read() {
    // Written by fuzz/make_hdf5_seeds.py with h5py: integer-valued float32,
    // float64 gzip-chunked and uint8 chunked copies of one 12 x 4 train set.
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/hdf5");
    let read = |name: &str| {
        let bytes = std::fs::read(seeds.join(name)).unwrap();
        Hdf5::open(Path::new(name), &bytes).and_then(|h| h.ann()).unwrap()
    };
    let f32 = read("ann_f32");
    assert_eq!((f32.train.rows, f32.train.cols, f32.test.rows), (12, 4, 3));
    assert_eq!(f32.distance.as_deref(), Some("euclidean"));
    assert!(f32.train.data.iter().all(|v| v.fract() == 0.0 && (-8.0..8.0).contains(v)));
    // The listed neighbours are the exact nearest, nearest first, as h5py wrote them.
    let exact = sigah_core::knn::exact_knn(&f32.train, &f32.test, 5).unwrap();
    assert_eq!(f32.neighbors, exact);
    let f64 = read("ann_f64_gzip");
    assert_eq!(f64.train, f32.train, "float64 converted exactly, gzip chunks assembled");
    let u8s = read("ann_u8_chunked");
    let shifted: Vec<f32> = f32.train.data.iter().map(|v| v + 8.0).collect();
    assert_eq!(u8s.train.data, shifted, "uint8 chunks of 5 x 2 (partial edge chunks) assembled in row order");
}

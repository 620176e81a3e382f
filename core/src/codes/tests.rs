use super::*;
use crate::io::npy::{self, DType};

#[test]
fn from_signs_sets_the_documented_bits() {
    let mut v = vec![-1.0f32; 2 * 72];
    v[0] = 1.0; // code 0 bit 0
    v[65] = 0.5; // code 0 bit 65 -> word 1 bit 1
    v[72 + 71] = 2.0; // code 1 bit 71
    v[3] = 0.0; // zero is a 0 bit
    let c = Codes::from_signs(&v, 72).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.bytes_per_code(), 9);
    assert_eq!(c.code_bytes(0), &[1, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(c.code_bytes(1), &[0, 0, 0, 0, 0, 0, 0, 0, 1 << 7]);
    assert_eq!(c.as_words(), None, "72-bit rows are not whole words");
    assert!(c.bit(1, 71) && !c.bit(0, 3));
}

#[test]
fn widths_are_checked() {
    assert!(Codes::zeros(1, 12).is_err());
    assert!(Codes::zeros(1, 0).is_err());
    assert!(Codes::zeros(1, 4104).is_err());
    assert!(Codes::zeros(1, 4096).is_ok());
    assert!(Codes::from_words(8, vec![0x1ff]).is_err(), "bit 8 set in an 8-bit code");
    assert!(Codes::from_words(128, vec![1, 2, 3]).is_err());
}

#[test]
fn words_and_bytes_are_the_same_codes() {
    // 72 bits from words (2 per code, the second holding bits 64..72) equals the
    // 9-byte rows; 128 bits from words is viewed as the same words.
    let c = Codes::from_words(72, vec![0x0807_0605_0403_0201, 0x09, u64::MAX, 0xff]).unwrap();
    assert_eq!(c.as_bytes(), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
    let w = vec![1u64, 2, 3, 4];
    let c = Codes::from_words(128, w.clone()).unwrap();
    assert_eq!(c.as_words(), Some(&w[..]));
    assert_eq!(c.code_bytes(1)[..9], [3, 0, 0, 0, 0, 0, 0, 0, 4]);
    assert_eq!(c, Codes::from_bytes(128, c.as_bytes()).unwrap());
}

#[test]
fn owned_rows_take_n_times_bits_over_8_bytes() {
    // The memory claim: n codes of `bits` bits hold n · bits / 8 bytes, plus under
    // 8 that round the buffer up to whole words, whatever the width.
    for bits in [8, 16, 24, 32, 40, 56, 64, 72, 96, 120, 128, 256, 4096] {
        for n in [0, 1, 7, 1000, 1001] {
            let want = n * bits / 8;
            let codes = sample(n, bits, 3);
            assert_eq!(codes.as_bytes().len(), want);
            let mem = codes.memory_bytes();
            assert!(mem >= want && mem < want + 8, "{n} codes of {bits} bits: {mem} bytes");
            let z = Codes::zeros(n, bits).unwrap();
            assert!(z.memory_bytes() < want + 8);
            let mut grown = Codes::zeros(0, bits).unwrap();
            for i in 0..n {
                grown.push(codes.code_bytes(i)).unwrap();
            }
            assert_eq!(grown, codes);
            grown.shrink_to_fit();
            assert!(grown.memory_bytes() < want + 8, "after push + shrink: {}", grown.memory_bytes());
        }
    }
}

#[test]
fn bytes_follow_the_design_bit_order() {
    // Bit j is (byte[j/8] >> (j%8)) & 1: byte 1 = 0b0000_0100 sets bit 10.
    let c = Codes::from_bytes(24, &[0, 4, 0x80]).unwrap();
    assert!(c.bit(0, 10) && c.bit(0, 23));
    assert_eq!(c.code_bytes(0), &[0, 4, 0x80]);
    assert_eq!(c.to_bytes(), vec![0, 4, 0x80]);
    assert!(Codes::from_bytes(16, &[1, 2, 3]).is_err());
}

fn sample(n: usize, bits: usize, seed: u64) -> Codes {
    let mut s = seed | 1;
    let bytes: Vec<u8> = (0..n * bits / 8)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect();
    Codes::from_bytes(bits, &bytes).unwrap()
}

#[test]
fn npy_round_trip_in_memory_and_mapped() {
    let dir = tempfile::tempdir().unwrap();
    for bits in [8, 64, 72, 128, 200, 256, 4096] {
        let codes = sample(37, bits, bits as u64);
        let p = dir.path().join(format!("c{bits}.npy"));
        codes.write_npy(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len(), npy::header_bytes(DType::U8, &[37, bits / 8]).len() + 37 * bits / 8);
        assert_eq!(Codes::read_npy(&p).unwrap(), codes);
        let mapped = Codes::open_npy(&p).unwrap();
        assert_eq!(mapped, codes);
        assert!(mapped.is_mapped(), "{bits} bits: read in place");
        assert_eq!(mapped.memory_bytes(), 37 * bits / 8);
        assert_eq!(mapped.as_words().is_some(), bits % 64 == 0, "{bits} bits: a word view iff whole words");
    }
    let empty = Codes::zeros(0, 128).unwrap();
    let p = dir.path().join("empty.npy");
    empty.write_npy(&p).unwrap();
    assert_eq!(Codes::open_npy(&p).unwrap().len(), 0);
}

#[test]
fn mapped_codes_grow_by_copying() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.npy");
    let codes = sample(5, 64, 3);
    codes.write_npy(&p).unwrap();
    let mut m = Codes::open_npy(&p).unwrap();
    m.push(&[42, 0, 0, 0, 0, 0, 0, 1]).unwrap();
    m.extend(&codes).unwrap();
    assert!(!m.is_mapped());
    assert_eq!(m.len(), 11);
    assert_eq!(m.code_bytes(5), &[42, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(m.as_words().unwrap()[5], 42 | 1 << 56);
    assert_eq!(m.code_bytes(6), codes.code_bytes(0));
    assert!(m.extend(&sample(1, 128, 1)).is_err());
    assert!(m.push(&[1, 2]).is_err());
    // A 24-bit map grows the same way, rows staying 3 bytes.
    let p = dir.path().join("c24.npy");
    let narrow = sample(5, 24, 4);
    narrow.write_npy(&p).unwrap();
    let mut m = Codes::open_npy(&p).unwrap();
    m.push(&[1, 2, 3]).unwrap();
    assert_eq!(m.as_bytes()[..15], narrow.as_bytes()[..]);
    assert_eq!(m.code_bytes(5), &[1, 2, 3]);
}

#[test]
fn unaligned_npy_data_is_still_read_in_place() {
    // A header whose length leaves the data at an odd offset (NumPy pads to 64, but
    // other writers may not): rows of any width are still read in place, and a
    // 64-bit multiple has no word view there (the search reads bytes instead).
    let dir = tempfile::tempdir().unwrap();
    let codes = sample(9, 128, 5);
    let mut file = b"\x93NUMPY\x01\x00".to_vec();
    let dict = b"{'descr': '|u1', 'fortran_order': False, 'shape': (9, 16), }  \n";
    file.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    file.extend_from_slice(dict);
    assert_ne!(file.len() % 8, 0);
    file.extend_from_slice(codes.as_bytes());
    let p = dir.path().join("odd.npy");
    std::fs::write(&p, &file).unwrap();
    let m = Codes::open_npy(&p).unwrap();
    assert!(m.is_mapped());
    assert_eq!(m, codes);
    assert!(m.as_words().is_none());
}

#[test]
fn bad_npy_files_are_format_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.npy");
    let check = |want: &str| {
        for e in [Codes::read_npy(&p).unwrap_err(), Codes::open_npy(&p).unwrap_err()] {
            let text = e.to_string();
            assert!(matches!(e, Error::Format { .. }), "{text}");
            assert!(text.contains("bad.npy") && text.contains(want), "{text}");
        }
    };
    npy::write(&p, &[2, 2], &[1.0f32; 4]).unwrap();
    check("uint8");
    npy::write(&p, &[4], &[1u8; 4]).unwrap();
    check("2-D");
    npy::write(&p, &[2, 0], &[] as &[u8]).unwrap();
    check("bytes wide");
    npy::write(&p, &[1, 513], &[0u8; 513]).unwrap();
    check("bytes wide");
    sample(4, 64, 9).write_npy(&p).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
    check("truncated");
    std::fs::write(&p, b"\x93NUMPY").unwrap();
    check("magic");
    assert!(matches!(Codes::open_npy(&dir.path().join("missing.npy")), Err(Error::Io { .. })));
}

/// The Python the interoperability tests use: `SIGAH_PYTHON`; without it the test
/// is skipped outside CI and fails in CI.
pub(crate) fn python() -> Option<String> {
    match std::env::var("SIGAH_PYTHON") {
        Ok(py) if !py.is_empty() => Some(py),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but SIGAH_PYTHON is not: run benches/reference/setup.sh")
        }
        _ => {
            eprintln!("skipped: SIGAH_PYTHON is not set (run benches/reference/setup.sh and export it)");
            None
        }
    }
}

#[test]
fn npy_bytes_equal_what_numpy_writes() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for bits in [64, 72, 256] {
        // The same codes built two ways: from signs in Rust, and from the same bits
        // by numpy's packbits(bitorder="little") (the order `codes.rs` documents) in Python.
        let n = 9;
        let signs: Vec<f32> = (0..n * bits).map(|i| if (i * 7919 + i / 3) % 5 < 2 { 1.0 } else { -1.0 }).collect();
        let codes = Codes::from_signs(&signs, bits).unwrap();
        let ours = dir.path().join(format!("ours{bits}.npy"));
        let theirs = dir.path().join(format!("theirs{bits}.npy"));
        codes.write_npy(&ours).unwrap();
        let script = format!(
            "import numpy as np\n\
             n, bits = {n}, {bits}\n\
             i = np.arange(n * bits)\n\
             b = (((i * 7919 + i // 3) % 5) < 2).reshape(n, bits).astype(np.uint8)\n\
             np.save(r'{theirs}', np.packbits(b, axis=1, bitorder='little'))\n\
             a = np.load(r'{ours}')\n\
             assert a.dtype == np.uint8 and a.shape == (n, bits // 8), (a.dtype, a.shape)\n\
             assert (np.unpackbits(a, axis=1, bitorder='little') == b).all()\n",
            theirs = theirs.display(),
            ours = ours.display(),
        );
        let out = std::process::Command::new(&py).arg("-c").arg(&script).output().unwrap();
        assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap(), "{bits} bits: file bytes differ");
        assert_eq!(Codes::open_npy(&theirs).unwrap(), codes);
    }
}

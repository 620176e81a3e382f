use super::*;

#[test]
fn from_signs_sets_the_documented_bits() {
    let mut v = vec![-1.0f32; 2 * 72];
    v[0] = 1.0; // code 0 bit 0
    v[65] = 0.5; // code 0 bit 65 -> word 1 bit 1
    v[72 + 71] = 2.0; // code 1 bit 71
    v[3] = 0.0; // zero is a 0 bit
    let c = Codes::from_signs(&v, 72).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.words_per_code(), 2);
    assert_eq!(c.code(0), &[1, 2]);
    assert_eq!(c.code(1), &[0, 1 << 7]);
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
fn bytes_follow_the_design_bit_order() {
    // Bit j is (byte[j/8] >> (j%8)) & 1: byte 1 = 0b0000_0100 sets bit 10.
    let c = Codes::from_bytes(24, &[0, 4, 0x80]).unwrap();
    assert!(c.bit(0, 10) && c.bit(0, 23));
    assert_eq!(c.code(0), &[(1 << 10) | (1 << 23)]);
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
        assert_eq!(mapped.is_mapped(), bits % 64 == 0, "{bits} bits: in place iff whole words");
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
    m.push(&[42]).unwrap();
    m.extend(&codes).unwrap();
    assert!(!m.is_mapped());
    assert_eq!(m.len(), 11);
    assert_eq!(m.code(5), &[42]);
    assert_eq!(m.code(6), codes.code(0));
    assert!(m.extend(&sample(1, 128, 1)).is_err());
    assert!(m.push(&[1, 2]).is_err());
    let mut narrow = Codes::zeros(0, 8).unwrap();
    assert!(narrow.push(&[0x100]).is_err(), "padding bit");
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
        // by numpy's packbits(bitorder="little") (the DESIGN §3 order) in Python.
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

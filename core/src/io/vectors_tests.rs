//! Tests of the vector and label loaders: round trips on hand-made files and every
//! kind of bad input, each error checked for the file, the place and the problem.

use super::*;
use proptest::prelude::*;

fn texmex<T: Copy>(rows: &[Vec<T>], to_bytes: impl Fn(T) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&(r.len() as i32).to_le_bytes());
        for &v in r {
            out.extend(to_bytes(v));
        }
    }
    out
}

fn fvecs(rows: &[Vec<f32>]) -> Vec<u8> {
    texmex(rows, |v| v.to_le_bytes().to_vec())
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn fvecs_bvecs_ivecs_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "a.fvecs", &fvecs(&[vec![1.0, -2.5, 3.0], vec![0.0, 4.0, 1e-3]]));
    let t = load_vectors(&f).unwrap();
    assert_eq!(t, Tensor::new(2, 3, vec![1.0, -2.5, 3.0, 0.0, 4.0, 1e-3]));
    let b = write(&dir, "a.BVECS", &texmex(&[vec![0u8, 255], vec![7, 8]], |v| vec![v]));
    assert_eq!(load_vectors(&b).unwrap(), Tensor::new(2, 2, vec![0.0, 255.0, 7.0, 8.0]));
    let i = write(&dir, "gt.ivecs", &texmex(&[vec![3i32, -1], vec![5, 6]], |v| v.to_le_bytes().to_vec()));
    assert_eq!(load_ivecs(&i).unwrap(), vec![vec![3, -1], vec![5, 6]]);
    let l = write(&dir, "l.ivecs", &texmex(&[vec![3i32], vec![9]], |v| v.to_le_bytes().to_vec()));
    assert_eq!(load_labels(&l, &CsvOptions::default()).unwrap(), vec![3, 9]);
    assert!(err(load_labels(&i, &CsvOptions::default())).contains("one value per row"));
    assert!(err(load_vectors(&i)).contains("not vectors"));
}

#[test]
fn texmex_errors_name_file_row_and_offset() {
    let p = Path::new("data/x.fvecs");
    // Second row has dimension 2 instead of 3: reported at its byte offset 16.
    let mut bytes = fvecs(&[vec![1.0, 2.0, 3.0]]);
    bytes.extend(fvecs(&[vec![1.0, 2.0]]));
    let e = err(parse_fvecs(p, &bytes));
    assert!(e.contains("data/x.fvecs") && e.contains("row 1 has dimension 2, but row 0 has 3"), "{e}");
    assert!(e.contains("at byte 16"), "{e}");
    // Truncated last row.
    let mut bytes = fvecs(&[vec![1.0, 2.0], vec![3.0, 4.0]]);
    bytes.truncate(bytes.len() - 3);
    let e = err(parse_fvecs(p, &bytes));
    assert!(e.contains("truncated row 1") && e.contains("at byte 12"), "{e}");
    // NaN and infinity, with row and column.
    let e = err(parse_fvecs(p, &fvecs(&[vec![1.0, 2.0], vec![3.0, f32::NAN]])));
    assert!(e.contains("row 1, column 1") && e.contains("not finite") && e.contains("at byte 20"), "{e}");
    let e = err(parse_fvecs(p, &fvecs(&[vec![f32::INFINITY]])));
    assert!(e.contains("row 0, column 0: value inf"), "{e}");
    // Empty, zero/negative and absurd dimensions.
    assert!(err(parse_fvecs(p, &[])).contains("empty file"));
    assert!(err(parse_fvecs(p, &0i32.to_le_bytes())).contains("not positive"));
    assert!(err(parse_fvecs(p, &(-5i32).to_le_bytes())).contains("dimension -5"));
    assert!(err(parse_fvecs(p, &[1, 0])).contains("no room for its dimension"));
}

#[test]
fn absurd_dimension_does_not_allocate() {
    // 20 bytes claiming a 2^31-1 dimension: refused from the length check alone.
    let mut bytes = i32::MAX.to_le_bytes().to_vec();
    bytes.extend([0u8; 16]);
    let e = err(parse_fvecs(Path::new("big.fvecs"), &bytes));
    assert!(e.contains("claims dimension 2147483647") && e.contains("only 20 bytes"), "{e}");
    let e = err(parse_bvecs(Path::new("big.bvecs"), &bytes));
    assert!(e.contains("claims dimension"), "{e}");
    // An npy header claiming 10^12 rows over a few bytes of data.
    let mut npy_bytes = npy::header_bytes(DType::F32, &[1_000_000_000_000, 10]);
    npy_bytes.extend([0u8; 20]);
    let e = err(parse_npy_vectors(Path::new("big.npy"), &npy_bytes));
    assert!(e.contains("truncated") || e.contains("too large"), "{e}");
}

#[test]
fn npy_vectors_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.npy");
    npy::write(&p, &[2, 2], &[1.0f32, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]));
    npy::write(&p, &[3, 1], &[1u8, 2, 200]).unwrap();
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(3, 1, vec![1.0, 2.0, 200.0]));
    npy::write(&p, &[2, 2], &[1.0f32, 2.0, f32::NAN, 4.0]).unwrap();
    let e = err(load_vectors(&p));
    assert!(e.contains("row 1, column 0") && e.contains("v.npy"), "{e}");
    // Earlier builds: a 1-D array was read as n vectors of dimension 1.
    npy::write(&p, &[2], &[1.0f32, 2.0]).unwrap();
    assert!(err(load_vectors(&p)).contains("vectors must be a 2-D array [n, d], found shape [2]"));
    // Earlier builds: float64 (numpy's default) was refused; now converted, exactly
    // where float32 holds the value.
    npy::write(&p, &[2, 2], &[0.5f64, -3.0, 1e-3, 16_777_216.0]).unwrap();
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(2, 2, vec![0.5, -3.0, 1e-3f64 as f32, 16_777_216.0]));
    npy::write(&p, &[1, 2], &[1.0f64, 1e300]).unwrap();
    let e = err(load_vectors(&p));
    assert!(e.contains("row 0, column 1: float64 value 1e300 is outside the float32 range"), "{e}");
    npy::write(&p, &[1, 2], &[f64::NAN, 1.0]).unwrap();
    assert!(err(load_vectors(&p)).contains("row 0, column 0: value NaN is not finite"));
    npy::write(&p, &[1, 3], &[-7i64, 1 << 24, 3]).unwrap();
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 3, vec![-7.0, 16_777_216.0, 3.0]));
    npy::write(&p, &[1, 2], &[u32::MAX, 9]).unwrap();
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 2, vec![4_294_967_296.0, 9.0]));
    // float16, int8, int16, uint16, uint64 by their raw bytes.
    let raw = |dtype: DType, shape: &[usize], body: &[u8]| {
        let mut b = npy::header_bytes(dtype, shape);
        b.extend_from_slice(body);
        std::fs::write(&p, b).unwrap();
    };
    // 1.0, -2.5, 65504 (the largest half), 2^-24 (the smallest subnormal).
    raw(DType::F16, &[2, 2], &[0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00]);
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(2, 2, vec![1.0, -2.5, 65504.0, 2f32.powi(-24)]));
    raw(DType::F16, &[1, 1], &[0x00, 0x7c]);
    assert!(err(load_vectors(&p)).contains("value inf is not finite"));
    raw(DType::I8, &[1, 2], &[0xff, 0x7f]);
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 2, vec![-1.0, 127.0]));
    raw(DType::I16, &[1, 1], &(-300i16).to_le_bytes());
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 1, vec![-300.0]));
    raw(DType::U16, &[1, 1], &60000u16.to_le_bytes());
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 1, vec![60000.0]));
    raw(DType::U64, &[1, 1], &5u64.to_le_bytes());
    assert_eq!(load_vectors(&p).unwrap(), Tensor::new(1, 1, vec![5.0]));
    // One message says what is read; complex numbers are not.
    let mut b = npy::header_bytes(DType::F32, &[1, 1]);
    let at = b.windows(3).position(|w| w == b"<f4").unwrap();
    b[at..at + 3].copy_from_slice(b"<c8");
    b.extend_from_slice(&[0; 8]);
    std::fs::write(&p, b).unwrap();
    assert!(err(load_vectors(&p)).contains(npy::READS));
    raw(DType::I16, &[2], &[1, 0, 2, 0]);
    assert_eq!(load_labels(&p, &CsvOptions::default()).unwrap(), vec![1, 2]);
    npy::write(&p, &[2], &[1.0f32, 2.0]).unwrap();
    assert!(err(load_labels(&p, &CsvOptions::default())).contains("labels must be integers"));
    npy::write(&p, &[3], &[4i64, 5, 6]).unwrap();
    assert_eq!(load_labels(&p, &CsvOptions::default()).unwrap(), vec![4, 5, 6]);
    npy::write(&p, &[2], &[1i64 << 40, 5]).unwrap();
    assert!(err(load_labels(&p, &CsvOptions::default())).contains("row 0: label 1099511627776"));
    npy::write(&p, &[2], &[7i32, 8]).unwrap();
    assert_eq!(load_labels(&p, &CsvOptions::default()).unwrap(), vec![7, 8]);
}

#[test]
fn csv_with_header_and_label_column() {
    let p = Path::new("t.csv");
    let text = b"a,label,b\n1,3,2.5\n\n-1, 4 ,0\r\n";
    let by_name = CsvOptions { header: Header::Auto, label: Some(LabelColumn::Name("label".into())) };
    let (t, l) = parse_csv(p, text, &by_name).unwrap();
    assert_eq!(t, Tensor::new(2, 2, vec![1.0, 2.5, -1.0, 0.0]));
    assert_eq!(l, Some(vec![3, 4]));
    let by_index = CsvOptions { header: Header::Yes, label: Some(LabelColumn::Index(1)) };
    assert_eq!(parse_csv(p, text, &by_index).unwrap(), (t.clone(), Some(vec![3, 4])));
    // No header, last column is the label.
    let (t2, l2) =
        parse_csv(p, b"1,2,0\n3,4,1\n", &CsvOptions { header: Header::No, label: Some(LabelColumn::Index(-1)) })
            .unwrap();
    assert_eq!((t2, l2), (Tensor::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]), Some(vec![0, 1])));
    let (t3, l3) = parse_csv(p, b"1,2\n3,4\n", &CsvOptions::default()).unwrap();
    assert_eq!((t3, l3), (Tensor::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]), None));
}

#[test]
fn csv_errors_name_row_line_column() {
    let p = Path::new("t.csv");
    let o = CsvOptions::default();
    let e = err(parse_csv(p, b"1,2\n3\n", &o));
    assert!(e.contains("row 1 (line 2) has 1 columns, the first row has 2") && e.contains("at byte 4"), "{e}");
    let e = err(parse_csv(p, b"x,y\n1,2\n3,abc\n", &o));
    assert!(e.contains("row 1 (line 3), column 1: 'abc' is not a number"), "{e}");
    let e = err(parse_csv(p, b"1,nan\n", &CsvOptions { header: Header::No, label: None }));
    assert!(e.contains("not finite"), "{e}");
    assert!(err(parse_csv(p, b"\n\n", &o)).contains("empty file"));
    assert!(err(parse_csv(p, b"a,b\n", &o)).contains("no data rows"));
    let named = CsvOptions { header: Header::No, label: Some(LabelColumn::Name("y".into())) };
    assert!(err(parse_csv(p, b"1,2\n", &named)).contains("no header row"));
    let missing = CsvOptions { header: Header::Yes, label: Some(LabelColumn::Name("y".into())) };
    assert!(err(parse_csv(p, b"a,b\n1,2\n", &missing)).contains("no column named 'y'"));
    let label = CsvOptions { header: Header::No, label: Some(LabelColumn::Index(0)) };
    assert!(err(parse_csv(p, b"1.5,2\n", &label)).contains("not an int32 integer"));
    assert!(err(parse_csv(p, b"1,2\n", &CsvOptions { header: Header::No, label: Some(LabelColumn::Index(5)) }))
        .contains("label column 5 does not exist"));
    assert!(err(parse_csv(p, &[0xff, 0xfe], &o)).contains("not UTF-8"));
}

#[test]
fn unknown_extension_and_missing_file() {
    // The file is read first (its magic bytes decide before its name does).
    let dir = tempfile::tempdir().unwrap();
    let e = err(load_vectors(&write(&dir, "x.parquet", b"PAR1 not sigah")));
    assert!(e.contains("x.parquet") && e.contains("unknown extension '.parquet'"), "{e}");
    assert!(err(load_vectors(&write(&dir, "noext", b"1,2\n"))).contains("no extension"));
    let e = err(load_vectors(Path::new("/nonexistent/sigah/a.fvecs")));
    assert!(e.contains("/nonexistent/sigah/a.fvecs"), "{e}");
    let empty = write(&dir, "e.fvecs", &[]);
    assert!(err(load_vectors(&empty)).contains("empty file"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary bytes never panic any parser.
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let p = Path::new("fuzz");
        let _ = parse_fvecs(p, &bytes);
        let _ = parse_bvecs(p, &bytes);
        let _ = parse_ivecs(p, &bytes);
        let _ = parse_label_ivecs(p, &bytes);
        let _ = parse_npy_vectors(p, &bytes);
        let _ = parse_npy_labels(p, &bytes);
        let _ = parse_csv(p, &bytes, &CsvOptions::default());
    }

    /// fvecs written then parsed gives back the same rows.
    #[test]
    fn fvecs_round_trip(n in 1usize..6, d in 1usize..9, seed in any::<u32>()) {
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|i| (0..d).map(|j| ((seed as usize + i * 31 + j * 7) % 97) as f32 - 48.5).collect())
            .collect();
        let t = parse_fvecs(Path::new("p"), &fvecs(&rows)).unwrap();
        prop_assert_eq!(t, Tensor::new(n, d, rows.concat()));
    }
}

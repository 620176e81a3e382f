//! Dataset tests: exact k-NN against a float64 brute force (including ties and
//! near-ties that the f32 GEMM formula gets wrong), the shipped mnist5k ground
//! truth, and the mismatch errors of `Dataset::load`.

use super::*;
use proptest::prelude::*;

/// Brute force in f64: sort every base id by (distance, id).
fn brute(base: &Tensor, queries: &Tensor, k: usize) -> Vec<Vec<u32>> {
    (0..queries.rows)
        .map(|q| {
            let mut all: Vec<(f64, u32)> = (0..base.rows)
                .map(|i| {
                    let d = queries.row(q).iter().zip(base.row(i)).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum();
                    (d, i as u32)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            all.into_iter().take(k).map(|(_, i)| i).collect()
        })
        .collect()
}

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist5k").join(name)
}

#[test]
fn near_ties_far_from_the_origin_are_exact() {
    // Points 10^4 from the origin that differ by 1e-3..: ‖q‖² ≈ 10^8 in f32 has an
    // ulp of 8, so the GEMM formula cannot see these differences at all. The
    // re-ranking in f64 must still order them exactly, ties to the smaller id.
    let offs = [0.003f32, 0.001, 0.002, 0.001, 0.0, 0.004, 0.002];
    let base = Tensor::new(7, 2, offs.iter().flat_map(|&o| [1.0e4 + o, 1.0e4]).collect());
    let q = Tensor::new(1, 2, vec![1.0e4, 1.0e4]);
    let got = exact_knn(&base, &q, 5).unwrap();
    assert_eq!(got, brute(&base, &q, 5));
    assert_eq!(got[0], vec![4, 1, 3, 2, 6]);
}

#[test]
fn k_is_capped_and_bad_arguments_are_errors() {
    let base = Tensor::new(3, 1, vec![3.0, 1.0, 2.0]);
    let q = Tensor::new(1, 1, vec![0.0]);
    assert_eq!(exact_knn(&base, &q, 10).unwrap(), vec![vec![1, 2, 0]]);
    assert!(exact_knn(&base, &q, 0).is_err());
    assert!(exact_knn(&base, &Tensor::new(1, 2, vec![0.0, 0.0]), 1).is_err());
}

/// The shipped gt.ivecs was computed in float64 with ties to the smaller id; the
/// GEMM-filtered, f64-refined k-NN must reproduce it id for id (the first 100
/// queries here, to keep the test fast in debug builds; `sigah demo` checks all 500).
#[test]
fn reproduces_the_shipped_mnist5k_ground_truth() {
    let base = load_vectors(&repo_file("base.bvecs")).unwrap();
    let queries = load_vectors(&repo_file("query.bvecs")).unwrap().slice_rows(0, 100);
    let mut shipped =
        ground_truth_ids(&repo_file("gt.ivecs"), &load_ivecs(&repo_file("gt.ivecs")).unwrap(), base.rows).unwrap();
    shipped.truncate(100);
    let computed = exact_knn(&base, &queries, 100).unwrap();
    let agree = computed.iter().zip(&shipped).filter(|(a, b)| a == b).count();
    assert_eq!(agree, shipped.len(), "{agree} of {} queries agree with gt.ivecs", shipped.len());
}

#[test]
fn load_checks_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let rows = |dim: i32, n: usize, v: u8| -> Vec<u8> {
        (0..n).flat_map(|_| dim.to_le_bytes().into_iter().chain(std::iter::repeat_n(v, dim as usize))).collect()
    };
    let ivecs = |vals: &[i32]| -> Vec<u8> { vals.iter().flat_map(|v| [1i32, *v]).flat_map(i32::to_le_bytes).collect() };
    let base = write("b.bvecs", &rows(4, 3, 1));
    let queries = write("q.bvecs", &rows(4, 2, 2));
    let bad_q = write("q3.bvecs", &rows(3, 2, 2));
    let bl = write("bl.ivecs", &ivecs(&[0, 1, 0]));
    let ql = write("ql.ivecs", &ivecs(&[1, 0]));
    let short = write("short.ivecs", &ivecs(&[0, 1]));
    let labels = |b: &Path, q: &Path| RelevanceSource::Labels {
        base: b.to_path_buf(),
        queries: q.to_path_buf(),
        csv: CsvOptions::default(),
    };
    let ds = Dataset::load(&base, &queries, &labels(&bl, &ql)).unwrap();
    assert_eq!(ds.relevance, Relevance::Labels { base: vec![0, 1, 0], queries: vec![1, 0] });
    let e = Dataset::load(&base, &queries, &labels(&short, &ql)).unwrap_err().to_string();
    assert!(e.contains("short.ivecs") && e.contains("2 labels, but the base file") && e.contains("has 3"), "{e}");
    let e = Dataset::load(&base, &bad_q, &labels(&bl, &ql)).unwrap_err().to_string();
    assert!(e.contains("q3.bvecs") && e.contains("dimension 3") && e.contains("dimension 4"), "{e}");
    // Ground truth: row count and id range.
    let gt = write("gt.ivecs", &ivecs(&[2, 0]));
    let ds = Dataset::load(&base, &queries, &RelevanceSource::GroundTruth(gt)).unwrap();
    assert_eq!(ds.relevance, Relevance::Neighbours { ids: vec![vec![2], vec![0]] });
    let gt_bad = write("gt_bad.ivecs", &ivecs(&[2, 7]));
    let e = Dataset::load(&base, &queries, &RelevanceSource::GroundTruth(gt_bad)).unwrap_err().to_string();
    assert!(e.contains("gt_bad.ivecs") && e.contains("row 1: id 7 is not a base index"), "{e}");
    let e = Dataset::load(&base, &queries, &RelevanceSource::GroundTruth(bl.clone())).unwrap_err().to_string();
    assert!(e.contains("3 ground-truth rows, but the query file"), "{e}");
    let ds = Dataset::load(&base, &queries, &RelevanceSource::TopK(2)).unwrap();
    assert_eq!(ds.relevance, Relevance::Neighbours { ids: vec![vec![0, 1], vec![0, 1]] });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Small integer coordinates make many exact ties.
    #[test]
    fn matches_the_f64_brute_force(
        n in 1usize..300,
        nq in 1usize..40,
        d in 1usize..12,
        k in 1usize..20,
        seed in any::<u64>(),
    ) {
        let mut s = seed | 1;
        let mut next = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s % 5) as f32 - 2.0 };
        let base = Tensor::new(n, d, (0..n * d).map(|_| next()).collect());
        let queries = Tensor::new(nq, d, (0..nq * d).map(|_| next() * 0.5).collect());
        prop_assert_eq!(exact_knn(&base, &queries, k).unwrap(), brute(&base, &queries, k));
    }
}

#[test]
fn labels_from_a_csv_column() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.csv");
    let q = dir.path().join("q.csv");
    std::fs::write(&b, "x,y,digit\n1,2,7\n3,4,1\n5,6,7\n").unwrap();
    std::fs::write(&q, "x,y,digit\n0,0,1\n").unwrap();
    let csv = CsvOptions { label: Some(crate::io::vectors::LabelColumn::Name("digit".into())), ..Default::default() };
    let ds = Dataset::load(&b, &q, &RelevanceSource::CsvColumn(csv.clone())).unwrap();
    assert_eq!(ds.base, Tensor::new(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(ds.relevance, Relevance::Labels { base: vec![7, 1, 7], queries: vec![1] });
    let bv = dir.path().join("b.fvecs");
    std::fs::write(&bv, [1i32.to_le_bytes(), 1.0f32.to_le_bytes()].concat()).unwrap();
    let e = Dataset::load(&bv, &q, &RelevanceSource::CsvColumn(csv)).unwrap_err().to_string();
    assert!(e.contains("b.fvecs") && e.contains("CSV"), "{e}");
}

//! Eval tests: method selection, the code file layout, and one small end-to-end
//! run whose report, table and plots are checked.

use super::metrics::Relevance;
use super::*;
use crate::hash::{baseline_methods, select_methods, train_lsh, HashFunction};
use crate::io::npy;
use crate::model::Training;
use crate::Codes;

#[test]
fn methods_are_selected_by_name() {
    let known = baseline_methods();
    let m = select_methods(&["ITQ".into(), "lsh".into(), "itq".into()], &known).unwrap();
    assert_eq!(m.iter().map(|m| m.name).collect::<Vec<_>>(), vec!["itq", "lsh"]);
    let e = select_methods(&["sigah".into()], &known).unwrap_err().to_string();
    assert!(e.contains("unknown method 'sigah' (known: itq, pcah, lsh)"), "{e}");
    assert!(select_methods(&[], &known).is_err());
}

#[test]
fn code_bytes_follow_the_documented_bit_order() {
    // 16-bit code with bits 0, 9 and 15 set: bytes [0b1, 0b1000_0010].
    let c = Codes::from_words(16, vec![1 | (1 << 9) | (1 << 15)]).unwrap();
    assert_eq!(c.to_bytes(), vec![0b0000_0001, 0b1000_0010]);
    let c = Codes::from_words(72, vec![0xff, 0x80, 0, 0x01]).unwrap();
    let b = c.to_bytes();
    assert_eq!(b.len(), 18);
    assert_eq!((b[0], b[8], b[9], b[17]), (0xff, 0x80, 0, 0x01));
}

#[test]
fn end_to_end_on_two_clusters() {
    // Two well separated clusters. ITQ and LSH spread the cluster difference over
    // all 8 bits and rank the own cluster first (mAP 1); PCAH puts it in one bit
    // and the other 7 are noise that blurs the ranking (well above chance, < 1).
    let mut s = 12345u64;
    let mut noise = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1000) as f32 / 1000.0 - 0.5
    };
    let make = |n: usize, noise: &mut dyn FnMut() -> f32| {
        let mut data = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = (i % 2) as f32 * 10.0;
            data.extend((0..16).map(|j| c * if j % 2 == 0 { 1.0 } else { -1.0 } + noise()));
            labels.push((i % 2) as i32);
        }
        (Tensor::new(n, 16, data), labels)
    };
    let (base, bl) = make(200, &mut noise);
    let (queries, ql) = make(20, &mut noise);
    let rel = vec![
        Relevance::Labels { base: bl, queries: ql },
        Relevance::Neighbours { ids: crate::knn::exact_knn(&base, &queries, 10).unwrap() },
    ];
    let dir = tempfile::tempdir().unwrap();
    let cfg = EvalConfig {
        methods: baseline_methods(),
        bits: vec![8],
        seed: 1,
        epochs: None,
        save_codes: Some(dir.path().join("codes")),
        save_models: None,
        train_size: 0,
    };
    let mut lines = Vec::new();
    let rows = run(&base, &queries, &rel, None, &cfg, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(lines.len(), 3);
    for r in rows.iter().filter(|r| r.relevance == "label") {
        let floor = if r.method == "pcah" { 0.6 } else { 0.99 };
        assert!(r.map > floor, "{} mAP {}", r.method, r.map);
    }
    assert!(rows.iter().any(|r| r.relevance == "l2top10"));
    let (shape, bytes) = npy::read::<u8>(&dir.path().join("codes/itq_8_base.npy")).unwrap();
    assert_eq!((shape, bytes.len()), (vec![200, 1], 200));
    assert!(dir.path().join("codes/lsh_8_query.npy").exists());

    let table = markdown_table(&rows);
    assert_eq!(table.lines().count(), 2 + 6);
    assert!(table.contains("| label | 8 | itq |"), "{table}");

    let report = dir.path().join("r.json");
    write_report(&report, &rows).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let first = &json["results"][0];
    for key in
        ["method", "bits", "relevance", "map", "p_at_100", "r_at_100", "p_r2", "train_s", "encode_s", "bit_mean_min"]
    {
        assert!(!first[key].is_null(), "missing {key}");
    }
    // The saved ITQ base codes give the reported bit balance.
    let itq = rows.iter().find(|r| r.method == "itq" && r.bits == 8).unwrap();
    let saved = Codes::from_bytes(8, &bytes).unwrap();
    assert_eq!((itq.bit_mean_min, itq.bit_mean_max), bit_mean_range(&saved));
    assert!(0.0 < itq.bit_mean_min && itq.bit_mean_min <= itq.bit_mean_max && itq.bit_mean_max < 1.0);
    // Recall 10@C is the method's, whatever the relevance; the truth computed here
    // is the exact top 10, so the rows match recall_at_candidates on the saved codes.
    let queries_saved = npy::read::<u8>(&dir.path().join("codes/itq_8_query.npy")).unwrap().1;
    let want = recall::recall_at_candidates(
        &saved,
        &Codes::from_bytes(8, &queries_saved).unwrap(),
        &crate::knn::exact_knn(&base, &queries, 10).unwrap(),
        10,
        &[10, 100, 1000],
    )
    .unwrap();
    for r in rows.iter().filter(|r| r.method == "itq") {
        assert_eq!(
            [r.recall_10_at_10, r.recall_10_at_100, r.recall_10_at_1000],
            want.iter().map(|w| w.recall).collect::<Vec<_>>().as_slice()
        );
    }
    assert_eq!(itq.recall_10_at_1000, 1.0, "C = 1000 is capped at the 200 base codes");
    assert!(first["recall_10_at_100"].is_number() && first["recall_10_curve"][0]["c"] == 1, "{first}");
    assert!(table.contains("R10@10 | R10@100 | R10@1000"), "{table}");
    let files = write_plots(&dir.path().join("plots"), &rows).unwrap();
    assert_eq!(files.len(), 5);
    assert!(files[4].ends_with("recall10_8.svg"), "{files:?}");
    let svg = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("itq") && svg.contains("polyline"),
        "{}",
        &svg[..200.min(svg.len())]
    );
}

#[test]
fn bit_mean_range_counts_each_bit_over_the_codes() {
    // 8-bit codes, 4 rows: bits 0, 1, 4, 5 are set in 3 rows, bits 2, 3, 6, 7 in 2.
    let codes = Codes::from_bytes(8, &[0x0f, 0xff, 0xf0, 0x33]).unwrap();
    assert_eq!(bit_mean_range(&codes), (0.5, 0.75));
    // 16 bits: only bit 8 (the second byte's lowest bit) is ever set, in 3 of 4.
    let codes = Codes::from_bytes(16, &[0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01]).unwrap();
    assert_eq!(bit_mean_range(&codes), (0.0, 0.75));
    assert_eq!(bit_mean_range(&Codes::zeros(0, 8).unwrap()), (0.0, 0.0));
}

#[test]
fn dimension_and_width_errors() {
    let base = Tensor::zeros(4, 3);
    let q = Tensor::zeros(1, 2);
    let cfg = EvalConfig {
        methods: baseline_methods(),
        bits: vec![8],
        seed: 0,
        epochs: None,
        save_codes: None,
        save_models: None,
        train_size: 0,
    };
    assert!(run(&base, &q, &[], None, &cfg, &mut |_| {}).is_err());
    let cfg = EvalConfig { bits: vec![12], ..cfg };
    assert!(run(&base, &Tensor::zeros(1, 3), &[], None, &cfg, &mut |_| {})
        .unwrap_err()
        .to_string()
        .contains("multiple of 8"));
    // A given truth that does not fit fails before any training (LSH alone:
    // ITQ and PCAH at 8 bits over 3 dimensions are refused up front too).
    let lsh = baseline_methods().into_iter().filter(|m| m.name == "lsh").collect();
    let cfg = EvalConfig { bits: vec![8], methods: lsh, ..cfg };
    let e = run(&base, &Tensor::zeros(1, 3), &[], Some(&[vec![7]]), &cfg, &mut |_| panic!("trained")).unwrap_err();
    assert!(e.to_string().contains("base id 7"), "{e}");
}

/// The rows and the first value of the set the probe method was last trained on.
static PROBE_SEEN: std::sync::Mutex<(usize, f32)> = std::sync::Mutex::new((0, 0.0));

fn probe_trainer(t: &TrainSet<'_>, o: &MethodOptions) -> Result<Box<dyn HashFunction>> {
    *PROBE_SEEN.lock().unwrap() = (t.x.rows, t.x.data[0]);
    Ok(Box::new(train_lsh(t.x, o.bits, o.seed)?))
}

#[test]
fn every_method_trains_on_the_sample_sigah_trains_on() {
    // 300 rows whose first value is the row number: with train_size 120 the
    // methods must see exactly SiGAH's 120-row sample, and still encode all 300.
    let base = Tensor::new(300, 4, (0..1200).map(|i| if i % 4 == 0 { (i / 4) as f32 } else { 0.5 }).collect());
    let queries = Tensor::new(5, 4, vec![1.0; 20]);
    let sigah = crate::model::SigahConfig {
        training: Training { train_size: 120, ..Default::default() },
        ..Default::default()
    };
    let cfg = EvalConfig {
        methods: vec![Method::new("probe", probe_trainer)],
        bits: vec![8],
        seed: 3,
        epochs: None,
        save_codes: None,
        save_models: None,
        train_size: sigah.training.train_size,
    };
    let rel = [Relevance::Neighbours { ids: crate::knn::exact_knn(&base, &queries, 10).unwrap() }];
    run(&base, &queries, &rel, None, &cfg, &mut |_| {}).unwrap();
    let expected = crate::train::training_sample(
        &base,
        &crate::model::SigahConfig { training: Training { seed: 3, ..sigah.training }, ..sigah },
    )
    .unwrap();
    assert_eq!(expected.rows, 120);
    assert_eq!(*PROBE_SEEN.lock().unwrap(), (120, expected.data[0]));
}

use std::path::Path;

use super::*;

/// The default config with `edit` applied.
fn with(edit: impl FnOnce(&mut SigahConfig)) -> SigahConfig {
    let mut c = SigahConfig::default();
    edit(&mut c);
    c
}

#[test]
fn codes_are_wide_for_their_input_past_64_bits_from_a_bit_per_4_dimensions() {
    let at = |bits, d| with(|c| c.architecture.bits = bits).wide_for(d);
    assert!(at(128, 512) && at(128, 384) && at(128, 128) && at(128, 64) && at(72, 288));
    assert!(!at(128, 513) && !at(128, 784) && !at(64, 64) && !at(64, 8));
    assert!(at(256, 784) && at(256, 1024) && !at(256, 1025));
}

#[test]
fn the_listwise_temperature_shrinks_past_64_bits() {
    // 784-d input: 128 bits are not wide for it, 256 are.
    let at = |bits, d| with(|c| c.architecture.bits = bits).list_temperature(d);
    for bits in [8, 16, 32, 48, 64] {
        assert_eq!(at(bits, 784), 0.05, "{bits} bits");
        assert_eq!(at(bits, 16), 0.05, "{bits} bits of 16-d");
    }
    assert!((at(128, 784) - 0.0425).abs() < 1e-7, "{}", at(128, 784));
    assert!((at(128, 384) - 0.035).abs() < 1e-7, "{}", at(128, 384));
    assert!((at(256, 2048) - 0.036125).abs() < 1e-7, "{}", at(256, 2048));
    // Wide for a 784-d input at 256 bits: capped at 0.035; at 512 bits the
    // 0.85 rule (0.0307) is below the cap already.
    assert!((at(256, 784) - 0.035).abs() < 1e-7, "{}", at(256, 784));
    assert!((at(512, 784) - 0.05 * 0.85f32.powi(3)).abs() < 1e-7, "{}", at(512, 784));
    assert!(at(96, 784) < 0.05 && at(96, 784) > at(128, 784));
    let custom = with(|c| (c.architecture.bits, c.neighbours.list_temp) = (128, 0.1));
    assert!((custom.list_temperature(784) - 0.085).abs() < 1e-7);
    assert!((custom.list_temperature(128) - 0.07).abs() < 1e-7);
}

#[test]
fn the_reconstruction_weight_grows_past_64_bits() {
    let at = |bits, d| with(|c| c.architecture.bits = bits).reconstruction_weight(d);
    for bits in [8, 32, 64] {
        assert_eq!(at(bits, 784), 1.0, "{bits} bits");
        assert_eq!(at(bits, 32), 1.0, "{bits} bits of 32-d");
    }
    for bits in [72, 128, 192] {
        assert_eq!(at(bits, 784), 3.0, "{bits} bits");
        assert_eq!(at(bits, bits), 6.0, "{bits} bits of {bits}-d");
    }
    assert_eq!(at(256, 784), 6.0);
    let custom = with(|c| (c.architecture.bits, c.loss.lambda_rec) = (128, 0.5));
    assert_eq!((custom.reconstruction_weight(784), custom.reconstruction_weight(384)), (1.5, 3.0));
    assert_eq!(with(|c| (c.architecture.bits, c.loss.lambda_rec) = (128, 0.0)).reconstruction_weight(64), 0.0);
}

#[test]
fn the_listwise_neighbours_are_at_most_one_in_32_training_rows() {
    let d = SigahConfig::default();
    for rows in [3_200, 4_500, 100_000] {
        assert_eq!(d.list_neighbours(rows), 100, "{rows} rows");
    }
    assert_eq!(d.list_neighbours(3_199), 99);
    assert_eq!(d.list_neighbours(1_617), 50);
    assert_eq!(d.list_neighbours(40), 1);
    assert_eq!(d.list_neighbours(3), 1);
    let custom = with(|c| c.neighbours.list_k = 20);
    assert_eq!((custom.list_neighbours(1_617), custom.list_neighbours(320)), (20, 10));
}

#[test]
fn defaults_are_the_documented_values() {
    // docs/METHOD.md's defaults, with its measured changes (epochs, the
    // ITQ-initialised skip path, the one-sided neighbour-pair term, the
    // ranking term on tanh-relaxed codes, the input projection and the
    // listwise neighbourhood term).
    let c = SigahConfig::default();
    let (a, o, l, n, t) = (&c.architecture, &c.optimiser, &c.loss, &c.neighbours, &c.training);
    assert_eq!(
        (a.bits, a.hidden.clone(), c.latent_units(), a.lista_steps, a.disc_hidden, t.epochs),
        (64, vec![512], 256, 3, 256, 30)
    );
    assert_eq!(
        (l.lambda_rec, l.lambda_bal, o.lr_g, o.lr_d, o.beta1, o.beta2, o.eps),
        (1.0, 0.1, 1e-3, 2e-4, 0.5, 0.999, 1e-8)
    );
    assert!(a.skip && t.itq_init && c.has_skip());
    assert_eq!((t.branch_init, o.skip_lr_scale), (0.0, 0.1));
    assert_eq!((n.lambda_pair, n.knn_pairs, n.pair_target, n.pair_one_sided), (1.0, 10, 0.8, true));
    assert_eq!((n.lambda_rank, n.rank_pos, n.rank_neg, n.rank_margin, n.relax_beta), (6.0, 50, 0, 0.1, 2.0));
    assert_eq!((a.input_pca, n.lambda_list, n.list_k, n.list_temp), (256, 3.0, 100, 0.05));
    assert_eq!((o.batch_size, t.d_steps, t.g_steps, l.margin, l.margin_factor), (256, 1, 1, None, 2.0));
    assert_eq!((t.seed, t.train_size, t.max_steps), (42, 100_000, 4000));
    assert!(l.adversarial && a.decoder == DecoderKind::Lista);
    c.validate().unwrap();
}

#[test]
fn json_and_toml_files_in_sections_override_only_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("c.json");
    std::fs::write(
        &j,
        r#"{"architecture": {"bits": 32, "hidden": [256, 128], "decoder": "linear"}, "loss": {"margin": 0.5}}"#,
    )
    .unwrap();
    let c = SigahConfig::from_file(&j).unwrap();
    assert_eq!(
        (c.architecture.bits, c.architecture.hidden.clone(), c.architecture.decoder, c.loss.margin),
        (32, vec![256, 128], DecoderKind::Linear, Some(0.5))
    );
    assert_eq!(c.optimiser.lr_g, 1e-3, "unnamed keys keep their defaults");
    let t = dir.path().join("c.toml");
    std::fs::write(&t, "[architecture]\nbits = 128\n[loss]\nadversarial = false\n[optimiser]\nlr_d = 0.001\n").unwrap();
    let c = SigahConfig::from_file(&t).unwrap();
    assert_eq!(
        (c.architecture.bits, c.loss.adversarial, c.optimiser.lr_d, c.optimiser.batch_size),
        (128, false, 0.001, 256)
    );
    // Round trip through the JSON the model file stores.
    let back: SigahConfig = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(back, c);
    assert_eq!(SigahConfig::from_metadata(&t, &c.to_json()).unwrap(), c);
}

#[test]
fn bad_files_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("c.json");
    // A typo at the top level, in a flat file and in a sectioned one, and in a section.
    for text in [
        "{\"bits\": 64,\n \"bitz\": 3}",
        "{\"architecture\": {\"bits\": 64},\n \"bitz\": 3}",
        "{\"architecture\": {\"bitz\": 3}}",
    ] {
        std::fs::write(&j, text).unwrap();
        let e = SigahConfig::from_file(&j).unwrap_err().to_string();
        assert!(e.contains("c.json") && e.contains("bitz"), "{e}");
    }
    let t = dir.path().join("c.toml");
    std::fs::write(&t, "lr_g = 0.1\nbits = \"many\"\n").unwrap();
    let e = SigahConfig::from_file(&t).unwrap_err().to_string();
    assert!(e.contains("c.toml") && e.contains("bits: invalid type") && e.contains("at byte 11"), "{e}");
    std::fs::write(&t, "[architecture]\nbits = \"many\"\n").unwrap();
    let e = SigahConfig::from_file(&t).unwrap_err().to_string();
    assert!(e.contains("c.toml") && e.contains("at byte 22"), "{e}");
    // A key in two places.
    std::fs::write(&j, r#"{"bits": 16, "architecture": {"bits": 32}}"#).unwrap();
    let e = SigahConfig::from_file(&j).unwrap_err().to_string();
    assert!(e.contains("bits") && e.contains("both"), "{e}");
    let e = SigahConfig::from_file(&dir.path().join("missing.json")).unwrap_err().to_string();
    assert!(e.contains("missing.json"), "{e}");
}

#[test]
fn validation_names_the_field() {
    type Edit = Box<dyn Fn(&mut SigahConfig)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|c| c.architecture.bits = 12), "bits"),
        (Box::new(|c| c.architecture.hidden = vec![0]), "hidden"),
        (Box::new(|c| c.optimiser.batch_size = 0), "batch_size"),
        (Box::new(|c| c.optimiser.lr_g = -1.0), "lr_g"),
        (Box::new(|c| c.optimiser.beta2 = 1.0), "beta2"),
        (Box::new(|c| c.loss.lambda_bal = f32::NAN), "lambda_bal"),
        (Box::new(|c| c.training.d_steps = 0), "d_steps"),
        (Box::new(|c| c.architecture.lista_steps = 0), "lista_steps"),
        (Box::new(|c| c.neighbours.rank_neg = c.neighbours.rank_pos), "rank_neg"),
        (Box::new(|c| c.neighbours.rank_margin = -0.1), "rank_margin"),
        (Box::new(|c| c.neighbours.relax_beta = f32::INFINITY), "relax_beta"),
        (Box::new(|c| (c.neighbours.lambda_rank, c.neighbours.rank_pos) = (1.0, 0)), "rank_pos"),
        (Box::new(|c| c.neighbours.list_k = 0), "list_k"),
        (Box::new(|c| c.neighbours.list_temp = 0.0), "list_temp"),
        (Box::new(|c| c.neighbours.lambda_list = -1.0), "lambda_list"),
    ];
    for (edit, field) in cases {
        let e = with(|c| edit(c)).validate().unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
    let c = with(|c| {
        c.architecture.hidden = vec![];
        c.architecture.decoder = DecoderKind::Linear;
        c.architecture.lista_steps = 0;
    });
    c.validate().expect("no hidden layer (a linear hash) and a linear decoder are valid");
}

#[test]
fn flat_files_of_earlier_builds_still_read() {
    let dir = tempfile::tempdir().unwrap();
    // A config as main wrote it before the removal: every removed knob off,
    // the pair term's τ under its old name.
    let j = dir.path().join("old.json");
    std::fs::write(
        &j,
        r#"{"bits": 32, "sim_knn": 0, "sim_knn_target": 0.7, "encoder_warmup": 0,
        "branch_lr_scale": 1.0, "prox_decay": 0.0, "lambda_sim": 0.0}"#,
    )
    .unwrap();
    let c = SigahConfig::from_file(&j).unwrap();
    assert_eq!(c, with(|c| (c.architecture.bits, c.neighbours.pair_target) = (32, 0.7)));
    let t = dir.path().join("old.toml");
    std::fs::write(&t, "sim_knn_target = 0.6\nlambda_sim = 0.0\nlr_g = 0.002\n").unwrap();
    let c = SigahConfig::from_file(&t).unwrap();
    assert_eq!(c, with(|c| (c.neighbours.pair_target, c.optimiser.lr_g) = (0.6, 0.002)));
    // Flat keys and sections mixed.
    std::fs::write(&t, "seed = 3\n[architecture]\nbits = 16\n").unwrap();
    let c = SigahConfig::from_file(&t).unwrap();
    assert_eq!(c, with(|c| (c.training.seed, c.architecture.bits) = (3, 16)));
    // A removed knob turned on is refused by name.
    std::fs::write(&j, r#"{"prox_decay": 0.01}"#).unwrap();
    let e = SigahConfig::from_file(&j).unwrap_err().to_string();
    assert!(e.contains("prox_decay") && e.contains("removed"), "{e}");
    std::fs::write(&j, "{\"lambda_sim\": 0.0,\n \"bitz\": 3}").unwrap();
    let e = SigahConfig::from_file(&j).unwrap_err().to_string();
    assert!(e.contains("bitz") && e.contains("at byte 22"), "{e}");
}

#[test]
fn every_flat_key_lands_in_its_section() {
    // A flat file naming every key (each set to its default's JSON) reads back
    // as the default config: no key is lost or put in the wrong section.
    let mut flat = serde_json::Map::new();
    if let serde_json::Value::Object(sections) = serde_json::to_value(SigahConfig::default()).unwrap() {
        for (_, keys) in sections {
            flat.extend(keys.as_object().unwrap().clone());
        }
    }
    assert_eq!(flat.len(), 41);
    let text = serde_json::Value::Object(flat).to_string();
    assert_eq!(SigahConfig::parse(Path::new("flat.json"), &text).unwrap(), SigahConfig::default());
}

#[test]
fn overrides_take_flat_keys_and_sections() {
    let c = SigahConfig::default()
        .with_overrides(serde_json::json!({"bits": 16, "neighbours": {"list_k": 7}, "lr_g": 0.5}))
        .unwrap();
    assert_eq!(
        c,
        with(|c| {
            c.architecture.bits = 16;
            c.neighbours.list_k = 7;
            c.optimiser.lr_g = 0.5;
        })
    );
    let e = SigahConfig::default().with_overrides(serde_json::json!({"bitz": 1})).unwrap_err();
    assert!(e.contains("bitz"), "{e}");
}

#[test]
fn epochs_zero_is_refused_by_validate() {
    let e = with(|c| c.training.epochs = 0).validate().unwrap_err().to_string();
    assert!(e.contains("epochs must be at least 1"), "{e}");
    assert!(with(|c| c.training.epochs = 1).validate().is_ok());
}

#[test]
fn layers_go_base_file_preset_keys_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[architecture]\nbits = 16\n[training]\nepochs = 3\nseed = 5\n").unwrap();
    let layers = ConfigLayers {
        file: Some(&file),
        preset: Preset::Fast,
        keys: Some(serde_json::json!({"epochs": 4, "lr_g": 0.5})),
        epochs: Some(7),
        ..ConfigLayers::default()
    };
    // The file replaces the base; the preset, the keys and the flags apply in turn.
    let got = layers.build(with(|c| c.training.train_size = 1)).unwrap();
    let want = with(|c| {
        c.architecture.bits = 16;
        c.training.seed = 5;
        c.training.epochs = 7;
        c.optimiser.lr_g = 0.5;
        c.loss.adversarial = false;
    });
    assert_eq!(got, want);
    // Without a file the base stays; a bad flag fails validation.
    let base = ConfigLayers { steps: Some(9), ..ConfigLayers::default() }.build(SigahConfig::default()).unwrap();
    assert_eq!(base, with(|c| c.training.max_steps = 9));
    assert!(ConfigLayers { epochs: Some(0), ..ConfigLayers::default() }.build(SigahConfig::default()).is_err());
    // A bad value in the file is named with the file.
    std::fs::write(&file, "[optimiser]\nlr_g = -1.0\n").unwrap();
    let e = ConfigLayers { file: Some(&file), ..ConfigLayers::default() }
        .build(SigahConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("c.toml") && e.contains("lr_g"), "{e}");
}

#[test]
fn presets_by_name() {
    assert_eq!(Preset::from_name("fast").unwrap(), Preset::Fast);
    assert_eq!(Preset::from_name("full").unwrap(), Preset::Full);
    let e = Preset::from_name("quick").unwrap_err().to_string();
    assert!(e.contains("quick") && e.contains("full, fast"), "{e}");
    let mut c = SigahConfig::default();
    Preset::Full.apply(&mut c);
    assert_eq!(c, SigahConfig::default());
    Preset::Fast.apply(&mut c);
    assert!(!c.loss.adversarial);
}

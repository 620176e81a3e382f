//! The config parser (JSON or TOML) on arbitrary text. The first byte picks the
//! syntax. Properties: no panic; allocation proportional to the input; a config
//! that parses and validates survives the JSON the model file stores it as
//! (`parse(to_json(c)) == c`).
#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigah_core::model::SigahConfig;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let p = Path::new(if which % 2 == 0 { "fuzz.toml" } else { "fuzz.json" });
    // A config is a handful of numbers, but `hidden = [1,1,...]` is a Vec of
    // usize per 2 input bytes.
    if let Ok(cfg) = common::within_budget(rest, 32, || SigahConfig::parse(p, text)) {
        if cfg.validate().is_ok() {
            let json = cfg.to_json();
            let back = SigahConfig::parse(Path::new("back.json"), &json).expect("stored JSON parses");
            assert_eq!(back, cfg, "{json}");
        }
    }
});

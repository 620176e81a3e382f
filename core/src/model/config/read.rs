//! Reading a config: from JSON or TOML text (a config file), from the JSON a
//! model file or checkpoint stores, and with overrides (the Python keyword
//! arguments).
//!
//! The current layout has sections (`[architecture]`, `[optimiser]`, `[loss]`,
//! `[neighbours]`, `[training]`). Earlier builds wrote every key at the top level
//! (model files of format versions 1 and 2, and users' config files): a key
//! outside any section is moved into the section that holds it, so those still
//! read, and both forms may be mixed. The key's section is read off the
//! serialised default config, so the sections have one home, the types in
//! `mod.rs`.

use std::path::Path;

use serde_json::{Map, Value};

use super::SigahConfig;
use crate::{Error, Result};

/// Knobs that were measured and left off (docs/METHOD.md, "Measurements behind
/// each change" and "Second round"), then removed with the code they guarded:
/// each with its "off" value, which files written before the removal carry.
/// `lambda_sim`, `sim_knn`: the batch similarity-preservation term; `prox_decay`:
/// a proximal pull of the encoder to its ITQ start; `branch_lr_scale`: a slower
/// ReLU branch; `encoder_warmup`: epochs that train only the decoder and the
/// discriminator.
pub const REMOVED: [(&str, f64); 5] =
    [("lambda_sim", 0.0), ("sim_knn", 0.0), ("prox_decay", 0.0), ("branch_lr_scale", 1.0), ("encoder_warmup", 0.0)];

/// Keys renamed since they were written at the top level: (old, new).
const RENAMED: [(&str, &str); 1] = [("sim_knn_target", "pair_target")];

impl SigahConfig {
    /// Reads a config file: `.toml` as TOML, anything else as JSON. Keys that are
    /// absent keep their defaults. The result is not yet validated.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &text)
    }

    /// Parses config text already in memory (the fuzz target's entry point): TOML
    /// if `path` ends in `.toml`, else JSON; `path` only names the source in errors.
    /// Flat files (keys outside sections, as earlier builds wrote them) still
    /// parse, and so do the [`REMOVED`] knobs when they hold their "off" values.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        Self::parse_sectioned(path, text, is_toml).or_else(|error| {
            // Only a text with keys outside the sections is read again, as a value
            // whose keys are moved into their sections.
            let flat = if is_toml { Self::parse_flat_toml(text) } else { Self::parse_flat_json(text) };
            flat.ok_or(error)?.map_err(|(key, reason)| {
                // The key's first mention, for the offset.
                let offset = key.and_then(|k| text.find(&k)).unwrap_or(0) as u64;
                Error::format(path, offset, format!("invalid config: {reason}"))
            })
        })
    }

    /// The config a model file or checkpoint stores (its `config` metadata), in
    /// sections or, before format version 3, flat.
    pub fn from_metadata(path: &Path, json: &str) -> Result<Self> {
        serde_json::from_str::<Value>(json)
            .map_err(|e| e.to_string())
            .and_then(|v| Self::from_value(v).map_err(|(_, reason)| reason))
            .map_err(|reason| Error::format(path, 8, format!("metadata key \"config\" is invalid: {reason}")))
    }

    /// This config with the keys of `over` (a JSON object, flat or in sections)
    /// replaced: the Python keyword arguments, which are the config file's keys.
    pub fn with_overrides(&self, over: Value) -> std::result::Result<Self, String> {
        let mut base = serde_json::to_value(self).expect("a config is JSON");
        let over = sectioned(over).map_err(|(_, reason)| reason)?;
        if let (Some(base), Value::Object(over)) = (base.as_object_mut(), over) {
            for (section, keys) in over {
                match (base.get_mut(&section).and_then(Value::as_object_mut), keys) {
                    (Some(b), Value::Object(keys)) => b.extend(keys),
                    (_, keys) => {
                        base.insert(section, keys);
                    }
                }
            }
        }
        Self::from_value(base).map_err(|(_, reason)| reason)
    }

    /// A config from its JSON value, flat keys moved into their sections and the
    /// [`REMOVED`] keys checked and dropped. An error names the offending key
    /// when it knows it.
    fn from_value(value: Value) -> std::result::Result<Self, (Option<String>, String)> {
        let value = sectioned(value)?;
        serde_json::from_value(value.clone()).map_err(|e| match bad_key(&value) {
            Some(key) => (Some(key.clone()), format!("{key}: {e}")),
            None => (None, e.to_string()),
        })
    }

    /// A JSON text with keys outside the sections (`None`: not such a text).
    fn parse_flat_json(text: &str) -> Option<std::result::Result<Self, (Option<String>, String)>> {
        let value = serde_json::from_str::<Value>(text).ok()?;
        value.as_object()?.keys().any(|k| !is_section(k)).then(|| Self::from_value(value))
    }

    /// A TOML text with keys outside the sections (`None`: not such a text),
    /// sectioned as TOML so that NaN reaches validation as NaN.
    fn parse_flat_toml(text: &str) -> Option<std::result::Result<Self, (Option<String>, String)>> {
        let mut table = toml::from_str::<toml::Table>(text).ok()?;
        if table.keys().all(|k| is_section(k)) {
            return None;
        }
        Some(move_into_sections(&mut table).and_then(|()| {
            toml::Value::Table(table.clone()).try_into::<Self>().map_err(|e| {
                // Named by the JSON form, where a NaN is null and would be named
                // itself if its section came first: only a file with two faults.
                let json = serde_json::to_value(&table).unwrap_or(Value::Null);
                match bad_key(&json) {
                    Some(key) => (Some(key.clone()), format!("{key}: {}", e.message())),
                    None => (None, e.message().to_string()),
                }
            })
        }))
    }

    fn parse_sectioned(path: &Path, text: &str, is_toml: bool) -> Result<Self> {
        if is_toml {
            toml::from_str(text).map_err(|e| {
                let offset = e.span().map_or(0, |s| s.start as u64);
                Error::format(path, offset, format!("invalid config: {}", e.message()))
            })
        } else {
            serde_json::from_str(text).map_err(|e| {
                let offset = line_col_to_offset(text, e.line(), e.column());
                Error::format(path, offset, format!("invalid config: {e}"))
            })
        }
    }
}

/// The section names, and each section's keys, as the default config serialises.
fn layout() -> Map<String, Value> {
    match serde_json::to_value(SigahConfig::default()) {
        Ok(Value::Object(sections)) => sections,
        _ => unreachable!("a config serialises to an object"),
    }
}

fn is_section(key: &str) -> bool {
    layout().contains_key(key)
}

/// `value` with every top-level key that is not a section moved into its
/// section (renamed keys under their new names; removed keys dropped when off).
fn sectioned(mut value: Value) -> std::result::Result<Value, (Option<String>, String)> {
    if let Some(object) = value.as_object_mut() {
        move_into_sections(object)?;
    }
    Ok(value)
}

/// A table of keys: a JSON object, or a TOML table (which, unlike JSON, holds
/// NaN and infinities, so a flat TOML file is sectioned as TOML).
trait Table {
    type V: std::fmt::Display;
    fn key_list(&self) -> Vec<String>;
    fn take(&mut self, key: &str) -> Option<Self::V>;
    fn number(v: &Self::V) -> Option<f64>;
    /// The sub-table `name`, made empty if absent (`None`: not a table).
    fn section(&mut self, name: &str) -> Option<&mut Self>;
    /// Inserts; `true` when the key was there already.
    fn put(&mut self, key: &str, v: Self::V) -> bool;
}

impl Table for Map<String, Value> {
    type V = Value;
    fn key_list(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
    fn take(&mut self, key: &str) -> Option<Value> {
        self.remove(key)
    }
    fn number(v: &Value) -> Option<f64> {
        v.as_f64()
    }
    fn section(&mut self, name: &str) -> Option<&mut Self> {
        self.entry(name).or_insert_with(|| Value::Object(Map::new())).as_object_mut()
    }
    fn put(&mut self, key: &str, v: Value) -> bool {
        self.insert(key.to_string(), v).is_some()
    }
}

impl Table for toml::Table {
    type V = toml::Value;
    fn key_list(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
    fn take(&mut self, key: &str) -> Option<toml::Value> {
        self.remove(key)
    }
    fn number(v: &toml::Value) -> Option<f64> {
        v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
    }
    fn section(&mut self, name: &str) -> Option<&mut Self> {
        self.entry(name).or_insert_with(|| toml::Value::Table(toml::Table::new())).as_table_mut()
    }
    fn put(&mut self, key: &str, v: toml::Value) -> bool {
        self.insert(key.to_string(), v).is_some()
    }
}

/// Moves every top-level key of `object` that is not a section into its section.
fn move_into_sections<T: Table>(object: &mut T) -> std::result::Result<(), (Option<String>, String)> {
    let layout = layout();
    for key in object.key_list().into_iter().filter(|k| !layout.contains_key(k)) {
        let v = object.take(&key).expect("a key just listed");
        if let Some((_, off)) = REMOVED.iter().find(|(k, _)| *k == key) {
            if T::number(&v) != Some(*off) {
                return Err((Some(key.clone()), format!(
                    "{key} = {v}: this knob was measured, left off and removed (docs/METHOD.md, \"Measurements behind each change\"); only {off} is accepted"
                )));
            }
            continue;
        }
        let name = RENAMED.iter().find(|(old, _)| *old == key).map_or(key.as_str(), |(_, new)| new);
        let Some(section) = layout.iter().find(|(_, keys)| keys.get(name).is_some()).map(|(s, _)| s) else {
            let sections: Vec<&str> = layout.keys().map(String::as_str).collect();
            return Err((
                Some(key.clone()),
                format!("unknown field `{key}`: neither a config key nor a section ({})", sections.join(", ")),
            ));
        };
        let Some(slot) = object.section(section) else {
            return Err((Some(section.clone()), format!("{section}: must be a table of keys")));
        };
        if slot.put(name, v) {
            return Err((Some(key.clone()), format!("{key} is given both at the top level and in [{section}]")));
        }
    }
    Ok(())
}

/// The first key of a sectioned config value that does not read on its own (a
/// value's error has no position, and serde's message names no field).
fn bad_key(value: &Value) -> Option<&String> {
    let sections = value.as_object()?;
    sections.iter().filter_map(|(s, keys)| Some((s, keys.as_object()?))).find_map(|(section, keys)| {
        keys.iter().find_map(|(key, v)| {
            let alone = serde_json::json!({ section.as_str(): { key.as_str(): v } });
            serde_json::from_value::<SigahConfig>(alone).is_err().then_some(key)
        })
    })
}

/// The byte offset of a 1-based (line, column) position, for error messages.
fn line_col_to_offset(text: &str, line: usize, column: usize) -> u64 {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)) as u64
}

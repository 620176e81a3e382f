//! The human and machine forms of the results: a Markdown table and a JSON report.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::ResultRow;
use crate::{io::write_atomic, Result};

/// A Markdown table, one line per (relevance, method, bits), grouped by relevance
/// then width so methods at the same width sit together.
pub fn markdown_table(rows: &[ResultRow]) -> String {
    let mut sorted: Vec<&ResultRow> = rows.iter().collect();
    // Stable: methods keep their run order within a (relevance, bits) group.
    sorted.sort_by(|a, b| {
        relevance_rank(rows, &a.relevance).cmp(&relevance_rank(rows, &b.relevance)).then(a.bits.cmp(&b.bits))
    });
    let mut out = String::new();
    out.push_str(
        "| relevance | bits | method | mAP | P@100 | R@100 | P@r≤2 | R10@10 | R10@100 | R10@1000 | train s | encode s |\n",
    );
    out.push_str("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in sorted {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.2} | {:.3} |",
            r.relevance,
            r.bits,
            r.method,
            r.map,
            r.p_at_100,
            r.r_at_100,
            r.p_r2,
            r.recall_10_at_10,
            r.recall_10_at_100,
            r.recall_10_at_1000,
            r.train_s,
            r.encode_s
        );
    }
    out
}

/// Position of a relevance name's first appearance (the run order).
fn relevance_rank(rows: &[ResultRow], name: &str) -> usize {
    rows.iter().position(|r| r.relevance == name).unwrap_or(usize::MAX)
}

/// Writes `{"results": [...]}` to `path`, atomically.
pub fn write_report(path: &Path, rows: &[ResultRow]) -> Result<()> {
    write_report_with(path, &serde_json::Value::Null, rows)
}

/// Writes `{"run": run, "results": [...]}` to `path`, atomically: `run` says
/// how the results were made (the command line records version, commit, inputs,
/// seed, threads, machine), so a report can be traced and re-run.
pub fn write_report_with(path: &Path, run: &serde_json::Value, rows: &[ResultRow]) -> Result<()> {
    #[derive(serde::Serialize)]
    struct Report<'a> {
        #[serde(skip_serializing_if = "serde_json::Value::is_null")]
        run: &'a serde_json::Value,
        results: &'a [ResultRow],
    }
    let json =
        serde_json::to_vec_pretty(&Report { run, results: rows }).map_err(|e| crate::Error::io(path, e.into()))?;
    write_atomic(path, |w: &mut dyn Write| {
        w.write_all(&json)?;
        w.write_all(b"\n")
    })
}

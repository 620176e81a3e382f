//! SVG plots of the results with `plotters`: for every relevance and code width,
//! a precision-recall curve (by Hamming radius) and a recall@N curve; for every
//! code width, recall 10@C against C (the same under every relevance); one line
//! per method.

use std::io::Write;
use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::ResultRow;
use crate::{io::write_atomic, Error, Result};

/// Writes `DIR/pr_<relevance>_<bits>.svg` and `DIR/recall_<relevance>_<bits>.svg`
/// for every (relevance, bits) in `rows`, and `DIR/recall10_<bits>.svg` for every
/// width; returns the files written.
pub fn write_plots(dir: &Path, rows: &[ResultRow]) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut groups: Vec<(String, usize)> = Vec::new();
    for r in rows {
        if !groups.contains(&(r.relevance.clone(), r.bits)) {
            groups.push((r.relevance.clone(), r.bits));
        }
    }
    let mut written = Vec::new();
    for (relevance, bits) in groups {
        let group: Vec<&ResultRow> = rows.iter().filter(|r| r.relevance == relevance && r.bits == bits).collect();
        let pr: Vec<(String, Vec<(f64, f64)>)> = group
            .iter()
            .map(|r| (r.method.clone(), r.pr_curve.iter().map(|p| (p.recall, p.precision)).collect()))
            .collect();
        let path = dir.join(format!("pr_{relevance}_{bits}.svg"));
        let title = format!("precision-recall, {bits} bits, relevance {relevance}");
        write_svg(&path, &svg_chart(&title, "recall", "precision", &pr, false).map_err(|e| plot_error(&path, e))?)?;
        written.push(path);

        let rec: Vec<(String, Vec<(f64, f64)>)> =
            group.iter().map(|r| (r.method.clone(), r.at_n.iter().map(|a| (a.n as f64, a.recall)).collect())).collect();
        let path = dir.join(format!("recall_{relevance}_{bits}.svg"));
        let title = format!("recall@N, {bits} bits, relevance {relevance}");
        write_svg(
            &path,
            &svg_chart(&title, "N (ranked items)", "recall", &rec, true).map_err(|e| plot_error(&path, e))?,
        )?;
        written.push(path);
    }
    let mut widths: Vec<usize> = rows.iter().map(|r| r.bits).collect();
    widths.sort_unstable();
    widths.dedup();
    for bits in widths {
        // Recall 10@C does not depend on the relevance: one line per method, from
        // the method's first row at this width.
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for r in rows.iter().filter(|r| r.bits == bits) {
            if !series.iter().any(|(m, _)| *m == r.method) {
                series.push((r.method.clone(), r.recall_10_curve.iter().map(|p| (p.c as f64, p.recall)).collect()));
            }
        }
        let path = dir.join(format!("recall10_{bits}.svg"));
        let title = format!("recall 10@C (true top 10 among the first C candidates), {bits} bits");
        write_svg(
            &path,
            &svg_chart(&title, "C (Hamming candidates re-ranked)", "recall 10@C", &series, true)
                .map_err(|e| plot_error(&path, e))?,
        )?;
        written.push(path);
    }
    Ok(written)
}

fn plot_error(path: &Path, e: String) -> Error {
    Error::io(path, std::io::Error::other(format!("drawing the plot failed: {e}")))
}

fn write_svg(path: &Path, svg: &str) -> Result<()> {
    write_atomic(path, |w: &mut dyn Write| w.write_all(svg.as_bytes()))
}

/// One chart with a line per series; x on a log scale when `log_x`. y is in [0, 1].
fn svg_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> std::result::Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f64, f64::max);
        let mut builder = ChartBuilder::on(&root);
        builder.caption(title, ("sans-serif", 20)).margin(12).x_label_area_size(40).y_label_area_size(50);
        if log_x {
            let chart =
                builder.build_cartesian_2d((1.0f64..x_max).log_scale(), 0.0f64..1.0).map_err(|e| e.to_string())?;
            draw_lines(chart, x_desc, y_desc, series, |p| p.0 >= 1.0)?;
        } else {
            let chart = builder.build_cartesian_2d(0.0f64..1.0, 0.0f64..1.0).map_err(|e| e.to_string())?;
            draw_lines(chart, x_desc, y_desc, series, |_| true)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The mesh, one line per series (its points that `keep`) and the legend, on
/// either kind of x axis.
fn draw_lines<'a, DB, X>(
    mut chart: ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    keep: impl Fn(&(f64, f64)) -> bool,
) -> std::result::Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(|e| e.to_string())?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied().filter(|p| keep(p)), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

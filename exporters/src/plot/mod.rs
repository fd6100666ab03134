//! Plots for slides and pages: line charts with 95% CI error bars and analytic curves, histograms and CDFs,
//! as SVG and PNG rendered in memory. `layout` places everything in pixels (ticks labelled on both axes, the
//! legend beside or below the plot area, a note for what a log axis cannot show); `svg` and `png` draw that
//! layout, with text as outlines of the DejaVu Sans font shipped in the binary, so no system font is needed
//! and both files look the same everywhere.

mod layout;
mod png;
mod svg;
mod text;
mod ticks;

use runner::RunReport;
use runner::sweep::{Sweep, value_text};
use serde_json::{Map, Value};

pub use layout::{Anchor, Layer, Layout, Mark, Rect, Rgb, Text, group_colour, layout};

use crate::Artifact;
use crate::number::fmt_num;

/// A figure to render.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub content: Content,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Lines(Vec<Series>),
    /// Overlaid histograms, one per labelled sample, on shared bins.
    Histogram(Vec<(String, Vec<f64>)>),
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// 95% interval per point (empty: none drawn).
    pub ci: Vec<(f64, f64)>,
    pub style: Style,
    pub ink: Ink,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Simulated means: solid line with a marker per point (marker shape by group).
    Measured,
    /// A formula: dashed line without markers; formulas of one colour take different dash patterns.
    Analytic,
    /// A dense curve (series, CDF): solid line without markers.
    Curve,
}

/// Colour of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ink {
    /// The colour of group i: every group of a figure has its own (Okabe–Ito up to six, viridis beyond);
    /// an analytic curve takes the colour of the measurement it predicts.
    Group(usize),
    /// Black: a formula shared by every group.
    Neutral,
}

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot plot: {0}")]
pub struct PlotError(pub String);

fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// A drawing laid out by other exporters (pictures of a spread), as SVG with text as glyph outlines.
pub fn svg(layout: &Layout) -> Result<String, PlotError> {
    svg::render(layout)
}

/// A line of text in the plot font at `(x, y)` (its baseline), for drawings laid out by other exporters.
pub fn text(text: &str, size: f64, (x, y): (f64, f64), anchor: Anchor, color: Rgb) -> Result<Text, PlotError> {
    Ok(Text::new(self::text::Face::get(false)?, text, size, (x, y), anchor, color))
}

/// Renders `figure` as `<stem>.svg` and `<stem>.png`.
pub fn render(figure: &Figure, stem: &str) -> Result<Vec<Artifact>, PlotError> {
    let layout = layout(figure)?;
    Ok(vec![
        Artifact { path: format!("{stem}.svg"), bytes: svg::render(&layout)?.into_bytes() },
        Artifact { path: format!("{stem}.png"), bytes: png::render(&layout)? },
    ])
}

/// Which axes are logarithmic; `None` lets the plot decide (logarithmic when the values span decades).
/// Written `auto`, `none`, `x`, `y` or `xy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct LogAxes {
    pub x: Option<bool>,
    pub y: Option<bool>,
}

impl TryFrom<&str> for LogAxes {
    type Error = String;

    fn try_from(text: &str) -> Result<LogAxes, String> {
        let (x, y) = match text {
            "auto" => return Ok(LogAxes::default()),
            "none" => (false, false),
            "x" => (true, false),
            "y" => (false, true),
            "xy" => (true, true),
            other => return Err(format!("`{other}`; expected auto, none, x, y or xy")),
        };
        Ok(LogAxes { x: Some(x), y: Some(y) })
    }
}

impl TryFrom<String> for LogAxes {
    type Error = String;

    fn try_from(text: String) -> Result<LogAxes, String> {
        LogAxes::try_from(text.as_str())
    }
}

/// Whether values spread over enough orders of magnitude that a log axis shows them better.
pub fn wants_log(values: &[f64], decades: f64) -> bool {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    !finite.is_empty() && lo > 0.0 && (hi / lo).log10() >= decades
}

/// The empirical CDF of each labelled sample as step curves.
pub fn cdf(samples: &[(String, Vec<f64>)]) -> Vec<Series> {
    samples
        .iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len() as f64;
            let mut points = Vec::with_capacity(2 * sorted.len());
            for (k, &v) in sorted.iter().enumerate() {
                points.push((v, k as f64 / n));
                points.push((v, (k + 1) as f64 / n));
            }
            Series { label: label.clone(), points, ci: Vec::new(), style: Style::Curve, ink: Ink::Group(i) }
        })
        .collect()
}

/// What to draw from a sweep: metrics against one parameter, one line per value of another.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepPlot {
    pub x: String,
    pub metrics: Vec<String>,
    /// A second parameter: one line per value (every other parameter must then be fixed).
    pub group: Option<String>,
    /// Draw the analytic values predicting each metric (default on).
    pub no_analytic: bool,
    /// Analytic values to leave out by name.
    pub hide: Vec<String>,
    pub log: LogAxes,
    pub title: Option<String>,
    pub y_label: Option<String>,
    /// Legend names: of a metric, of an analytic value (by name, instead of its formula) or of a group
    /// (`name = value`, the last segment of the parameter's path).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Mean with 95% CI of each metric against `plot.x`, with its analytic values as dashed lines. A formula
/// curve shared by several lines is drawn once: in black when every line shares it.
pub fn sweep_lines(sweep: &Sweep, reports: &[RunReport], plot: &SweepPlot) -> Result<Figure, PlotError> {
    if !sweep.parameters.contains(&plot.x) {
        return Err(PlotError(format!(
            "`{}` is not a parameter of sweep {}; it varies {:?}",
            plot.x, sweep.name, sweep.parameters
        )));
    }
    let groups = group_points(sweep, plot.group.as_deref())?;
    let mut measured = Vec::new();
    // (label of the measured line, formula, points) for every analytic value.
    let mut formulas: Vec<(String, String, Points)> = Vec::new();
    for metric in &plot.metrics {
        for (group, points) in &groups {
            let group = plot.labels.get(group).unwrap_or(group);
            let shown = plot.labels.get(metric).unwrap_or(metric);
            let label = match (plot.metrics.len(), group.is_empty()) {
                (1, true) => "simulated (mean, 95% CI)".to_owned(),
                (1, false) => group.clone(),
                (_, true) => shown.clone(),
                (_, false) => format!("{shown}, {group}"),
            };
            let mut line = Series {
                label: label.clone(),
                points: Vec::new(),
                ci: Vec::new(),
                style: Style::Measured,
                ink: Ink::Group(measured.len()),
            };
            let first_formula = formulas.len();
            for &p in points {
                let x = sweep.points[p].parameters[&plot.x]
                    .as_f64()
                    .ok_or_else(|| PlotError(format!("`{}` takes non-numeric values; choose a numeric x", plot.x)))?;
                let report = &reports[p];
                if let Some((_, s)) = report.metrics().into_iter().find(|(n, _)| n == metric) {
                    line.points.push((x, s.mean));
                    line.ci.push(s.ci95);
                }
                let predictions = report.analytic().into_iter().filter(|a| &a.metric == metric);
                for a in predictions.filter(|a| !plot.no_analytic && !plot.hide.contains(&a.name)) {
                    let shown = plot.labels.get(&a.name).cloned().unwrap_or(a.formula);
                    match formulas[first_formula..].iter_mut().find(|(_, f, _)| *f == shown) {
                        Some((_, _, pts)) => pts.push((x, a.value)),
                        None => formulas.push((label.clone(), shown, vec![(x, a.value)])),
                    }
                }
            }
            if line.points.is_empty() {
                return Err(PlotError(format!("no point of sweep {} reports metric `{metric}`", sweep.name)));
            }
            measured.push(line);
        }
    }
    let mut series = measured.clone();
    // Distinct curves, with the measured lines they belong to.
    let mut curves: Vec<(String, Points, Vec<String>)> = Vec::new();
    for (owner, formula, points) in formulas {
        match curves.iter_mut().find(|(_, p, _)| same_curve(p, &points)) {
            Some((_, _, owners)) => owners.push(owner),
            None => curves.push((formula, points, vec![owner])),
        }
    }
    for (formula, points, owners) in curves {
        let (label, ink) = if owners.len() == measured.len() && measured.len() > 1 {
            (formula, Ink::Neutral)
        } else if measured.len() == 1 {
            // The measured line has the first colour; each formula gets its own.
            (formula, Ink::Group(series.len()))
        } else {
            let group = measured.iter().position(|m| m.label == owners[0]).unwrap_or(0);
            (format!("{formula} ({})", owners.join("; ")), Ink::Group(group))
        };
        series.push(Series { label, points, ci: Vec::new(), style: Style::Analytic, ink });
    }
    let xs: Vec<f64> = sweep.points.iter().filter_map(|p| p.parameters[&plot.x].as_f64()).collect();
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let y_name = plot.metrics.join(", ");
    Ok(Figure {
        title: plot.title.clone().unwrap_or_else(|| format!("{y_name} vs {}", plot.x)),
        x_label: plot.x.clone(),
        y_label: plot.y_label.clone().unwrap_or(y_name),
        log_x: plot.log.x.unwrap_or_else(|| wants_log(&xs, 2.0)),
        log_y: plot.log.y.unwrap_or_else(|| wants_log(&ys, 3.0)),
        content: Content::Lines(series),
    })
}

type Points = Vec<(f64, f64)>;

fn same_curve(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
    let close = |u: f64, v: f64| (u - v).abs() <= 1e-9 * u.abs().max(v.abs()).max(1.0);
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| close(p.0, q.0) && close(p.1, q.1))
}

/// Points grouped by the value of `group` (one unnamed group without it), checking that no other
/// parameter varies within a group (the line would zigzag).
fn group_points(sweep: &Sweep, group: Option<&str>) -> Result<Vec<(String, Vec<usize>)>, PlotError> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (p, point) in sweep.points.iter().enumerate() {
        let label = match group {
            Some(g) => {
                let (k, v) = point
                    .parameters
                    .get_key_value(g)
                    .ok_or_else(|| PlotError(format!("`{g}` is not a parameter of the sweep")))?;
                point_label(&Map::from_iter([(k.clone(), v.clone())]))
            }
            None => String::new(),
        };
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ps)) => ps.push(p),
            None => groups.push((label, vec![p])),
        }
    }
    Ok(groups)
}

/// The values of `metric` over the runs of each point (labelled by its parameters), for histograms and CDFs.
pub fn metric_samples(sweep: &Sweep, reports: &[RunReport], metric: &str) -> Vec<(String, Vec<f64>)> {
    sweep
        .points
        .iter()
        .zip(reports)
        .map(|(point, report)| (point_label(&point.parameters), report.values(metric)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The label of a point in legends and column headers: `name = value, …` with the last segment of each
/// parameter's path and numbers to six significant digits (a `linspace` step of 0.05 reads 0.6, not
/// 0.6000000000000001).
pub fn point_label(parameters: &Map<String, Value>) -> String {
    let value = |v: &Value| v.as_f64().map_or_else(|| value_text(v), fmt_num);
    let parts: Vec<String> = parameters.iter().map(|(k, v)| format!("{} = {}", short(k), value(v))).collect();
    parts.join(", ")
}

/// The last segment of a dotted path (`model.p_flood` → `p_flood`), for compact legends.
pub fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Series against their index (round, cycle). A series named after another plus a suffix
/// (`ignorant_fraction_recursion` beside `ignorant_fraction`) is that one's formula: dashed, same colour.
/// The i-th value is drawn at x = `x_from + i`.
pub fn series_lines(title: &str, x_label: &str, series: &[(String, Vec<f64>)], x_from: f64, log: LogAxes) -> Figure {
    let mut lines: Vec<Series> = Vec::new();
    let mut measured: Vec<&str> = Vec::new();
    for (name, values) in series {
        let base =
            series.iter().map(|(n, _)| n.as_str()).find(|b| name.len() > b.len() && name.starts_with(&format!("{b}_")));
        let (style, group) = match base {
            Some(b) => (Style::Analytic, measured.iter().position(|m| *m == b).unwrap_or(measured.len())),
            None => {
                measured.push(name);
                (if values.len() > 40 { Style::Curve } else { Style::Measured }, measured.len() - 1)
            }
        };
        let points = values.iter().enumerate().map(|(i, &v)| (x_from + i as f64, v)).collect();
        lines.push(Series { label: name.clone(), points, ci: Vec::new(), style, ink: Ink::Group(group) });
    }
    let positive: Vec<f64> = series.iter().flat_map(|(_, v)| v.iter().copied()).filter(|&v| v > 0.0).collect();
    Figure {
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: if measured.len() <= 2 { measured.join(", ") } else { "mean over replicates".to_owned() },
        log_x: log.x.unwrap_or(false),
        log_y: log.y.unwrap_or_else(|| wants_log(&positive, 3.0)),
        content: Content::Lines(lines),
    }
}

/// Whether a series is a quantile function: by convention a name ending in `_quantiles` holds the values at
/// equally spaced levels 0, …, 1 (ALM's `<group>.stretch_quantiles`), not values per round.
pub fn is_quantile_function(name: &str) -> bool {
    name.ends_with("_quantiles")
}

/// Quantile functions drawn as CDFs: each value on x against its level on y.
pub fn quantile_cdfs(title: &str, x_label: &str, series: &[(String, Vec<f64>)], log_x: Option<bool>) -> Figure {
    let lines = series
        .iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let last = values.len().saturating_sub(1).max(1) as f64;
            let points = values.iter().enumerate().map(|(k, &v)| (v, k as f64 / last)).collect();
            Series { label: label.clone(), points, ci: Vec::new(), style: Style::Curve, ink: Ink::Group(i) }
        })
        .collect();
    let all: Vec<f64> = series.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    Figure {
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: "fraction ≤ x".to_owned(),
        log_x: log_x.unwrap_or_else(|| wants_log(&all, 2.0)),
        log_y: false,
        content: Content::Lines(lines),
    }
}

/// Histogram or CDF of labelled samples.
pub fn distribution(
    title: &str,
    x_label: &str,
    samples: Vec<(String, Vec<f64>)>,
    as_cdf: bool,
    log_x: Option<bool>,
) -> Figure {
    let all: Vec<f64> = samples.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let (y_label, content, log_x) = if as_cdf {
        ("fraction ≤ x", Content::Lines(cdf(&samples)), log_x.unwrap_or_else(|| wants_log(&all, 2.0)))
    } else {
        ("count", Content::Histogram(samples), false)
    };
    Figure {
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: y_label.to_owned(),
        log_x,
        log_y: false,
        content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_figure() -> Figure {
        Figure {
            title: "coverage vs p".into(),
            x_label: "p".into(),
            y_label: "coverage".into(),
            log_x: true,
            log_y: false,
            content: Content::Lines(vec![
                Series {
                    label: "simulated".into(),
                    points: vec![(0.01, 0.2), (0.1, 0.8), (1.0, 1.0)],
                    ci: vec![(0.1, 0.3), (0.7, 0.9), (1.0, 1.0)],
                    style: Style::Measured,
                    ink: Ink::Group(0),
                },
                Series {
                    label: "formula".into(),
                    points: vec![(0.01, 0.25), (1.0, 1.0)],
                    ci: vec![],
                    style: Style::Analytic,
                    ink: Ink::Group(0),
                },
            ]),
        }
    }

    #[test]
    fn renders_svg_and_png_deterministically() {
        let a = render(&line_figure(), "f").unwrap();
        assert_eq!(a.iter().map(|x| x.path.as_str()).collect::<Vec<_>>(), ["f.svg", "f.png"]);
        let svg = String::from_utf8(a[0].bytes.clone()).unwrap();
        assert!(svg.contains("coverage vs p") && svg.contains("simulated") && svg.contains("formula"));
        assert_eq!(&a[1].bytes[1..4], b"PNG");
        assert_eq!(render(&line_figure(), "f").unwrap(), a);
    }

    /// The SVG carries its font: every text is glyph outlines defined in the file, none needs a system font.
    #[test]
    fn svg_text_is_drawn_with_the_embedded_glyphs() {
        let svg = String::from_utf8(render(&line_figure(), "f").unwrap().remove(0).bytes).unwrap();
        assert!(!svg.contains("<text") && !svg.contains("font-family"));
        let used: Vec<&str> = svg.split("xlink:href=\"#").skip(1).map(|u| &u[..u.find('"').unwrap()]).collect();
        assert!(used.len() > 20);
        for id in used {
            assert!(svg.contains(&format!("<path id=\"{id}\" d=\"M")), "glyph {id} is not defined");
        }
        for words in ["coverage vs p", "simulated", "formula", "coverage", "0.01"] {
            assert!(svg.contains(&format!("aria-label=\"{words}\"")), "{words}");
        }
        assert!(svg.len() < 60_000, "{} bytes", svg.len());
    }

    /// The PNG draws each text where the layout put it, the rotated y label included.
    #[test]
    fn png_text_lands_where_the_layout_puts_it() {
        let f = line_figure();
        let l = layout(&f).unwrap();
        let png = render(&f, "f").unwrap().remove(1).bytes;
        let image = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!((image.width(), image.height()), (l.width as u32, l.height as u32));
        let ink = |r: Rect| {
            let (x0, y0, x1, y1) = (r.x0.floor() as u32, r.y0.floor() as u32, r.x1.ceil() as u32, r.y1.ceil() as u32);
            (x0..x1)
                .flat_map(|x| (y0..y1).map(move |y| (x, y)))
                .filter(|&(x, y)| image.get_pixel(x, y).0[0] < 128)
                .count()
        };
        for class in ["labels", "x-ticks", "y-ticks", "legend"] {
            for t in &l.layer(class).unwrap().texts {
                let b = t.bounds();
                assert!(ink(b) >= 10, "`{}` is not drawn in {b:?}", t.text);
                // Nothing dark right beside a label (on the side away from the plot area).
                let side = if t.vertical {
                    Rect { x0: 1.0, x1: b.x0 - 1.0, ..b }
                } else {
                    Rect { y0: b.y0 - 12.0, y1: b.y0 - 1.0, ..b }
                };
                if class == "labels" && side.x1 > side.x0 && side.y1 > side.y0 && side.y0 > 0.0 {
                    assert_eq!(ink(side), 0, "`{}` drawn off its place", t.text);
                }
            }
        }
    }

    #[test]
    fn quantile_functions_become_cdfs() {
        let f = quantile_cdfs("stretch", "stretch", &[("all.stretch_quantiles".into(), vec![1.0, 2.0, 8.0])], None);
        let Content::Lines(lines) = &f.content else { panic!("lines") };
        assert_eq!(lines[0].points, [(1.0, 0.0), (2.0, 0.5), (8.0, 1.0)]);
        assert_eq!((f.x_label.as_str(), f.y_label.as_str()), ("stretch", "fraction ≤ x"));
        assert!(is_quantile_function("everyone.stretch_quantiles") && !is_quantile_function("churn.alive"));
    }

    #[test]
    fn points_are_labelled_with_short_names_and_readable_numbers() {
        let point: Map<String, Value> = serde_json::from_str(
            r#"{"model.p_flood": 0.6000000000000001, "model.mode": "push_pull", "topology.nodes": 1000}"#,
        )
        .unwrap();
        assert_eq!(point_label(&point), "p_flood = 0.6, mode = push_pull, nodes = 1000");
    }

    #[test]
    fn log_axes_are_read_from_their_names() {
        assert_eq!(LogAxes::try_from("auto"), Ok(LogAxes { x: None, y: None }));
        assert_eq!(LogAxes::try_from("y"), Ok(LogAxes { x: Some(false), y: Some(true) }));
        assert!(LogAxes::try_from("z").unwrap_err().contains("auto, none, x, y or xy"));
    }

    #[test]
    fn cdf_steps_reach_one() {
        let c = cdf(&[("x".into(), vec![3.0, 1.0, 2.0])]);
        assert_eq!(c[0].points.first(), Some(&(1.0, 0.0)));
        assert_eq!(c[0].points.last(), Some(&(3.0, 1.0)));
    }

    #[test]
    fn log_axes_only_for_wide_positive_ranges() {
        assert!(wants_log(&[1000.0, 10000.0, 1e6], 2.0));
        assert!(!wants_log(&[0.0, 1.0, 1000.0], 2.0));
        assert!(!wants_log(&[1.0, 50.0], 2.0));
    }
}

//! Plots for slides: line charts with 95% CI error bars and analytic curves, histograms and CDFs, as SVG and
//! PNG rendered in memory with an embedded font (DejaVu Sans), so no system fonts are needed.

use std::sync::Once;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontStyle;
use runner::RunReport;
use runner::sweep::{Sweep, value_text};

use crate::Artifact;
use crate::number::fmt_num;

/// Pixel size of every plot (3:2, sharp on a slide).
const SIZE: (u32, u32) = (1200, 800);
const FONT: &str = "sans-serif";

/// Okabe–Ito colours: distinct for colour-blind readers and in greyscale print.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

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
    /// Index into the palette; an analytic curve takes the colour of the measurement it predicts.
    pub color: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Simulated means: solid line with a marker per point (marker shape by colour index).
    Measured,
    /// A formula: dashed line without markers.
    Analytic,
    /// A dense curve (series, CDF): solid line without markers.
    Curve,
}

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot plot: {0}")]
pub struct PlotError(pub String);

fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// Renders `figure` as `<stem>.svg` and `<stem>.png`.
pub fn render(figure: &Figure, stem: &str) -> Result<Vec<Artifact>, PlotError> {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bytes are a valid TTF shipped by the dejavu crate; a failure here is a build problem.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
    let bounds = Bounds::of(figure)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, figure, &bounds)?;
        root.present().map_err(err)?;
    }
    let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&root, figure, &bounds)?;
        root.present().map_err(err)?;
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&pixels, SIZE.0, SIZE.1, image::ExtendedColorType::Rgb8).map_err(err)?;
    Ok(vec![
        Artifact { path: format!("{stem}.svg"), bytes: svg.into_bytes() },
        Artifact { path: format!("{stem}.png"), bytes: png },
    ])
}

/// Axis ranges, histogram bins and the legend corner, computed once for both backends.
struct Bounds {
    x: (f64, f64),
    y: (f64, f64),
    bins: Vec<f64>,
    legend: SeriesLabelPosition,
}

impl Bounds {
    fn of(f: &Figure) -> Result<Bounds, PlotError> {
        let keep = |x: f64, log: bool| x.is_finite() && (!log || x > 0.0);
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut bins = Vec::new();
        match &f.content {
            Content::Lines(series) => {
                for s in series {
                    for (i, &(x, y)) in s.points.iter().enumerate() {
                        if keep(x, f.log_x) && keep(y, f.log_y) {
                            xs.push(x);
                            ys.push(y);
                            if let Some(&(lo, hi)) = s.ci.get(i) {
                                ys.extend([lo, hi].into_iter().filter(|&v| keep(v, f.log_y)));
                            }
                        }
                    }
                }
            }
            Content::Histogram(samples) => {
                let all: Vec<f64> =
                    samples.iter().flat_map(|(_, v)| v.iter().copied()).filter(|v| v.is_finite()).collect();
                bins = histogram_bins(&all);
                xs.extend([bins[0], bins[bins.len() - 1]]);
                ys.push(0.0);
                ys.extend(samples.iter().flat_map(|(_, v)| counts(v, &bins)).map(|c| c as f64));
            }
        }
        if xs.is_empty() {
            return Err(PlotError(format!("`{}` has no finite values to draw", f.title)));
        }
        let x = pad(xs.iter().copied(), f.log_x);
        let y = match f.content {
            // Bars stand on zero.
            Content::Histogram(_) => (0.0, ys.iter().fold(1.0, |a: f64, &b| a.max(b)) * 1.08),
            Content::Lines(_) => pad(ys.iter().copied(), f.log_y),
        };
        let legend = emptiest_corner(f, x, y);
        Ok(Bounds { x, y, bins, legend })
    }
}

/// Range of `values` with a margin: 5% of the span on linear axes, a factor on log axes.
fn pad(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if log {
        let f = (hi / lo).powf(0.05).max(1.2);
        (lo / f, hi * f)
    } else {
        let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
        (lo - 0.05 * span, hi + 0.05 * span)
    }
}

/// The legend goes in the corner that holds the fewest data points.
fn emptiest_corner(f: &Figure, x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let unit = |v: f64, (a, b): (f64, f64), log: bool| {
        if log { (v.ln() - a.ln()) / (b.ln() - a.ln()) } else { (v - a) / (b - a) }
    };
    let points: Vec<(f64, f64)> = match &f.content {
        // Points along every segment, so that lines count and not only their vertices.
        Content::Lines(series) => series
            .iter()
            .flat_map(|s| {
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .filter(|p| {
                        p.0.is_finite() && p.1.is_finite() && (!f.log_x || p.0 > 0.0) && (!f.log_y || p.1 > 0.0)
                    })
                    .map(|&(px, py)| (unit(px, x, f.log_x), unit(py, y, f.log_y)))
                    .collect();
                let mut along: Vec<(f64, f64)> = pts.clone();
                for w in pts.windows(2) {
                    along.extend((1..10).map(|k| {
                        let t = f64::from(k) / 10.0;
                        (w[0].0 + t * (w[1].0 - w[0].0), w[0].1 + t * (w[1].1 - w[0].1))
                    }));
                }
                along
            })
            .collect(),
        // Each bar as a column of points from its base to its top.
        Content::Histogram(samples) => {
            let bins = histogram_bins(&samples.iter().flat_map(|(_, v)| v.iter().copied()).collect::<Vec<_>>());
            let mut pts = Vec::new();
            for (_, values) in samples {
                for (k, c) in counts(values, &bins).into_iter().enumerate().filter(|&(_, c)| c > 0) {
                    let center = unit((bins[k] + bins[k + 1]) / 2.0, x, false);
                    pts.extend((0..=10).map(|t| (center, unit(c as f64 * f64::from(t) / 10.0, y, false))));
                }
            }
            pts
        }
    };
    let corners = [
        (SeriesLabelPosition::UpperRight, 0.55, 0.6),
        (SeriesLabelPosition::UpperLeft, 0.0, 0.6),
        (SeriesLabelPosition::LowerRight, 0.55, 0.0),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
    ];
    let inside = |&(cx, cy): &(f64, f64)| {
        points.iter().filter(|&&(px, py)| px >= cx && px <= cx + 0.45 && py >= cy && py <= cy + 0.4).count()
    };
    corners.into_iter().min_by_key(|(_, cx, cy)| inside(&(*cx, *cy))).map(|(c, _, _)| c).expect("four corners")
}

/// Unit-wide bins centred on the integers for small integer data (link stress, hop counts), 30 bins otherwise.
fn histogram_bins(values: &[f64]) -> Vec<f64> {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if values.is_empty() {
        return vec![0.0, 1.0];
    }
    if values.iter().all(|v| v.fract() == 0.0) && hi - lo <= 60.0 {
        return (0..=(hi - lo) as i64 + 1).map(|i| lo - 0.5 + i as f64).collect();
    }
    let width = if hi > lo { (hi - lo) / 30.0 } else { 1.0 };
    (0..=30).map(|i| lo + width * f64::from(i)).collect()
}

fn counts(values: &[f64], bins: &[f64]) -> Vec<usize> {
    let mut c = vec![0; bins.len() - 1];
    for &v in values.iter().filter(|v| v.is_finite()) {
        // The last bin is closed on the right so the maximum counts.
        let i = bins.partition_point(|&b| b <= v).saturating_sub(1).min(c.len() - 1);
        c[i] += 1;
    }
    c
}

fn draw<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    f: &Figure,
    b: &Bounds,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(err)?;
    let (xs, ys) = (b.x.0..b.x.1, b.y.0..b.y.1);
    match (f.log_x, f.log_y) {
        (false, false) => draw_in(root, f, b, xs, ys),
        (true, false) => draw_in(root, f, b, xs.log_scale(), ys),
        (false, true) => draw_in(root, f, b, xs, ys.log_scale()),
        (true, true) => draw_in(root, f, b, xs.log_scale(), ys.log_scale()),
    }
}

fn draw_in<'a, DB, X, Y>(
    root: &'a DrawingArea<DB, Shift>,
    f: &Figure,
    b: &Bounds,
    xs: X,
    ys: Y,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(&f.title, (FONT, 38).into_font().style(FontStyle::Bold))
        .margin(24)
        .x_label_area_size(90)
        .y_label_area_size(130)
        .build_cartesian_2d(xs, ys)
        .map_err(err)?;
    // A linear axis may put float noise at zero; a log axis has no zero, only small values.
    let x_tick = |v: &f64| tick_label(*v, f.log_x);
    let y_tick = |v: &f64| tick_label(*v, f.log_y);
    let counts_tick = |v: &f64| if v.fract() == 0.0 { tick_label(*v, false) } else { String::new() };
    let histogram = matches!(f.content, Content::Histogram(_));
    chart
        .configure_mesh()
        .max_light_lines(4)
        .x_desc(&f.x_label)
        .y_desc(&f.y_label)
        .x_label_formatter(&x_tick)
        .y_label_formatter(if histogram { &counts_tick } else { &y_tick })
        .label_style((FONT, 24))
        .axis_desc_style((FONT, 30))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(err)?;
    let visible =
        |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!f.log_x || x > 0.0) && (!f.log_y || y > 0.0);
    match &f.content {
        Content::Lines(series) => {
            for s in series {
                let color = PALETTE[s.color % PALETTE.len()];
                let points: Vec<(f64, f64)> = s.points.iter().copied().filter(visible).collect();
                let line = color.stroke_width(3);
                let anno = match s.style {
                    Style::Analytic => chart.draw_series(DashedLineSeries::new(points.clone(), 14, 8, line)),
                    _ => chart.draw_series(LineSeries::new(points.clone(), line)),
                }
                .map_err(err)?;
                anno.label(&s.label);
                let (filled, at) = (color.filled(), |x, y| EmptyElement::at((x, y)));
                let stroke = move || PathElement::new(vec![(0, 0), (28, 0)], line);
                // Marker shape by colour index: circle, triangle, square, cross (concrete types: plotters'
                // dynamic elements would need a 'static backend).
                let shape = s.color % 4;
                match s.style {
                    Style::Analytic => anno.legend(move |(x, y)| {
                        at(x, y)
                            + PathElement::new(vec![(0, 0), (10, 0)], line)
                            + PathElement::new(vec![(18, 0), (28, 0)], line)
                    }),
                    Style::Curve => anno.legend(move |(x, y)| at(x, y) + stroke()),
                    Style::Measured => match shape {
                        0 => anno.legend(move |(x, y)| at(x, y) + stroke() + Circle::new((14, 0), 7, filled)),
                        1 => anno.legend(move |(x, y)| at(x, y) + stroke() + TriangleMarker::new((14, 0), 9, filled)),
                        2 => {
                            anno.legend(move |(x, y)| at(x, y) + stroke() + Rectangle::new([(8, -6), (20, 6)], filled))
                        }
                        _ => anno.legend(move |(x, y)| at(x, y) + stroke() + Cross::new((14, 0), 7, line)),
                    },
                };
                if s.style == Style::Measured {
                    let mark = points.iter().map(|&p| EmptyElement::at(p));
                    match shape {
                        0 => chart.draw_series(mark.map(|e| e + Circle::new((0, 0), 7, filled))).map(drop),
                        1 => chart.draw_series(mark.map(|e| e + TriangleMarker::new((0, 0), 9, filled))).map(drop),
                        2 => chart.draw_series(mark.map(|e| e + Rectangle::new([(-6, -6), (6, 6)], filled))).map(drop),
                        _ => chart.draw_series(mark.map(|e| e + Cross::new((0, 0), 7, line))).map(drop),
                    }
                    .map_err(err)?;
                }
                let floor = b.y.0;
                for (&(x, y), &(lo, hi)) in s.points.iter().zip(&s.ci) {
                    if !visible(&(x, y)) || hi <= lo {
                        continue;
                    }
                    let lo = if f.log_y { lo.max(floor) } else { lo };
                    let bar = color.stroke_width(2);
                    chart.draw_series([PathElement::new(vec![(x, lo), (x, hi)], bar)]).map_err(err)?;
                    for end in [lo, hi] {
                        let cap = EmptyElement::at((x, end)) + PathElement::new(vec![(-7, 0), (7, 0)], bar);
                        chart.draw_series([cap]).map_err(err)?;
                    }
                }
            }
        }
        Content::Histogram(samples) => {
            // Several samples share each bin side by side, so that none hides another.
            let n = samples.len() as f64;
            for (i, (label, values)) in samples.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let fill = color.mix(0.7).filled();
                let rects: Vec<[(f64, f64); 2]> = counts(values, &b.bins)
                    .into_iter()
                    .enumerate()
                    .filter(|&(_, c)| c > 0)
                    .map(|(k, c)| {
                        let w = (b.bins[k + 1] - b.bins[k]) / n;
                        let x0 = b.bins[k] + w * i as f64;
                        [(x0, 0.0), (x0 + w, c as f64)]
                    })
                    .collect();
                chart
                    .draw_series(rects.iter().map(|&r| Rectangle::new(r, fill)))
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], fill));
                chart.draw_series(rects.iter().map(|&r| Rectangle::new(r, color.stroke_width(1)))).map_err(err)?;
            }
        }
    }
    chart
        .configure_series_labels()
        .position(b.legend.clone())
        .margin(16)
        .legend_area_size(50)
        .label_font((FONT, 24))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(120, 120, 120))
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Axis numbers: plain between 0.001 and 100,000, powers of ten written out beyond (10⁷, 2.5×10⁻⁴).
fn tick_label(v: f64, log: bool) -> String {
    if v == 0.0 || (!log && v.abs() < 1e-12) {
        return "0".into();
    }
    if (1e-3..1e5).contains(&v.abs()) {
        return fmt_num(v);
    }
    const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let k = v.abs().log10().floor() as i32;
    let mantissa = v / 10f64.powi(k);
    let exponent: String = (if k < 0 { "⁻" } else { "" })
        .chars()
        .chain(k.unsigned_abs().to_string().chars().map(|d| SUPERSCRIPT[d.to_digit(10).unwrap_or(0) as usize]))
        .collect();
    // Three significant digits are plenty for an axis.
    let m = (mantissa * 100.0).round() / 100.0;
    if m == 1.0 { format!("10{exponent}") } else { format!("{}×10{exponent}", fmt_num(m)) }
}

/// `auto`, `none`, `x`, `y` or `xy`: which axes are logarithmic (None: the plot decides).
pub fn log_axes(text: &str) -> Result<(Option<bool>, Option<bool>), String> {
    Ok(match text {
        "auto" => (None, None),
        "none" => (Some(false), Some(false)),
        "x" => (Some(true), Some(false)),
        "y" => (Some(false), Some(true)),
        "xy" => (Some(true), Some(true)),
        other => return Err(format!("`{other}`; expected auto, none, x, y or xy")),
    })
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
            Series { label: label.clone(), points, ci: Vec::new(), style: Style::Curve, color: i }
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
    pub log_x: Option<bool>,
    pub log_y: Option<bool>,
    pub title: Option<String>,
    pub y_label: Option<String>,
    /// Legend names: of an analytic value (by name, instead of its formula) or of a group (`param = value`).
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
            let label = match (plot.metrics.len(), group.is_empty()) {
                (1, true) => "simulated (mean, 95% CI)".to_owned(),
                (1, false) => group.clone(),
                (_, true) => metric.clone(),
                (_, false) => format!("{metric}, {group}"),
            };
            let mut line = Series {
                label: label.clone(),
                points: Vec::new(),
                ci: Vec::new(),
                style: Style::Measured,
                color: measured.len(),
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
    let mut shared = 0;
    for (formula, points, owners) in curves {
        let (label, color) = if owners.len() == measured.len() && measured.len() > 1 {
            shared += 1;
            (formula, PALETTE.len() - shared)
        } else if measured.len() == 1 {
            // The measured line has colour 0; each formula gets its own.
            (formula, series.len())
        } else {
            let color = measured.iter().position(|m| m.label == owners[0]).unwrap_or(0);
            (format!("{formula} ({})", owners.join("; ")), color)
        };
        series.push(Series { label, points, ci: Vec::new(), style: Style::Analytic, color });
    }
    let xs: Vec<f64> = sweep.points.iter().filter_map(|p| p.parameters[&plot.x].as_f64()).collect();
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let y_name = plot.metrics.join(", ");
    Ok(Figure {
        title: plot.title.clone().unwrap_or_else(|| format!("{y_name} vs {}", plot.x)),
        x_label: plot.x.clone(),
        y_label: plot.y_label.clone().unwrap_or(y_name),
        log_x: plot.log_x.unwrap_or_else(|| wants_log(&xs, 2.0)),
        log_y: plot.log_y.unwrap_or_else(|| wants_log(&ys, 3.0)),
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
                let v = point
                    .parameters
                    .get(g)
                    .ok_or_else(|| PlotError(format!("`{g}` is not a parameter of the sweep")))?;
                format!("{g} = {}", value_text(v))
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
        .map(|(point, report)| {
            let label: Vec<String> =
                point.parameters.iter().map(|(k, v)| format!("{} = {}", short(k), value_text(v))).collect();
            (label.join(", "), report.values(metric))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The last segment of a dotted path (`model.p_flood` → `p_flood`), for compact legends.
pub fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Series against their index (round, cycle). A series named after another plus a suffix
/// (`ignorant_fraction_recursion` beside `ignorant_fraction`) is that one's formula: dashed, same colour.
/// The i-th value is drawn at x = `x_from + i`.
pub fn series_lines(
    title: &str,
    x_label: &str,
    series: &[(String, Vec<f64>)],
    x_from: f64,
    (log_x, log_y): (Option<bool>, Option<bool>),
) -> Figure {
    let mut lines: Vec<Series> = Vec::new();
    let mut measured: Vec<&str> = Vec::new();
    for (name, values) in series {
        let base =
            series.iter().map(|(n, _)| n.as_str()).find(|b| name.len() > b.len() && name.starts_with(&format!("{b}_")));
        let (style, color) = match base {
            Some(b) => (Style::Analytic, measured.iter().position(|m| *m == b).unwrap_or(measured.len())),
            None => {
                measured.push(name);
                (if values.len() > 40 { Style::Curve } else { Style::Measured }, measured.len() - 1)
            }
        };
        let points = values.iter().enumerate().map(|(i, &v)| (x_from + i as f64, v)).collect();
        lines.push(Series { label: name.clone(), points, ci: Vec::new(), style, color });
    }
    let positive: Vec<f64> = series.iter().flat_map(|(_, v)| v.iter().copied()).filter(|&v| v > 0.0).collect();
    Figure {
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: series.iter().map(|(n, _)| n.as_str()).filter(|n| measured.contains(n)).collect::<Vec<_>>().join(", "),
        log_x: log_x.unwrap_or(false),
        log_y: log_y.unwrap_or_else(|| wants_log(&positive, 3.0)),
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
                    color: 0,
                },
                Series {
                    label: "formula".into(),
                    points: vec![(0.01, 0.25), (1.0, 1.0)],
                    ci: vec![],
                    style: Style::Analytic,
                    color: 0,
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

    #[test]
    fn integer_data_gets_unit_bins_and_every_value_is_counted() {
        let values = [1.0, 1.0, 2.0, 5.0];
        let bins = histogram_bins(&values);
        assert_eq!(bins, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
        assert_eq!(counts(&values, &bins), [2, 1, 0, 0, 1]);
        let spread = [0.0, 0.5, 1.0];
        let bins = histogram_bins(&spread);
        assert_eq!(counts(&spread, &bins).iter().sum::<usize>(), 3, "the maximum falls in the last bin");
    }

    #[test]
    fn ticks_use_powers_of_ten_for_large_and_small_numbers() {
        assert_eq!(tick_label(10_000_000.0, false), "10⁷");
        assert_eq!(tick_label(5e6, false), "5×10⁶");
        assert_eq!(tick_label(0.0002, false), "2×10⁻⁴");
        assert_eq!(tick_label(1000.0, false), "1000");
        assert_eq!(tick_label(0.25, false), "0.25");
        assert_eq!(tick_label(0.0, false), "0");
        assert_eq!(tick_label(1e-14, true), "10⁻¹⁴");
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

//! Where everything of a figure goes, in pixels: the plot area, ticks, labels, the legend (beside or below
//! the plot area, never over the data), notes and every data mark. Both renderers (SVG and PNG) draw exactly
//! this, so what a test checks here is what a reader sees.

use super::text::Face;
use super::ticks::{self, Scale, Ticks};
use super::{Content, Figure, Ink, PlotError, Series, Style};
use crate::number::fmt_num;

/// Width of every plot; the height grows with a legend or notes below the plot area.
const WIDTH: f64 = 1200.0;
const PLOT_HEIGHT: f64 = 560.0;
const MARGIN: f64 = 24.0;
const TITLE_SIZE: f64 = 34.0;
const LABEL_SIZE: f64 = 26.0;
const TICK_SIZE: f64 = 22.0;
const LEGEND_SIZE: f64 = 22.0;
const NOTE_SIZE: f64 = 19.0;
const TICK_LENGTH: f64 = 8.0;
/// Legend: sample line length, row height, inner padding.
const SAMPLE: f64 = 36.0;
const ROW: f64 = 32.0;
const PAD: f64 = 12.0;
/// A legend at most this wide goes to the right of the plot area, a wider one below it.
const RIGHT_LEGEND: f64 = 320.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

const TEXT: Rgb = Rgb(34, 34, 34);
const NOTE: Rgb = Rgb(90, 90, 90);
const AXIS: Rgb = Rgb(80, 80, 80);
const GRID: Rgb = Rgb(222, 222, 222);
const GRID_MINOR: Rgb = Rgb(242, 242, 242);
const FRAME: Rgb = Rgb(190, 190, 190);
/// Formula curves shared by every group.
const NEUTRAL: Rgb = Rgb(0, 0, 0);
/// Okabe–Ito colours: distinct for colour-blind readers and in greyscale print.
const OKABE_ITO: [Rgb; 6] =
    [Rgb(0, 114, 178), Rgb(213, 94, 0), Rgb(0, 158, 115), Rgb(204, 121, 167), Rgb(230, 159, 0), Rgb(86, 180, 233)];
/// Viridis at t = 0, 1/8, …, 1, for more groups than the qualitative palette has colours.
const VIRIDIS: [Rgb; 9] = [
    Rgb(68, 1, 84),
    Rgb(71, 44, 122),
    Rgb(59, 81, 139),
    Rgb(44, 113, 142),
    Rgb(33, 144, 141),
    Rgb(39, 173, 129),
    Rgb(92, 200, 99),
    Rgb(170, 220, 50),
    Rgb(253, 231, 37),
];
/// Dash patterns (on, off, …) of formula curves; curves of one colour take them in turn.
const DASHES: [&[f64]; 4] = [&[14.0, 8.0], &[3.0, 6.0], &[16.0, 6.0, 3.0, 6.0], &[28.0, 10.0]];

/// Colour of group `i` of `n`: Okabe–Ito up to six groups, evenly spaced along viridis beyond (its yellow
/// end left out, too light on white), so no two groups share a colour.
pub fn group_colour(i: usize, n: usize) -> Rgb {
    if n <= OKABE_ITO.len() {
        return OKABE_ITO[i % OKABE_ITO.len()];
    }
    let t = 0.88 * i as f64 / (n - 1) as f64 * (VIRIDIS.len() - 1) as f64;
    let (k, f) = ((t.floor() as usize).min(VIRIDIS.len() - 2), t - t.floor());
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether `p` lies inside, allowing `slack` pixels.
    pub fn holds(&self, (x, y): (f64, f64), slack: f64) -> bool {
        x >= self.x0 - slack && x <= self.x1 + slack && y >= self.y0 - slack && y <= self.y1 + slack
    }
}

/// Something drawn, in pixels (y down).
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    Line { points: Vec<(f64, f64)>, color: Rgb, width: f64, dash: &'static [f64] },
    Polygon { points: Vec<(f64, f64)>, fill: Rgb, opacity: f64 },
    Circle { center: (f64, f64), radius: f64, fill: Rgb },
    Rect { rect: Rect, fill: Option<(Rgb, f64)>, stroke: Option<(Rgb, f64)> },
}

impl Mark {
    /// The points that define the mark (vertices, centre, corners).
    pub fn points(&self) -> Vec<(f64, f64)> {
        match self {
            Mark::Line { points, .. } | Mark::Polygon { points, .. } => points.clone(),
            Mark::Circle { center, .. } => vec![*center],
            Mark::Rect { rect, .. } => vec![(rect.x0, rect.y0), (rect.x1, rect.y1)],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One line of text: `y` is its baseline; `vertical` text reads upwards, rotated about (`x`, `y`).
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub text: String,
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub bold: bool,
    pub anchor: Anchor,
    pub vertical: bool,
    pub color: Rgb,
    /// Advance width in pixels.
    pub width: f64,
    ascent: f64,
    descent: f64,
}

impl Text {
    /// `text` in `face` at `size`, its baseline at `y`, horizontal.
    pub(super) fn new(face: Face, text: &str, size: f64, (x, y): (f64, f64), anchor: Anchor, color: Rgb) -> Text {
        Text {
            text: text.to_owned(),
            x,
            y,
            size,
            bold: false,
            anchor,
            vertical: false,
            color,
            width: face.width(text, size),
            ascent: face.ascent(),
            descent: face.descent(),
        }
    }

    /// How far before `x` (along the baseline) the text starts.
    pub fn shift(&self) -> f64 {
        match self.anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => self.width / 2.0,
            Anchor::End => self.width,
        }
    }

    /// The box from ascender to descender.
    pub fn bounds(&self) -> Rect {
        let (along0, along1) = (-self.shift(), self.width - self.shift());
        let (up, down) = (self.ascent * self.size, self.descent * self.size);
        if self.vertical {
            Rect { x0: self.x - up, y0: self.y - along1, x1: self.x + down, y1: self.y - along0 }
        } else {
            Rect { x0: self.x + along0, y0: self.y - up, x1: self.x + along1, y1: self.y + down }
        }
    }
}

/// A group of marks and texts, drawn in order (an SVG `<g class="…">`).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub class: &'static str,
    pub marks: Vec<Mark>,
    pub texts: Vec<Text>,
}

/// A figure laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub title: String,
    pub plot: Rect,
    pub legend: Option<Rect>,
    /// In drawing order: grid, plot-area, data, axes, x-ticks, y-ticks, labels, notes, legend.
    pub layers: Vec<Layer>,
}

impl Layout {
    pub fn layer(&self, class: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.class == class)
    }

    /// Labels of the ticks of the x (`"x-ticks"`) or y (`"y-ticks"`) axis.
    pub fn tick_labels(&self, class: &str) -> Vec<&str> {
        self.layer(class).map(|l| l.texts.iter().map(|t| t.text.as_str()).collect()).unwrap_or_default()
    }
}

/// Sets text in the plot font.
struct Typesetter {
    regular: Face,
    bold: Face,
}

impl Typesetter {
    fn face(&self, bold: bool) -> Face {
        if bold { self.bold } else { self.regular }
    }

    fn text(&self, text: &str, size: f64, bold: bool, (x, y): (f64, f64), anchor: Anchor) -> Text {
        Text { bold, ..Text::new(self.face(bold), text, size, (x, y), anchor, TEXT) }
    }

    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        self.face(bold).width(text, size)
    }

    /// `text` broken at spaces into at most `lines` lines no wider than `width`, at the largest size from
    /// `size` down to `smallest` that allows it; failing that, at the smallest size in as many lines as it
    /// takes, smaller still if one word is wider than `width`.
    fn fit(&self, text: &str, size: f64, smallest: f64, bold: bool, width: f64, lines: usize) -> (Vec<String>, f64) {
        let mut s = size;
        while s > smallest {
            let wrapped = self.wrap(text, s, bold, width);
            if wrapped.len() <= lines && wrapped.iter().all(|l| self.width(l, s, bold) <= width) {
                return (wrapped, s);
            }
            s -= 1.0;
        }
        let widest_word = text.split(' ').map(|w| self.width(w, smallest, bold)).fold(0.0, f64::max);
        let s = if widest_word > width { smallest * width / widest_word * 0.999 } else { smallest };
        (self.wrap(text, s, bold, width), s)
    }

    fn wrap(&self, text: &str, size: f64, bold: bool, width: f64) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for word in text.split(' ') {
            match lines.last_mut() {
                Some(line) if self.width(&format!("{line} {word}"), size, bold) <= width => {
                    line.push(' ');
                    line.push_str(word);
                }
                _ => lines.push(word.to_owned()),
            }
        }
        lines
    }
}

/// Axis ranges, histogram bins and what a log axis cannot show, before any pixel is placed.
struct Extent {
    x: Scale,
    y: Scale,
    x_integer: bool,
    y_integer: bool,
    bins: Vec<f64>,
    /// Per series with values a log axis cannot show: its label and the x of those points.
    dropped: Vec<(String, Vec<f64>)>,
}

fn visible(f: &Figure, (x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite() && (!f.log_x || x > 0.0) && (!f.log_y || y > 0.0)
}

/// Whether a series gets a marker at each point: measured means do, and so does any series of a single point,
/// which a line alone would not show.
fn marked(f: &Figure, s: &Series) -> bool {
    s.style == Style::Measured || s.points.iter().filter(|&&p| visible(f, p)).count() == 1
}

impl Extent {
    fn of(f: &Figure) -> Result<Extent, PlotError> {
        let (mut xs, mut ys, mut bins, mut dropped) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        match &f.content {
            Content::Lines(series) => {
                for s in series {
                    let mut off_scale = Vec::new();
                    for (i, &p) in s.points.iter().enumerate() {
                        if visible(f, p) {
                            xs.push(p.0);
                            ys.push(p.1);
                            if let Some(&(lo, hi)) = s.ci.get(i) {
                                ys.extend([lo, hi].into_iter().filter(|&v| v.is_finite() && (!f.log_y || v > 0.0)));
                            }
                        } else if p.0.is_finite() && p.1.is_finite() {
                            off_scale.push(p.0);
                        }
                    }
                    if !off_scale.is_empty() {
                        dropped.push((s.label.clone(), off_scale));
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
            let why = if dropped.is_empty() { "no finite values" } else { "no values a log axis can show (> 0)" };
            return Err(PlotError(format!("`{}` has {why} to draw", f.title)));
        }
        let whole = |v: &[f64]| v.iter().all(|x| x.fract() == 0.0);
        let histogram = matches!(f.content, Content::Histogram(_));
        let (x_integer, y_integer) = if histogram {
            // Unit bins centred on the integers.
            ((bins[0] + 0.5).fract() == 0.0 && bins.windows(2).all(|w| w[1] - w[0] == 1.0), true)
        } else {
            (!f.log_x && whole(&xs), !f.log_y && whole(&ys))
        };
        let mut x = pad(&xs, f.log_x);
        let mut y = if histogram {
            // Bars stand on zero.
            Scale { lo: 0.0, hi: ys.iter().fold(1.0f64, |a, &b| a.max(b)) * 1.08, log: false }
        } else {
            pad(&ys, f.log_y)
        };
        for (scale, integer) in [(&mut x, x_integer), (&mut y, y_integer)] {
            if integer {
                hold_two_integers(scale);
            }
        }
        Ok(Extent { x, y, x_integer, y_integer, bins, dropped })
    }
}

/// Range of `values` with a margin: 5% of the span on linear axes, a factor on log axes.
fn pad(values: &[f64], log: bool) -> Scale {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if log {
        let f = (hi / lo).powf(0.05).max(1.2);
        Scale { lo: lo / f, hi: hi * f, log }
    } else {
        let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
        Scale { lo: lo - 0.05 * span, hi: hi + 0.05 * span, log }
    }
}

/// Widens a linear axis of whole numbers until it holds at least two of them, so it can be labelled
/// without fractional ticks.
fn hold_two_integers(s: &mut Scale) {
    if s.hi.floor() - s.lo.ceil() < 1.0 {
        let mid = ((s.lo + s.hi) / 2.0).round();
        s.lo = s.lo.min(mid - 1.05);
        s.hi = s.hi.max(mid + 1.05);
    }
}

/// Unit-wide bins centred on the integers for small integer data (link stress, hop counts), 30 bins otherwise.
pub(super) fn histogram_bins(values: &[f64]) -> Vec<f64> {
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

pub(super) fn counts(values: &[f64], bins: &[f64]) -> Vec<usize> {
    let mut c = vec![0; bins.len() - 1];
    for &v in values.iter().filter(|v| v.is_finite()) {
        // The last bin is closed on the right so the maximum counts.
        let i = bins.partition_point(|&b| b <= v).saturating_sub(1).min(c.len() - 1);
        c[i] += 1;
    }
    c
}

/// What a legend entry shows beside its label.
#[derive(Clone, Copy)]
enum Sample {
    Series { color: Rgb, style: Style, dash: &'static [f64], shape: usize, marked: bool },
    Bar { color: Rgb },
}

/// Colour, dash pattern and marker shape of each series. Groups take their palette colours; formula curves
/// take the dash patterns in turn, counted per colour when several groups have lines (two formulas for one
/// group stay apart) and over the figure otherwise (formulas in their own colours may coincide).
fn series_styles(series: &[Series]) -> Vec<(Rgb, &'static [f64], usize)> {
    let groups = series.iter().filter_map(|s| if let Ink::Group(i) = s.ink { Some(i + 1) } else { None }).max();
    let mut measured = series.iter().filter(|s| s.style != Style::Analytic).map(|s| s.ink);
    let first = measured.next();
    let per_colour = measured.any(|ink| Some(ink) != first);
    let mut formulas: Vec<Ink> = Vec::new();
    series
        .iter()
        .map(|s| {
            let (color, shape) = match s.ink {
                Ink::Group(i) => (group_colour(i, groups.unwrap_or(1)), i),
                Ink::Neutral => (NEUTRAL, 0),
            };
            let dash: &'static [f64] = if s.style == Style::Analytic {
                let before = formulas.iter().filter(|&&ink| !per_colour || ink == s.ink).count();
                formulas.push(s.ink);
                DASHES[before % DASHES.len()]
            } else {
                &[]
            };
            (color, dash, shape)
        })
        .collect()
}

/// Lays `f` out.
pub fn layout(f: &Figure) -> Result<Layout, PlotError> {
    let ts = Typesetter { regular: Face::get(false)?, bold: Face::get(true)? };
    let extent = Extent::of(f)?;
    let styles = match &f.content {
        Content::Lines(series) => series_styles(series),
        Content::Histogram(_) => Vec::new(),
    };
    // Legend entries with their group (a measured line and the formulas in its colour), grouped in order of
    // first appearance; curves shared by every group come last.
    let mut entries: Vec<(usize, String, Sample)> = match &f.content {
        Content::Lines(series) => series
            .iter()
            .zip(&styles)
            .map(|(s, &(color, dash, shape))| {
                let group = if let Ink::Group(i) = s.ink { i } else { usize::MAX };
                let sample = Sample::Series { color, style: s.style, dash, shape, marked: marked(f, s) };
                (group, s.label.clone(), sample)
            })
            .collect(),
        Content::Histogram(samples) => samples
            .iter()
            .enumerate()
            .map(|(i, (label, _))| (i, label.clone(), Sample::Bar { color: group_colour(i, samples.len()) }))
            .collect(),
    };
    let order: Vec<usize> = entries.iter().map(|e| e.0).collect();
    entries.sort_by_key(
        |e| if e.0 == usize::MAX { usize::MAX } else { order.iter().position(|&g| g == e.0).unwrap_or(0) },
    );

    // Title.
    let (title_lines, title_size) = ts.fit(&f.title, TITLE_SIZE, 22.0, true, WIDTH - 2.0 * MARGIN, 2);
    let title_line = title_size * 1.25;
    let mut plot =
        Rect { x0: 0.0, y0: MARGIN + title_line * title_lines.len() as f64 + 16.0, x1: WIDTH - MARGIN, y1: 0.0 };
    plot.y1 = plot.y0 + PLOT_HEIGHT;

    // Legend: beside the plot area when narrow, below it otherwise.
    // Legend labels shrink to fit the figure's width, down to 14 pixels; beyond that they are cut short.
    let room = WIDTH - 2.0 * MARGIN - 2.0 * PAD - SAMPLE - 10.0;
    let widest = entries.iter().map(|(_, l, _)| ts.width(l, LEGEND_SIZE, false)).fold(0.0, f64::max);
    let legend_size = if widest <= room { LEGEND_SIZE } else { (LEGEND_SIZE * room / widest * 0.999).max(14.0) };
    for (_, label, _) in &mut entries {
        if ts.width(label, legend_size, false) > room {
            let mut chars: Vec<char> = label.chars().collect();
            while !chars.is_empty()
                && ts.width(&format!("{}…", chars.iter().collect::<String>()), legend_size, false) > room
            {
                chars.pop();
            }
            *label = format!("{}…", chars.iter().collect::<String>());
        }
    }
    let entry_width = |label: &str| SAMPLE + 10.0 + ts.width(label, legend_size, false);
    let widths: Vec<f64> = entries.iter().map(|(_, l, _)| entry_width(l)).collect();
    let widest_entry = widths.iter().fold(0.0, |a: f64, &b| a.max(b));
    let right = !entries.is_empty()
        && widest_entry + 2.0 * PAD <= RIGHT_LEGEND
        && entries.len() as f64 * ROW + 2.0 * PAD <= PLOT_HEIGHT;
    if right {
        plot.x1 = WIDTH - MARGIN - (widest_entry + 2.0 * PAD) - 28.0;
    }

    // The y axis: ticks spaced for reading, then its labels' width sets the left edge of the plot area.
    let regular = ts.regular;
    let y_ticks = ticks::choose(&extent.y, extent.y_integer, |t| spaced(&extent.y, t, PLOT_HEIGHT, |_| 64.0));
    let y_label = with_factor(&f.y_label, &y_ticks);
    let (y_label_lines, y_label_size) = ts.fit(&y_label, LABEL_SIZE, 16.0, false, PLOT_HEIGHT, 2);
    let tick_width = y_ticks.major.iter().map(|(_, l)| regular.width(l, TICK_SIZE)).fold(0.0, f64::max);
    plot.x0 = MARGIN + y_label_size * 1.2 * y_label_lines.len() as f64 + 14.0 + tick_width + 8.0 + TICK_LENGTH;

    // The x axis: labels must not touch; the last one must not stick out of the figure or into the legend.
    let mut x_ticks = Ticks::default();
    for _ in 0..3 {
        let length = plot.x1 - plot.x0;
        x_ticks = ticks::choose(&extent.x, extent.x_integer, |t| {
            spaced(&extent.x, t, length, |l| (regular.width(l, TICK_SIZE) + 28.0).max(80.0))
                && t.major.iter().all(|(_, l)| regular.width(l, TICK_SIZE) + 28.0 <= length.max(1.0))
        });
        let limit = if right { plot.x1 + 20.0 } else { WIDTH - MARGIN };
        let overhang = x_ticks
            .major
            .iter()
            .map(|(v, l)| plot.x0 + extent.x.unit(*v) * length + regular.width(l, TICK_SIZE) / 2.0 - limit)
            .fold(0.0, f64::max);
        if overhang <= 0.0 {
            break;
        }
        plot.x1 -= overhang;
    }
    let x_label = with_factor(&f.x_label, &x_ticks);
    let (x_label_lines, x_label_size) = ts.fit(&x_label, LABEL_SIZE, 16.0, false, WIDTH - 2.0 * MARGIN, 2);

    let px = |v: f64| plot.x0 + extent.x.unit(v) * (plot.x1 - plot.x0);
    let py = |v: f64| plot.y1 - extent.y.unit(v) * (plot.y1 - plot.y0);
    let mut layers = Vec::new();

    // Grid and the plot area's frame.
    let mut grid = Vec::new();
    let vertical =
        |x: f64, color| Mark::Line { points: vec![(x, plot.y0), (x, plot.y1)], color, width: 1.0, dash: &[] };
    let horizontal =
        |y: f64, color| Mark::Line { points: vec![(plot.x0, y), (plot.x1, y)], color, width: 1.0, dash: &[] };
    grid.extend(x_ticks.minor.iter().map(|&v| vertical(px(v), GRID_MINOR)));
    grid.extend(y_ticks.minor.iter().map(|&v| horizontal(py(v), GRID_MINOR)));
    grid.extend(x_ticks.major.iter().map(|&(v, _)| vertical(px(v), GRID)));
    grid.extend(y_ticks.major.iter().map(|&(v, _)| horizontal(py(v), GRID)));
    layers.push(Layer { class: "grid", marks: grid, texts: Vec::new() });
    layers.push(Layer {
        class: "plot-area",
        marks: vec![Mark::Rect { rect: plot, fill: None, stroke: Some((FRAME, 1.0)) }],
        texts: Vec::new(),
    });

    layers.push(Layer { class: "data", marks: data_marks(f, &extent, &styles, &px, &py), texts: Vec::new() });

    // Axes: lines, tick marks, tick labels.
    let mut axes = vec![
        Mark::Line { points: vec![(plot.x0, plot.y0), (plot.x0, plot.y1)], color: AXIS, width: 1.5, dash: &[] },
        Mark::Line { points: vec![(plot.x0, plot.y1), (plot.x1, plot.y1)], color: AXIS, width: 1.5, dash: &[] },
    ];
    for (v, length) in x_ticks.major.iter().map(|t| (t.0, TICK_LENGTH)).chain(x_ticks.minor.iter().map(|&v| (v, 4.0))) {
        axes.push(Mark::Line {
            points: vec![(px(v), plot.y1), (px(v), plot.y1 + length)],
            color: AXIS,
            width: 1.5,
            dash: &[],
        });
    }
    for (v, length) in y_ticks.major.iter().map(|t| (t.0, TICK_LENGTH)).chain(y_ticks.minor.iter().map(|&v| (v, 4.0))) {
        axes.push(Mark::Line {
            points: vec![(plot.x0 - length, py(v)), (plot.x0, py(v))],
            color: AXIS,
            width: 1.5,
            dash: &[],
        });
    }
    layers.push(Layer { class: "axes", marks: axes, texts: Vec::new() });
    let x_tick_baseline = plot.y1 + TICK_LENGTH + 6.0 + regular.ascent() * TICK_SIZE;
    let x_labels = x_ticks
        .major
        .iter()
        .map(|(v, l)| ts.text(l, TICK_SIZE, false, (px(*v), x_tick_baseline), Anchor::Middle))
        .collect();
    layers.push(Layer { class: "x-ticks", marks: Vec::new(), texts: x_labels });
    // Digits are centred on their tick: their height is about 0.63 of the size.
    let y_labels = y_ticks
        .major
        .iter()
        .map(|(v, l)| {
            ts.text(l, TICK_SIZE, false, (plot.x0 - TICK_LENGTH - 8.0, py(*v) + 0.315 * TICK_SIZE), Anchor::End)
        })
        .collect();
    layers.push(Layer { class: "y-ticks", marks: Vec::new(), texts: y_labels });

    // Title and axis labels.
    let mut labels = Vec::new();
    for (i, line) in title_lines.iter().enumerate() {
        let baseline = MARGIN + title_size * (0.8 + 1.25 * i as f64);
        labels.push(ts.text(line, title_size, true, (WIDTH / 2.0, baseline), Anchor::Middle));
    }
    let mut bottom = x_tick_baseline + regular.descent() * TICK_SIZE + 14.0;
    for line in &x_label_lines {
        bottom += x_label_size * 1.2;
        // Centred under the plot area, as far as the figure allows.
        let half = ts.width(line, x_label_size, false) / 2.0;
        let x = ((plot.x0 + plot.x1) / 2.0).min(WIDTH - MARGIN - half).max(MARGIN + half);
        labels.push(ts.text(line, x_label_size, false, (x, bottom - 0.25 * x_label_size), Anchor::Middle));
    }
    let y_middle = (plot.y0 + plot.y1) / 2.0;
    for (i, line) in y_label_lines.iter().enumerate() {
        let x = MARGIN + y_label_size * (0.85 + 1.2 * i as f64);
        labels.push(Text { vertical: true, ..ts.text(line, y_label_size, false, (x, y_middle), Anchor::Middle) });
    }
    layers.push(Layer { class: "labels", marks: Vec::new(), texts: labels });

    // Notes: what a log axis leaves out.
    let mut notes = Vec::new();
    if !extent.dropped.is_empty() {
        let parts: Vec<String> = extent.dropped.iter().map(|(label, xs)| format!("{label} at {}", at_x(xs))).collect();
        let text = format!("Left out, as a log axis cannot show values ≤ 0: {}.", parts.join("; "));
        bottom += 10.0;
        let (lines, size) = ts.fit(&text, NOTE_SIZE, NOTE_SIZE, false, WIDTH - 2.0 * MARGIN, usize::MAX);
        for line in lines {
            bottom += size * 1.3;
            notes.push(Text {
                color: NOTE,
                ..ts.text(&line, size, false, (MARGIN, bottom - 0.25 * size), Anchor::Start)
            });
        }
    }
    layers.push(Layer { class: "notes", marks: Vec::new(), texts: notes });

    // The legend.
    let mut legend = None;
    if !entries.is_empty() {
        let sizes: Vec<usize> = entries.chunk_by(|a, b| a.0 == b.0).map(<[_]>::len).collect();
        let room = WIDTH - 2.0 * MARGIN - 2.0 * PAD;
        let cells = if right {
            (0..entries.len()).map(|k| (0, k)).collect()
        } else {
            legend_grid(&sizes, |cells| column_widths(cells, &widths).iter().sum::<f64>() <= room)
        };
        let columns = column_widths(&cells, &widths);
        let rows = cells.iter().map(|c| c.1 + 1).max().unwrap_or(1);
        let width = columns.iter().sum::<f64>() - GAP + 2.0 * PAD;
        let origin = if right {
            (WIDTH - MARGIN - width, plot.y0)
        } else {
            bottom += 16.0;
            ((WIDTH - width) / 2.0, bottom)
        };
        let frame = Rect {
            x0: origin.0,
            y0: origin.1,
            x1: origin.0 + width,
            y1: origin.1 + rows as f64 * ROW + 2.0 * PAD - 6.0,
        };
        let mut marks =
            vec![Mark::Rect { rect: frame, fill: Some((Rgb(255, 255, 255), 1.0)), stroke: Some((FRAME, 1.0)) }];
        let mut texts = Vec::new();
        for ((_, label, sample), &(column, row)) in entries.iter().zip(&cells) {
            let x = frame.x0 + PAD + columns[..column].iter().sum::<f64>();
            let y = frame.y0 + PAD + row as f64 * ROW + ROW / 2.0 - 3.0;
            marks.extend(sample_marks(*sample, (x, y)));
            texts.push(ts.text(label, legend_size, false, (x + SAMPLE + 10.0, y + 0.315 * legend_size), Anchor::Start));
        }
        if !right {
            bottom = frame.y1;
        }
        legend = Some(frame);
        layers.push(Layer { class: "legend", marks, texts });
    }
    let height = (bottom.max(plot.y1 + 20.0) + MARGIN).ceil();
    Ok(Layout { width: WIDTH, height, title: f.title.clone(), plot, legend, layers })
}

/// Space between legend columns.
const GAP: f64 = 28.0;

/// Cells (column, row) of legend entries given the sizes of their consecutive groups: when the groups are
/// alike, one group per row (a measured line beside its formulas), else one group per column, if that
/// `fits`; otherwise row by row in as many columns as fit.
fn legend_grid(sizes: &[usize], fits: impl Fn(&[(usize, usize)]) -> bool) -> Vec<(usize, usize)> {
    let n: usize = sizes.iter().sum();
    let mut candidates: Vec<Vec<(usize, usize)>> = Vec::new();
    if sizes.len() > 1 && sizes[0] > 1 && sizes.iter().all(|&k| k == sizes[0]) {
        let grouped: Vec<(usize, usize)> = (0..sizes.len()).flat_map(|g| (0..sizes[0]).map(move |j| (g, j))).collect();
        candidates.push(grouped.iter().map(|&(g, j)| (j, g)).collect());
        candidates.push(grouped);
    }
    for columns in (1..=n).rev() {
        let rows = n.div_ceil(columns);
        let columns = n.div_ceil(rows);
        candidates.push((0..n).map(|k| (k % columns, k / columns)).collect());
    }
    candidates.into_iter().find(|c| fits(c)).unwrap_or_else(|| (0..n).map(|k| (0, k)).collect())
}

/// Width of each legend column: its widest entry and the gap after it.
fn column_widths(cells: &[(usize, usize)], widths: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0f64; cells.iter().map(|c| c.0 + 1).max().unwrap_or(1)];
    for (&(column, _), &w) in cells.iter().zip(widths) {
        out[column] = out[column].max(w + GAP);
    }
    out
}

/// Whether the labelled ticks are far enough apart: `extent(label)` pixels between neighbours' centres.
fn spaced(scale: &Scale, t: &Ticks, length: f64, extent: impl Fn(&str) -> f64) -> bool {
    t.major.windows(2).all(|w| {
        let gap = (scale.unit(w[1].0) - scale.unit(w[0].0)).abs() * length;
        gap >= (extent(&w[0].1) + extent(&w[1].1)) / 2.0
    })
}

/// An axis label with the common factor of its ticks, if any: "messages (×10⁶)".
fn with_factor(label: &str, t: &Ticks) -> String {
    match &t.factor {
        Some(f) => format!("{label} ({f})"),
        None => label.to_owned(),
    }
}

/// "x = 3", "x = 13–28" (consecutive integers), "x = 1, 2, 5" or "x = 1, 2, … (9 points)".
fn at_x(xs: &[f64]) -> String {
    let consecutive = xs.len() > 2 && xs.windows(2).all(|w| w[1] - w[0] == 1.0) && xs[0].fract() == 0.0;
    if consecutive {
        return format!("x = {}–{}", fmt_num(xs[0]), fmt_num(xs[xs.len() - 1]));
    }
    let shown: Vec<String> = xs.iter().take(4).map(|&x| fmt_num(x)).collect();
    if xs.len() <= 4 {
        format!("x = {}", shown.join(", "))
    } else {
        format!("x = {}, … ({} points)", shown.join(", "), xs.len())
    }
}

/// The marks of the data, in pixels: error bars and lines, then markers on top; or histogram bars.
fn data_marks(
    f: &Figure,
    extent: &Extent,
    styles: &[(Rgb, &'static [f64], usize)],
    px: &impl Fn(f64) -> f64,
    py: &impl Fn(f64) -> f64,
) -> Vec<Mark> {
    let mut marks = Vec::new();
    match &f.content {
        Content::Lines(series) => {
            let (floor, ceiling) = (py(extent.y.lo), py(extent.y.hi));
            let mut markers = Vec::new();
            for (s, &(color, dash, shape)) in series.iter().zip(styles) {
                for (&(x, y), &(lo, hi)) in s.points.iter().zip(&s.ci) {
                    if !visible(f, (x, y)) || lo.is_nan() || hi.is_nan() || hi <= lo {
                        continue;
                    }
                    // A lower bound of 0 or less on a log axis runs off the bottom, without a cap.
                    let off_scale = f.log_y && lo <= 0.0;
                    let (top, bottom) = (py(hi).max(ceiling), if off_scale { floor } else { py(lo).min(floor) });
                    let x = px(x);
                    marks.push(Mark::Line { points: vec![(x, bottom), (x, top)], color, width: 2.0, dash: &[] });
                    let caps = if off_scale { &[top][..] } else { &[top, bottom][..] };
                    for &end in caps {
                        marks.push(Mark::Line {
                            points: vec![(x - 7.0, end), (x + 7.0, end)],
                            color,
                            width: 2.0,
                            dash: &[],
                        });
                    }
                }
                // A point a log axis cannot show breaks the line.
                for piece in s.points.split(|&p| !visible(f, p)).filter(|p| !p.is_empty()) {
                    let points: Vec<(f64, f64)> = piece.iter().map(|&(x, y)| (px(x), py(y))).collect();
                    let width = if s.style == Style::Curve { 2.5 } else { 3.0 };
                    marks.push(Mark::Line { points: simplify(&points, 0.1), color, width, dash });
                    if marked(f, s) {
                        markers.extend(points.iter().map(|&p| marker(shape, p, 1.0, color)));
                    }
                }
            }
            marks.extend(markers);
        }
        Content::Histogram(samples) => {
            // Several samples share each bin side by side, so that none hides another.
            let n = samples.len() as f64;
            for (i, (_, values)) in samples.iter().enumerate() {
                let color = group_colour(i, samples.len());
                for (k, c) in counts(values, &extent.bins).into_iter().enumerate().filter(|&(_, c)| c > 0) {
                    let w = (extent.bins[k + 1] - extent.bins[k]) / n;
                    let x0 = extent.bins[k] + w * i as f64;
                    let rect = Rect { x0: px(x0), y0: py(c as f64), x1: px(x0 + w), y1: py(0.0) };
                    marks.push(Mark::Rect { rect, fill: Some((color, 0.75)), stroke: Some((color, 1.0)) });
                }
            }
        }
    }
    marks
}

/// Marker `shape` (circle, triangle, square, diamond, inverted triangle) centred on `c`.
fn marker(shape: usize, (x, y): (f64, f64), scale: f64, fill: Rgb) -> Mark {
    let r = 7.0 * scale;
    let polygon = |pts: &[(f64, f64)]| Mark::Polygon {
        points: pts.iter().map(|&(dx, dy)| (x + dx * r, y + dy * r)).collect(),
        fill,
        opacity: 1.0,
    };
    match shape % 5 {
        0 => Mark::Circle { center: (x, y), radius: r, fill },
        1 => polygon(&[(0.0, -1.3), (1.15, 0.7), (-1.15, 0.7)]),
        2 => polygon(&[(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)]),
        3 => polygon(&[(0.0, -1.25), (1.1, 0.0), (0.0, 1.25), (-1.1, 0.0)]),
        _ => polygon(&[(0.0, 1.3), (1.15, -0.7), (-1.15, -0.7)]),
    }
}

/// A legend sample whose left end is at `(x, y)`.
fn sample_marks(sample: Sample, (x, y): (f64, f64)) -> Vec<Mark> {
    match sample {
        Sample::Series { color, style, dash, shape, marked } => {
            let width = if style == Style::Curve { 2.5 } else { 3.0 };
            let mut marks = vec![Mark::Line { points: vec![(x, y), (x + SAMPLE, y)], color, width, dash }];
            if marked {
                marks.push(marker(shape, (x + SAMPLE / 2.0, y), 1.0, color));
            }
            marks
        }
        Sample::Bar { color } => vec![Mark::Rect {
            rect: Rect { x0: x + 8.0, y0: y - 9.0, x1: x + SAMPLE - 8.0, y1: y + 9.0 },
            fill: Some((color, 0.75)),
            stroke: Some((color, 1.0)),
        }],
    }
}

/// Drops vertices that lie within `tolerance` pixels of the line through their neighbours that are kept.
fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    let Some(&first) = points.first() else { return Vec::new() };
    let mut out = vec![first];
    let mut run = 1;
    for j in 1..points.len() {
        let a = out[out.len() - 1];
        let near = |&b: &(f64, f64)| distance_to_segment(b, a, points[j]) <= tolerance;
        if j - run > 256 || !points[run..j].iter().all(near) {
            out.push(points[j - 1]);
            run = j;
        }
    }
    if points.len() > 1 {
        out.push(points[points.len() - 1]);
    }
    out
}

fn distance_to_segment((x, y): (f64, f64), (ax, ay): (f64, f64), (bx, by): (f64, f64)) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let length = dx * dx + dy * dy;
    let t = if length > 0.0 { (((x - ax) * dx + (y - ay) * dy) / length).clamp(0.0, 1.0) } else { 0.0 };
    ((x - ax - t * dx).powi(2) + (y - ay - t * dy).powi(2)).sqrt()
}

/// Breaks a polyline into its dashes for `pattern` (on, off, …); the phase runs on across vertices.
pub fn dashes(points: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() {
        return vec![points.to_vec()];
    }
    let (mut out, mut current) = (Vec::new(), Vec::new());
    let (mut k, mut left) = (0, pattern[0]);
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut done = 0.0;
        while done < length {
            let step = left.min(length - done);
            let at = |d: f64| (a.0 + (b.0 - a.0) * d / length, a.1 + (b.1 - a.1) * d / length);
            if k % 2 == 0 {
                if current.is_empty() {
                    current.push(at(done));
                }
                current.push(at(done + step));
            }
            done += step;
            left -= step;
            if left <= 1e-9 {
                if k % 2 == 0 {
                    out.push(std::mem::take(&mut current));
                }
                k = (k + 1) % pattern.len();
                left = pattern[k];
            }
        }
    }
    if current.len() > 1 {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn series(label: &str, points: &[(f64, f64)], style: Style, ink: Ink) -> Series {
        Series { label: label.into(), points: points.to_vec(), ci: Vec::new(), style, ink }
    }

    fn lines(series: Vec<Series>, log_x: bool, log_y: bool) -> Figure {
        Figure {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x,
            log_y,
            content: Content::Lines(series),
        }
    }

    /// What a reader must be able to rely on in every plot.
    fn check(l: &Layout) -> Result<(), String> {
        let canvas = Rect { x0: 0.0, y0: 0.0, x1: l.width, y1: l.height };
        for class in ["x-ticks", "y-ticks"] {
            let texts = &l.layer(class).ok_or(format!("no {class}"))?.texts;
            if texts.len() < 2 || texts.iter().any(|t| t.text.trim().is_empty()) {
                return Err(format!("{class}: {:?}", l.tick_labels(class)));
            }
            for w in texts.windows(2) {
                if w[0].bounds().intersects(&w[1].bounds()) {
                    return Err(format!("{class}: `{}` and `{}` overlap", w[0].text, w[1].text));
                }
            }
        }
        for layer in &l.layers {
            for t in &layer.texts {
                let b = t.bounds();
                if !(canvas.holds((b.x0, b.y0), 0.5) && canvas.holds((b.x1, b.y1), 0.5)) {
                    return Err(format!("`{}` sticks out of the figure: {b:?}", t.text));
                }
                if b.intersects(&l.plot) {
                    return Err(format!("`{}` ({}) lies over the plot area", t.text, layer.class));
                }
            }
        }
        if let Some(legend) = l.legend
            && (legend.intersects(&l.plot)
                || !canvas.holds((legend.x0, legend.y0), 0.0)
                || !canvas.holds((legend.x1, legend.y1), 0.0))
        {
            return Err(format!("legend {legend:?} over the plot area {:?} or out of the figure", l.plot));
        }
        for m in &l.layer("data").ok_or("no data")?.marks {
            if let Some(p) = m.points().into_iter().find(|&p| !l.plot.holds(p, 0.5)) {
                return Err(format!("data at {p:?} outside the plot area {:?}", l.plot));
            }
        }
        Ok(())
    }

    #[test]
    fn a_histogram_of_few_runs_has_labelled_counts_and_integer_bins() {
        let f = Figure {
            title: "messages over 3 runs".into(),
            x_label: "messages".into(),
            y_label: "count".into(),
            log_x: false,
            log_y: false,
            content: Content::Histogram(vec![("torus".into(), vec![4801.0; 3])]),
        };
        let l = layout(&f).unwrap();
        check(&l).unwrap();
        assert_eq!(l.tick_labels("y-ticks"), ["0", "1", "2", "3"]);
        assert_eq!(l.tick_labels("x-ticks"), ["4800", "4801", "4802"]);
    }

    #[test]
    fn integer_axes_get_integer_ticks_and_one_format() {
        let points: Vec<(f64, f64)> = (0..4).map(|i| (f64::from(i), 30_000.0 * f64::from(i + 1))).collect();
        let l = layout(&lines(vec![series("m", &points, Style::Measured, Ink::Group(0))], false, false)).unwrap();
        check(&l).unwrap();
        assert_eq!(l.tick_labels("x-ticks"), ["0", "1", "2", "3"], "no tick at 1.5 on a count of rounds");
        assert_eq!(
            l.tick_labels("y-ticks"),
            ["0.4", "0.6", "0.8", "1.0", "1.2"],
            "one format, not 80000 beside 1.2×10⁵"
        );
        let labels = &l.layer("labels").unwrap().texts;
        assert!(labels.iter().any(|t| t.text == "y (×10⁵)"), "the axis names the common factor");
    }

    #[test]
    fn values_a_log_axis_cannot_show_are_noted() {
        let points = [(1.0, 0.1), (2.0, 0.01), (3.0, 0.0), (4.0, 0.0)];
        let l = layout(&lines(vec![series("pull", &points, Style::Measured, Ink::Group(0))], false, true)).unwrap();
        check(&l).unwrap();
        let notes: Vec<&str> = l.layer("notes").unwrap().texts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(notes, ["Left out, as a log axis cannot show values ≤ 0: pull at x = 3, 4."]);
        let without_zeros =
            layout(&lines(vec![series("pull", &points[..2], Style::Measured, Ink::Group(0))], false, true));
        assert!(without_zeros.unwrap().layer("notes").unwrap().texts.is_empty());
    }

    #[test]
    fn formulas_of_one_colour_get_different_dashes() {
        let line = |label, ink, style| series(label, &[(1.0, 1.0), (2.0, 2.0)], style, ink);
        let figure = vec![
            line("push", Ink::Group(0), Style::Measured),
            line("pull", Ink::Group(1), Style::Measured),
            line("push: recursion", Ink::Group(0), Style::Analytic),
            line("push: log2 N + ln N", Ink::Group(0), Style::Analytic),
            line("pull: recursion", Ink::Group(1), Style::Analytic),
        ];
        let styles = series_styles(&figure);
        assert_eq!(styles[2].0, styles[3].0);
        assert_ne!(styles[2].1, styles[3].1, "same colour, so different dashes");
        assert_eq!(styles[2].1, styles[4].1, "the first formula of each group looks alike");
        // One measured line: formulas in their own colours, and dashes of their own in case they coincide.
        let single = series_styles(&[
            figure[0].clone(),
            line("a", Ink::Group(1), Style::Analytic),
            line("b", Ink::Group(2), Style::Analytic),
        ]);
        assert_ne!(single[1].1, single[2].1);
    }

    #[test]
    fn every_group_has_its_own_colour() {
        for n in [1, 6, 7, 9, 20, 40] {
            let colours: Vec<Rgb> = (0..n).map(|i| group_colour(i, n)).collect();
            for (i, a) in colours.iter().enumerate() {
                assert!(!colours[..i].contains(a), "{n} groups: colour {i} repeats");
                let lightness = 0.299 * f64::from(a.0) + 0.587 * f64::from(a.1) + 0.114 * f64::from(a.2);
                assert!(lightness < 210.0, "{n} groups: colour {i} {a:?} is too light on white");
            }
        }
    }

    #[test]
    fn many_groups_put_the_legend_beside_or_below_the_data() {
        let many: Vec<Series> = (0..24)
            .map(|i| {
                let points: Vec<(f64, f64)> = (1..=10).map(|x| (f64::from(x), f64::from(x * (i + 1)))).collect();
                series(&format!("k = {i}"), &points, Style::Measured, Ink::Group(i as usize))
            })
            .collect();
        let l = layout(&lines(many, false, false)).unwrap();
        check(&l).unwrap();
        assert!(l.legend.unwrap().y0 > l.plot.y1, "24 entries do not fit beside the plot area: below it");
    }

    #[test]
    fn dashes_keep_their_phase_across_vertices() {
        let d = dashes(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)], &[6.0, 4.0]);
        assert_eq!(d, [vec![(0.0, 0.0), (6.0, 0.0)], vec![(10.0, 0.0), (10.0, 6.0)]]);
        let d = dashes(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0)], &[6.0, 4.0]);
        assert_eq!(d, [vec![(0.0, 0.0), (4.0, 0.0), (4.0, 2.0)]], "a dash turns the corner");
    }

    #[test]
    fn simplified_lines_stay_within_a_tenth_of_a_pixel() {
        let points: Vec<(f64, f64)> =
            (0..2000).map(|i| (f64::from(i) * 0.5, (f64::from(i) / 300.0).sin() * 200.0)).collect();
        let kept = simplify(&points, 0.1);
        assert!(kept.len() < points.len() / 4, "{} of {} kept", kept.len(), points.len());
        for p in &points {
            let nearest = kept.windows(2).map(|w| distance_to_segment(*p, w[0], w[1])).fold(f64::INFINITY, f64::min);
            assert!(nearest <= 0.1 + 1e-9, "{p:?} is {nearest} px from the drawn line");
        }
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

    /// A summary of where things went, for snapshots.
    fn summary(l: &Layout) -> String {
        let texts = |class: &str| {
            l.layer(class).map(|x| x.texts.iter().map(|t| t.text.clone()).collect::<Vec<_>>()).unwrap_or_default()
        };
        let r = |r: Rect| format!("({:.0}, {:.0})–({:.0}, {:.0})", r.x0, r.y0, r.x1, r.y1);
        format!(
            "size {:.0}×{:.0}\nplot {}\nlegend {}\nx ticks {:?}\ny ticks {:?}\nlabels {:?}\nnotes {:?}\nlegend entries {:?}\n",
            l.width,
            l.height,
            r(l.plot),
            l.legend.map_or("none".into(), r),
            texts("x-ticks"),
            texts("y-ticks"),
            texts("labels"),
            texts("notes"),
            texts("legend"),
        )
    }

    #[test]
    fn snapshot_of_a_grouped_sweep_with_formulas_on_a_log_axis() {
        let n = [100.0, 1000.0, 10_000.0, 100_000.0, 1_000_000.0];
        let at = |f: &dyn Fn(f64) -> f64| n.iter().map(|&x| (x, f(x))).collect::<Vec<_>>();
        let mut push = series("push", &at(&|x| x.log2() + x.ln() + 1.0), Style::Measured, Ink::Group(0));
        push.ci = push.points.iter().map(|p| (p.1 - 1.0, p.1 + 1.0)).collect();
        let f = Figure {
            title: "Anti-entropy: rounds to convergence vs N".into(),
            x_label: "N (log scale)".into(),
            y_label: "rounds".into(),
            log_x: true,
            log_y: false,
            content: Content::Lines(vec![
                push,
                series("push-pull", &at(&|x| x.ln() / 3f64.ln() + 2.0), Style::Measured, Ink::Group(1)),
                series(
                    "expected rounds from the recursion (push)",
                    &at(&|x| x.log2() + x.ln()),
                    Style::Analytic,
                    Ink::Group(0),
                ),
                series("log2 N + ln N (push)", &at(&|x| x.log2() + x.ln() - 1.0), Style::Analytic, Ink::Group(0)),
                series("log3 N (push-pull)", &at(&|x| x.ln() / 3f64.ln()), Style::Analytic, Ink::Group(1)),
            ]),
        };
        let l = layout(&f).unwrap();
        check(&l).unwrap();
        insta::assert_snapshot!(summary(&l));
    }

    #[test]
    fn snapshot_of_a_histogram_with_a_short_legend() {
        let f = Figure {
            title: "GOSSIP1(p, 1): coverage over 200 runs".into(),
            x_label: "coverage".into(),
            y_label: "runs".into(),
            log_x: false,
            log_y: false,
            content: Content::Histogram(vec![
                ("p = 0.6".into(), (0..50).map(|i| f64::from(i % 10) / 10.0).collect()),
                ("p = 0.8".into(), (0..50).map(|i| 0.9 + f64::from(i % 10) / 100.0).collect()),
            ]),
        };
        let l = layout(&f).unwrap();
        check(&l).unwrap();
        assert!(l.legend.unwrap().x0 > l.plot.x1, "a narrow legend goes beside the plot area");
        insta::assert_snapshot!(summary(&l));
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            -1e3..1e3f64,
            (-12i32..12, 1.0..10.0f64).prop_map(|(e, m)| m * 10f64.powi(e)),
            (0u32..200).prop_map(f64::from),
        ]
    }

    /// Labels of 1 to 240 characters, in words of 4 or of up to 120 letters.
    fn label() -> impl Strategy<Value = String> {
        (1usize..240, 4usize..120, any::<bool>()).prop_map(|(n, long, short_words)| {
            let word = if short_words { "word ".to_owned() } else { "w".repeat(long) + " " };
            word.repeat(n / word.len() + 1)[..n].trim_end().to_owned() + "x"
        })
    }

    fn figure() -> impl Strategy<Value = Figure> {
        let one = (label(), prop::collection::vec((value(), value()), 1..30), 0usize..3, 0usize..12, any::<bool>())
            .prop_map(|(label, points, style, group, ci)| Series {
                ci: if ci { points.iter().map(|p| (p.1 - 1.0, p.1 + 1.0)).collect() } else { Vec::new() },
                label,
                points,
                style: [Style::Measured, Style::Analytic, Style::Curve][style],
                ink: if group == 11 { Ink::Neutral } else { Ink::Group(group) },
            });
        let lines = (prop::collection::vec(one, 1..40), any::<bool>(), any::<bool>())
            .prop_map(|(s, lx, ly)| (Content::Lines(s), lx, ly));
        let histogram = prop::collection::vec((label(), prop::collection::vec(value(), 1..60)), 1..8)
            .prop_map(|samples| (Content::Histogram(samples), false, false));
        (prop_oneof![lines, histogram], label(), label(), label()).prop_map(
            |((content, log_x, log_y), title, x_label, y_label)| Figure {
                title,
                x_label,
                y_label,
                log_x,
                log_y,
                content,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any figure that has something to draw gets labelled ticks on both axes, a legend clear of the plot
        /// area, every text inside the figure and off the data, and every data mark inside the plot area.
        #[test]
        fn every_layout_is_readable(f in figure()) {
            match layout(&f) {
                Ok(l) => prop_assert_eq!(check(&l), Ok(())),
                Err(e) => prop_assert!(e.0.contains("to draw"), "{}", e.0),
            }
        }
    }
}

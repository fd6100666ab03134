//! A layout as SVG. Text is drawn as glyph outlines of the embedded font: each glyph used is defined once
//! (`<defs>`) and placed with `<use>`, and each line of text carries its words as `aria-label`, so the file
//! looks the same in every viewer and stays small and accessible. Layers are `<g class="…">` groups.

use std::collections::BTreeMap;

use super::PlotError;
use super::layout::{Layout, Mark, Rgb, Text};
use super::text::Face;

/// A number as SVG writes it: at most one decimal.
fn num(v: f64) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_owned();
    if s == "-0" { "0".into() } else { s }
}

fn hex(Rgb(r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn points(pts: &[(f64, f64)]) -> String {
    pts.iter().map(|&(x, y)| format!("{},{}", num(x), num(y))).collect::<Vec<_>>().join(" ")
}

fn mark(m: &Mark) -> String {
    match m {
        Mark::Line { points: p, color, width, dash } => {
            let dash = if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{}""#, dash.iter().map(|&d| num(d)).collect::<Vec<_>>().join(" "))
            };
            format!(
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round"{dash}/>"#,
                points(p),
                hex(*color),
                num(*width)
            )
        }
        Mark::Polygon { points: p, fill, opacity } => {
            let opacity = if *opacity < 1.0 { format!(r#" fill-opacity="{}""#, opacity) } else { String::new() };
            format!(r#"<polygon points="{}" fill="{}"{opacity}/>"#, points(p), hex(*fill))
        }
        Mark::Circle { center, radius, fill } => {
            format!(
                r#"<circle cx="{}" cy="{}" r="{}" fill="{}"/>"#,
                num(center.0),
                num(center.1),
                num(*radius),
                hex(*fill)
            )
        }
        Mark::Rect { rect, fill, stroke } => {
            let fill = match fill {
                Some((c, o)) if *o < 1.0 => format!(r#"fill="{}" fill-opacity="{o}""#, hex(*c)),
                Some((c, _)) => format!(r#"fill="{}""#, hex(*c)),
                None => r#"fill="none""#.to_owned(),
            };
            let stroke =
                stroke.map(|(c, w)| format!(r#" stroke="{}" stroke-width="{}""#, hex(c), num(w))).unwrap_or_default();
            format!(
                r#"<rect x="{}" y="{}" width="{}" height="{}" {fill}{stroke}/>"#,
                num(rect.x0),
                num(rect.y0),
                num(rect.x1 - rect.x0),
                num(rect.y1 - rect.y0)
            )
        }
    }
}

/// A line of text as `<use>` of glyph outlines; records the glyphs it needs in `glyphs` (id → path data).
fn text(t: &Text, glyphs: &mut BTreeMap<String, String>) -> Result<String, PlotError> {
    let face = Face::get(t.bold)?;
    let units = face.units_per_px(t.size);
    let prefix = if t.bold { "b" } else { "r" };
    let mut uses = String::new();
    for (id, dx) in face.glyphs(&t.text, t.size) {
        let name = format!("{prefix}{}", id.0);
        let path = glyphs.entry(name.clone()).or_insert_with(|| face.svg_path(id));
        if !path.is_empty() {
            uses += &format!(r##"<use xlink:href="#{name}" x="{}"/>"##, ((dx - t.shift()) * units).round());
        }
    }
    let rotate = if t.vertical { " rotate(-90)" } else { "" };
    Ok(format!(
        r#"<g aria-label="{}" fill="{}" transform="translate({} {}){rotate} scale({:.5} -{:.5})">{uses}</g>"#,
        escape(&t.text),
        hex(t.color),
        num(t.x),
        num(t.y),
        1.0 / units,
        1.0 / units
    ))
}

pub(super) fn render(layout: &Layout) -> Result<String, PlotError> {
    let mut glyphs = BTreeMap::new();
    let mut body = String::new();
    for layer in &layout.layers {
        body += &format!("<g class=\"{}\">\n", layer.class);
        for m in &layer.marks {
            body += &mark(m);
            body.push('\n');
        }
        for t in &layer.texts {
            body += &text(t, &mut glyphs)?;
            body.push('\n');
        }
        body += "</g>\n";
    }
    let (w, h) = (num(layout.width), num(layout.height));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{w}\" \
         height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\n<title>{}</title>\n<defs>\n",
        escape(&layout.title)
    );
    for (name, d) in glyphs.iter().filter(|(_, d)| !d.is_empty()) {
        svg += &format!("<path id=\"{name}\" d=\"{d}\"/>\n");
    }
    svg += &format!("</defs>\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{body}</svg>\n");
    Ok(svg)
}

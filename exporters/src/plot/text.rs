//! Text in plots: DejaVu Sans (from the `dejavu` crate) measured and laid out with ab_glyph, drawn as glyph
//! outlines in SVG and rasterised from the same outlines in PNG, so both look the same on every machine
//! whatever fonts it has.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, PxScale, ScaleFont, point};

use super::PlotError;

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static FONTS: LazyLock<Result<Fonts, ab_glyph::InvalidFont>> = LazyLock::new(|| {
    Ok(Fonts {
        regular: FontRef::try_from_slice(dejavu::sans::regular())?,
        bold: FontRef::try_from_slice(dejavu::sans::bold())?,
    })
});

/// The plot font, regular or bold.
#[derive(Clone, Copy)]
pub(super) struct Face {
    font: &'static FontRef<'static>,
}

impl Face {
    pub fn get(bold: bool) -> Result<Face, PlotError> {
        let fonts = FONTS.as_ref().map_err(|e| PlotError(format!("the DejaVu Sans font does not load: {e}")))?;
        Ok(Face { font: if bold { &fonts.bold } else { &fonts.regular } })
    }

    /// Glyphs of `text` at `size` (pixels from descender to ascender) with their x offsets, kerned.
    pub fn glyphs(&self, text: &str, size: f64) -> Vec<(GlyphId, f64)> {
        let scaled = self.font.as_scaled(PxScale::from(size as f32));
        let mut x = 0.0f32;
        let mut previous: Option<GlyphId> = None;
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                x += scaled.kern(p, id);
            }
            out.push((id, f64::from(x)));
            x += scaled.h_advance(id);
            previous = Some(id);
        }
        out
    }

    pub fn width(&self, text: &str, size: f64) -> f64 {
        let scaled = self.font.as_scaled(PxScale::from(size as f32));
        match self.glyphs(text, size).last() {
            Some(&(id, x)) => x + f64::from(scaled.h_advance(id)),
            None => 0.0,
        }
    }

    /// Height above the baseline of the tallest glyphs, as a fraction of the size.
    pub fn ascent(&self) -> f64 {
        f64::from(self.font.ascent_unscaled() / self.font.height_unscaled())
    }

    /// Depth below the baseline (positive), as a fraction of the size.
    pub fn descent(&self) -> f64 {
        f64::from(-self.font.descent_unscaled() / self.font.height_unscaled())
    }

    /// Font units per pixel of size: an outline scaled by `1 / units_per_px(size)` is `size` pixels tall.
    pub fn units_per_px(&self, size: f64) -> f64 {
        f64::from(self.font.height_unscaled()) / size
    }

    /// The outline of a glyph as SVG path data in font units, y up (empty for a blank glyph).
    pub fn svg_path(&self, id: GlyphId) -> String {
        let Some(outline) = self.font.outline(id) else { return String::new() };
        // Contours one by one; a contour's closing line back to its start is left to `Z`.
        let mut d = String::new();
        let mut contour = String::new();
        let (mut start, mut at): (Option<ab_glyph::Point>, Option<ab_glyph::Point>) = (None, None);
        let p = |q: ab_glyph::Point| format!("{} {}", q.x.round(), q.y.round());
        let close = |contour: &mut String, start: Option<ab_glyph::Point>, d: &mut String| {
            if let Some(s) = start {
                let closing = format!("L{}", p(s));
                let body = contour.strip_suffix(&closing).unwrap_or(contour);
                *d += body;
                d.push('Z');
            }
            contour.clear();
        };
        for curve in &outline.curves {
            let (from, to) = match curve {
                OutlineCurve::Line(a, b) => (*a, *b),
                OutlineCurve::Quad(a, _, c) => (*a, *c),
                OutlineCurve::Cubic(a, _, _, d) => (*a, *d),
            };
            if at != Some(from) {
                close(&mut contour, start, &mut d);
                contour += &format!("M{}", p(from));
                start = Some(from);
            }
            match curve {
                OutlineCurve::Line(_, b) => contour += &format!("L{}", p(*b)),
                OutlineCurve::Quad(_, b, c) => contour += &format!("Q{} {}", p(*b), p(*c)),
                OutlineCurve::Cubic(_, b, c, e) => contour += &format!("C{} {} {}", p(*b), p(*c), p(*e)),
            }
            at = Some(to);
        }
        close(&mut contour, start, &mut d);
        d
    }

    /// Coverage of the glyphs of `text` drawn with its baseline starting at (`x`, `y`): calls `plot(px, py,
    /// coverage)` for every touched pixel.
    pub fn rasterize(&self, text: &str, size: f64, (x, y): (f64, f64), mut plot: impl FnMut(i64, i64, f32)) {
        let scale = PxScale::from(size as f32);
        for (id, dx) in self.glyphs(text, size) {
            let glyph = id.with_scale_and_position(scale, point((x + dx) as f32, y as f32));
            if let Some(outlined) = self.font.outline_glyph(glyph) {
                let min = outlined.px_bounds().min;
                outlined.draw(|gx, gy, c| plot(min.x as i64 + i64::from(gx), min.y as i64 + i64::from(gy), c));
            }
        }
    }
}

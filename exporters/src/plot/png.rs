//! A layout as PNG: plotters' bitmap backend draws the marks and ab_glyph the text, at three times the size,
//! and the image is then averaged down, which smooths every edge.

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use plotters::prelude::{BitMapBackend, DrawingBackend};
use plotters::style::{Color, RGBAColor, ShapeStyle};

use super::layout::{Layout, Mark, Rgb, Text, dashes};
use super::text::Face;
use super::{PlotError, err};

/// Supersampling factor.
const SCALE: u32 = 3;

fn color(Rgb(r, g, b): Rgb, alpha: f64) -> ShapeStyle {
    ShapeStyle { color: RGBAColor(r, g, b, alpha), filled: true, stroke_width: 1 }
}

fn at((x, y): (f64, f64)) -> (i32, i32) {
    let s = f64::from(SCALE);
    ((x * s).round() as i32, (y * s).round() as i32)
}

fn mark(b: &mut BitMapBackend, m: &Mark) -> Result<(), PlotError> {
    let s = f64::from(SCALE);
    let stroke = |c: Rgb, width: f64| ShapeStyle { stroke_width: (width * s).round().max(1.0) as u32, ..color(c, 1.0) };
    match m {
        Mark::Line { points, color: c, width, dash } => {
            for piece in dashes(points, dash) {
                b.draw_path(piece.into_iter().map(at), &stroke(*c, *width)).map_err(err)?;
            }
        }
        Mark::Polygon { points, fill, opacity } => {
            b.fill_polygon(points.iter().copied().map(at), &color(*fill, *opacity)).map_err(err)?;
        }
        Mark::Circle { center, radius, fill } => {
            b.draw_circle(at(*center), (radius * s).round() as u32, &color(*fill, 1.0), true).map_err(err)?;
        }
        Mark::Rect { rect, fill, stroke: edge } => {
            let corners = [(rect.x0, rect.y0), (rect.x1, rect.y0), (rect.x1, rect.y1), (rect.x0, rect.y1)];
            if let Some((c, opacity)) = fill {
                b.draw_rect(at(corners[0]), at(corners[2]), &color(*c, *opacity), true).map_err(err)?;
            }
            if let Some((c, width)) = edge {
                let closed = corners.iter().chain(&corners[..2]).map(|&p| at(p));
                b.draw_path(closed, &stroke(*c, *width)).map_err(err)?;
            }
        }
    }
    Ok(())
}

fn text(b: &mut BitMapBackend, t: &Text) -> Result<(), PlotError> {
    let s = f64::from(SCALE);
    let face = Face::get(t.bold)?;
    let (x, y) = at((t.x, t.y));
    let mut result = Ok(());
    // Vertical text is laid out along x from the origin, then turned a quarter to read upwards.
    let origin = if t.vertical { (-t.shift() * s, 0.0) } else { (f64::from(x) - t.shift() * s, f64::from(y)) };
    face.rasterize(&t.text, t.size * s, origin, |px, py, coverage| {
        let (px, py) = if t.vertical { (i64::from(x) + py, i64::from(y) - px) } else { (px, py) };
        if result.is_ok()
            && coverage > 0.0
            && let (Ok(px), Ok(py)) = (i32::try_from(px), i32::try_from(py))
        {
            result = b.draw_pixel((px, py), color(t.color, f64::from(coverage.min(1.0))).color.to_backend_color());
        }
    });
    result.map_err(err)
}

pub(super) fn render(layout: &Layout) -> Result<Vec<u8>, PlotError> {
    let (w, h) = (layout.width as u32, layout.height as u32);
    let mut big = vec![255u8; (w * SCALE * h * SCALE * 3) as usize];
    {
        let mut b = BitMapBackend::with_buffer(&mut big, (w * SCALE, h * SCALE));
        for layer in &layout.layers {
            for m in &layer.marks {
                mark(&mut b, m)?;
            }
            for t in &layer.texts {
                text(&mut b, t)?;
            }
        }
        b.present().map_err(err)?;
    }
    // Average each SCALE × SCALE block.
    let (bw, n) = ((w * SCALE) as usize, (SCALE * SCALE) as usize);
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    for y in 0..h as usize {
        for x in 0..w as usize {
            for c in 0..3 {
                let mut sum = 0usize;
                for dy in 0..SCALE as usize {
                    let row = (y * SCALE as usize + dy) * bw;
                    for dx in 0..SCALE as usize {
                        sum += usize::from(big[(row + x * SCALE as usize + dx) * 3 + c]);
                    }
                }
                pixels[(y * w as usize + x) * 3 + c] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Best, FilterType::Adaptive)
        .write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .map_err(err)?;
    Ok(png)
}

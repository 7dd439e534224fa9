//! Logos: the small subset of SVG an institution's logo is drawn from (`rect`, `circle`,
//! `ellipse` and `path` with plain fill and stroke attributes; no transforms, styles, gradients
//! or arcs), turned into PDF vector paths. A logo outside the subset is not drawn at all
//! ([`Logo::parse`] says `None`), so that the caller can fall back to the institution's name.

use pdf_writer::types::{LineCapStyle, LineJoinStyle};
use pdf_writer::{Content, Name};

use crate::color::Rgb;

/// A parsed logo, ready to draw at any size.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    view_box: ViewBox,
    shapes: Vec<Shape>,
}

impl Logo {
    /// The shapes of a simple SVG (see the module's documentation), or `None` when it uses
    /// anything else or has no usable `viewBox`.
    pub fn parse(svg: &str) -> Option<Logo> {
        parse_svg(svg).map(|(view_box, shapes)| Logo { view_box, shapes })
    }

    /// The logo's `viewBox`: the user-space rectangle it is drawn from.
    pub fn view_box(&self) -> ViewBox {
        self.view_box
    }

    /// Draws the logo into the square of side `size` whose bottom-left corner is (`x`, `y`),
    /// scaled to fit with its aspect ratio kept, inside a `/Logo` marked-content block. The
    /// graphics state (colours, line width, ...) is restored afterwards.
    pub fn draw(&self, c: &mut Content, x: f32, y: f32, size: f32) {
        c.begin_marked_content(Name(b"Logo"));
        draw_svg(c, &self.shapes, self.view_box, x, y, size);
        c.end_marked_content();
    }
}

/// An SVG `viewBox`: the origin and size of the user space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// One segment of a path, in user space.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seg {
    Move(f32, f32),
    Line(f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

/// One filled and/or stroked path.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    path: Vec<Seg>,
    fill: Option<Rgb>,
    stroke: Option<Rgb>,
    stroke_width: f32,
    round_joins: bool,
    round_caps: bool,
}

/// `name="value"` pairs of a tag's inside.
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            break;
        };
        let Some(end) = after[1..].find(quote) else {
            break;
        };
        out.push((name, &after[1..1 + end]));
        rest = &after[end + 2..];
    }
    out
}

/// A paint: `none`, a hex colour, black or white; `Err` for anything else (gradients, ...).
fn paint(v: &str) -> Result<Option<Rgb>, ()> {
    match v.trim() {
        "none" | "transparent" => Ok(None),
        "black" => Ok(Some(Rgb::BLACK)),
        "white" => Ok(Some(Rgb::WHITE)),
        v => Rgb::hex(v).map(Some).ok_or(()),
    }
}

/// Numbers of an SVG list or path: `-3.2`, `.5`, `1e-3`, separated by spaces, commas or signs.
fn numbers(s: &str) -> Option<Vec<f32>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        if b[i] == b' ' || b[i] == b',' || b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if b[i] == b'-' || b[i] == b'+' {
            i += 1;
        }
        let mut dot = false;
        while i < b.len() && (b[i].is_ascii_digit() || (b[i] == b'.' && !dot)) {
            dot |= b[i] == b'.';
            i += 1;
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
                i += 1;
            }
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        out.push(s[start..i].parse().ok()?);
    }
    Some(out)
}

/// Path data with M, L, H, V, C, S, Q, Z (absolute and relative); `None` for arcs or errors.
fn path_data(d: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    let (mut cx, mut cy, mut sx, mut sy) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    // the last cubic's second control point, for S
    let mut last_ctrl: Option<(f32, f32)> = None;
    let mut rest = d.trim();
    while !rest.is_empty() {
        let cmd = rest.chars().next()?;
        if !cmd.is_ascii_alphabetic() {
            return None;
        }
        let end = rest[1..]
            .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
            .map_or(rest.len(), |i| i + 1);
        let args = numbers(&rest[1..end])?;
        rest = rest[end..].trim_start();
        let rel = cmd.is_ascii_lowercase();
        let arity = match cmd.to_ascii_uppercase() {
            'M' | 'L' => 2,
            'H' | 'V' => 1,
            'C' => 6,
            'S' | 'Q' => 4,
            'Z' => 0,
            _ => return None,
        };
        if arity == 0 {
            segs.push(Seg::Close);
            (cx, cy) = (sx, sy);
            last_ctrl = None;
            continue;
        }
        if args.is_empty() || args.len() % arity != 0 {
            return None;
        }
        for (k, a) in args.chunks(arity).enumerate() {
            let (ox, oy) = if rel { (cx, cy) } else { (0.0, 0.0) };
            match cmd.to_ascii_uppercase() {
                'M' if k == 0 => {
                    (cx, cy) = (ox + a[0], oy + a[1]);
                    (sx, sy) = (cx, cy);
                    segs.push(Seg::Move(cx, cy));
                    last_ctrl = None;
                }
                'M' | 'L' => {
                    (cx, cy) = (ox + a[0], oy + a[1]);
                    segs.push(Seg::Line(cx, cy));
                    last_ctrl = None;
                }
                'H' => {
                    cx = if rel { cx + a[0] } else { a[0] };
                    segs.push(Seg::Line(cx, cy));
                    last_ctrl = None;
                }
                'V' => {
                    cy = if rel { cy + a[0] } else { a[0] };
                    segs.push(Seg::Line(cx, cy));
                    last_ctrl = None;
                }
                'C' => {
                    let (x1, y1, x2, y2) = (ox + a[0], oy + a[1], ox + a[2], oy + a[3]);
                    (cx, cy) = (ox + a[4], oy + a[5]);
                    segs.push(Seg::Cubic(x1, y1, x2, y2, cx, cy));
                    last_ctrl = Some((x2, y2));
                }
                'S' => {
                    let (x1, y1) =
                        last_ctrl.map_or((cx, cy), |(px, py)| (2.0 * cx - px, 2.0 * cy - py));
                    let (x2, y2) = (ox + a[0], oy + a[1]);
                    (cx, cy) = (ox + a[2], oy + a[3]);
                    segs.push(Seg::Cubic(x1, y1, x2, y2, cx, cy));
                    last_ctrl = Some((x2, y2));
                }
                // a quadratic as the cubic it is
                _ => {
                    let (qx, qy) = (ox + a[0], oy + a[1]);
                    let (ex, ey) = (ox + a[2], oy + a[3]);
                    segs.push(Seg::Cubic(
                        cx + 2.0 / 3.0 * (qx - cx),
                        cy + 2.0 / 3.0 * (qy - cy),
                        ex + 2.0 / 3.0 * (qx - ex),
                        ey + 2.0 / 3.0 * (qy - ey),
                        ex,
                        ey,
                    ));
                    (cx, cy) = (ex, ey);
                    last_ctrl = None;
                }
            }
        }
    }
    Some(segs)
}

/// Bézier circle constant.
const KAPPA: f32 = 0.552_284_8;

/// An ellipse as four cubic arcs.
fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Vec<Seg> {
    let (kx, ky) = (rx * KAPPA, ry * KAPPA);
    vec![
        Seg::Move(cx + rx, cy),
        Seg::Cubic(cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry),
        Seg::Cubic(cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy),
        Seg::Cubic(cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry),
        Seg::Cubic(cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy),
        Seg::Close,
    ]
}

/// A rectangle with corners rounded by the radii `rx`, `ry` (clamped to half the sides).
fn rounded_rect(x: f32, y: f32, w: f32, h: f32, rx: f32, ry: f32) -> Vec<Seg> {
    let (rx, ry) = (rx.clamp(0.0, w / 2.0), ry.clamp(0.0, h / 2.0));
    let (kx, ky) = (rx * (1.0 - KAPPA), ry * (1.0 - KAPPA));
    vec![
        Seg::Move(x + rx, y),
        Seg::Line(x + w - rx, y),
        Seg::Cubic(x + w - kx, y, x + w, y + ky, x + w, y + ry),
        Seg::Line(x + w, y + h - ry),
        Seg::Cubic(x + w, y + h - ky, x + w - kx, y + h, x + w - rx, y + h),
        Seg::Line(x + rx, y + h),
        Seg::Cubic(x + kx, y + h, x, y + h - ky, x, y + h - ry),
        Seg::Line(x, y + ry),
        Seg::Cubic(x, y + ky, x + kx, y, x + rx, y),
        Seg::Close,
    ]
}

/// The `viewBox` and shapes of a simple SVG, or `None` when it uses anything else. Tags are
/// read one after the other (nesting is not needed: plain `<g>`s are skipped).
fn parse_svg(svg: &str) -> Option<(ViewBox, Vec<Shape>)> {
    let mut view_box = None;
    let mut shapes = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>')? + open;
        let tag = rest[open + 1..close].trim_end_matches('/').trim();
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.starts_with('/') {
            continue;
        }
        let (name, attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let attrs = attributes(attrs);
        let get = |k: &str| attrs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let num = |k: &str| get(k).map_or(Some(0.0), |v| v.trim().parse::<f32>().ok());
        if attrs.iter().any(|(n, _)| {
            matches!(
                *n,
                "transform"
                    | "style"
                    | "class"
                    | "opacity"
                    | "fill-opacity"
                    | "clip-path"
                    | "mask"
                    | "filter"
            )
        }) {
            return None;
        }
        let path = match name {
            "svg" => {
                let v = numbers(get("viewBox")?)?;
                if v.len() != 4 || v[2] <= 0.0 || v[3] <= 0.0 {
                    return None;
                }
                view_box = Some(ViewBox {
                    x: v[0],
                    y: v[1],
                    w: v[2],
                    h: v[3],
                });
                continue;
            }
            "title" | "desc" => continue,
            "g" if attrs.is_empty() => continue,
            "rect" => {
                let rx = get("rx")
                    .or(get("ry"))
                    .map_or(Some(0.0), |v| v.parse().ok())?;
                let ry = get("ry")
                    .or(get("rx"))
                    .map_or(Some(0.0), |v| v.parse().ok())?;
                rounded_rect(num("x")?, num("y")?, num("width")?, num("height")?, rx, ry)
            }
            "circle" => {
                let r = num("r")?;
                ellipse(num("cx")?, num("cy")?, r, r)
            }
            "ellipse" => ellipse(num("cx")?, num("cy")?, num("rx")?, num("ry")?),
            "path" => path_data(get("d")?)?,
            _ => return None,
        };
        shapes.push(Shape {
            path,
            fill: get("fill").map_or(Ok(Some(Rgb::BLACK)), paint).ok()?,
            stroke: get("stroke").map_or(Ok(None), paint).ok()?,
            stroke_width: get("stroke-width").map_or(Some(1.0), |v| v.trim().parse().ok())?,
            round_joins: get("stroke-linejoin") == Some("round"),
            round_caps: get("stroke-linecap") == Some("round"),
        });
    }
    Some((view_box?, shapes))
}

/// Draws `shapes` (in `vb` coordinates) into the square of side `size` at (`x`, `y`).
fn draw_svg(c: &mut Content, shapes: &[Shape], vb: ViewBox, x: f32, y: f32, size: f32) {
    let s = size / vb.w.max(vb.h);
    c.save_state();
    // SVG's y grows downwards
    c.transform([s, 0.0, 0.0, -s, x - vb.x * s, y + size + vb.y * s]);
    for shape in shapes {
        if shape.fill.is_none() && shape.stroke.is_none() {
            continue;
        }
        c.save_state();
        if let Some(fill) = shape.fill {
            fill.fill(c);
        }
        if let Some(stroke) = shape.stroke {
            stroke.stroke(c);
            c.set_line_width(shape.stroke_width);
            if shape.round_joins {
                c.set_line_join(LineJoinStyle::RoundJoin);
            }
            if shape.round_caps {
                c.set_line_cap(LineCapStyle::RoundCap);
            }
        }
        for seg in &shape.path {
            match *seg {
                Seg::Move(x, y) => c.move_to(x, y),
                Seg::Line(x, y) => c.line_to(x, y),
                Seg::Cubic(x1, y1, x2, y2, x3, y3) => c.cubic_to(x1, y1, x2, y2, x3, y3),
                Seg::Close => c.close_path(),
            };
        }
        match (shape.fill.is_some(), shape.stroke.is_some()) {
            (true, true) => c.fill_nonzero_and_stroke(),
            (true, false) => c.fill_nonzero(),
            _ => c.stroke(),
        };
        c.restore_state();
    }
    c.restore_state();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brand_logos_are_drawable() {
        for svg in [
            include_str!("../../public/brands/cube.svg"),
            include_str!("../../public/brands/mosa.svg"),
            include_str!("../../public/brands/play.svg"),
        ] {
            let logo = Logo::parse(svg).expect("a logo in the supported subset");
            assert_eq!((logo.view_box.w, logo.view_box.h), (40.0, 40.0));
            assert!(logo.shapes.len() >= 2, "{:?}", logo.shapes);
        }
        // anything beyond the subset falls back to the name
        assert!(
            Logo::parse(r#"<svg viewBox="0 0 4 4"><path d="M0 0A1 1 0 0 1 2 2"/></svg>"#).is_none()
        );
        assert!(Logo::parse(
            r#"<svg viewBox="0 0 4 4"><rect width="4" height="4" fill="url(#g)"/></svg>"#
        )
        .is_none());
    }

    #[test]
    fn unsupported_svg_is_refused() {
        for svg in [
            // no viewBox, or an empty one
            r#"<svg><rect width="4" height="4"/></svg>"#,
            r#"<svg viewBox="0 0 0 4"><rect width="4" height="4"/></svg>"#,
            // transforms, styles, unknown elements, a group with attributes
            r#"<svg viewBox="0 0 4 4"><rect width="4" height="4" transform="rotate(4)"/></svg>"#,
            r#"<svg viewBox="0 0 4 4"><rect width="4" height="4" style="fill:red"/></svg>"#,
            r#"<svg viewBox="0 0 4 4"><text>CUBE</text></svg>"#,
            r#"<svg viewBox="0 0 4 4"><g fill="red"><rect width="4" height="4"/></g></svg>"#,
            // bad numbers, a tag left open
            r#"<svg viewBox="0 0 4 4"><circle cx="x" r="1"/></svg>"#,
            r#"<svg viewBox="0 0 4 4"><rect width="4""#,
        ] {
            assert_eq!(Logo::parse(svg), None, "{svg}");
        }
    }

    #[test]
    fn shapes_take_their_paint_and_stroke() {
        let logo = Logo::parse(concat!(
            r#"<?xml version="1.0"?><!-- a comment --><svg viewBox="-2 -2 44 20">"#,
            r#"<title>t</title><g><circle cx="10" cy="10" r="5"/></g>"#,
            r##"<ellipse cx="1" cy="2" rx="3" ry="4" fill="none" stroke="#f00" "##,
            r#"stroke-width='2.5' stroke-linecap="round" stroke-linejoin="round" />"#,
            r#"<rect x="1" y="1" width="4" height="2" rx="9" fill="white"/></svg>"#,
        ))
        .unwrap();
        assert_eq!(
            logo.view_box(),
            ViewBox {
                x: -2.0,
                y: -2.0,
                w: 44.0,
                h: 20.0
            }
        );
        let [circle, ellipse, rect] = &logo.shapes[..] else {
            panic!("{:?}", logo.shapes)
        };
        assert_eq!(circle.fill, Some(Rgb::BLACK), "SVG's default fill");
        assert_eq!(circle.stroke, None);
        assert_eq!(circle.path[0], Seg::Move(15.0, 10.0));
        assert_eq!(circle.path.len(), 6);
        assert_eq!(ellipse.fill, None);
        assert_eq!(ellipse.stroke, Some(Rgb(1.0, 0.0, 0.0)));
        assert_eq!(ellipse.stroke_width, 2.5);
        assert!(ellipse.round_caps && ellipse.round_joins);
        assert_eq!(rect.fill, Some(Rgb::WHITE));
        // the radius is clamped to half the sides: the rectangle starts after its corner
        assert_eq!(rect.path[0], Seg::Move(3.0, 1.0));
        assert_eq!(rect.path[1], Seg::Line(3.0, 1.0));
    }

    #[test]
    fn path_data_reads_relative_and_implicit_commands() {
        let segs = path_data("M20 5l13 7.5v15L20 35 7 27.5z").unwrap();
        assert_eq!(
            segs,
            vec![
                Seg::Move(20.0, 5.0),
                Seg::Line(33.0, 12.5),
                Seg::Line(33.0, 27.5),
                Seg::Line(20.0, 35.0),
                Seg::Line(7.0, 27.5),
                Seg::Close,
            ]
        );
        let segs = path_data("M20 11l8.5 6.2-3.2 10h-10.6").unwrap();
        assert_eq!(segs.len(), 4);
        assert!(
            matches!(segs[2], Seg::Line(x, y) if (x - 25.3).abs() < 1e-4 && (y - 27.2).abs() < 1e-4)
        );
    }

    #[test]
    fn path_data_reads_curves() {
        let segs = path_data("M0 0C1 2 3 4 5 6s5 6 7 8Q12 18 3 3zm1 1H4V5").unwrap();
        assert_eq!(
            segs,
            vec![
                Seg::Move(0.0, 0.0),
                Seg::Cubic(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
                // S mirrors the last control point (3, 4) about the current point (5, 6)
                Seg::Cubic(7.0, 8.0, 10.0, 12.0, 12.0, 14.0),
                // Q as the cubic it is (checked below)
                segs[3],
                Seg::Close,
                // after z the current point is the subpath's start again
                Seg::Move(1.0, 1.0),
                Seg::Line(4.0, 1.0),
                Seg::Line(4.0, 5.0),
            ]
        );
        // Q12 18 3 3 from (12, 14): the cubic's controls 2/3 of the way to (12, 18)
        let Seg::Cubic(x1, y1, x2, y2, x3, y3) = segs[3] else {
            panic!("{:?}", segs[3])
        };
        let near = |a: f32, b: f32| (a - b).abs() < 1e-4;
        assert!(
            near(x1, 12.0) && near(y1, 14.0 + 8.0 / 3.0),
            "{:?}",
            segs[3]
        );
        assert!(near(x2, 9.0) && near(y2, 13.0), "{:?}", segs[3]);
        assert_eq!((x3, y3), (3.0, 3.0));
        assert_eq!(path_data("M0 0L1"), None, "an odd number of arguments");
        assert_eq!(path_data("0 0"), None, "no command");
    }

    #[test]
    fn numbers_are_read_as_svg_writes_them() {
        assert_eq!(
            numbers("1,2 -3.5.5e1 1e-1-2 +4\n\t.25"),
            Some(vec![1.0, 2.0, -3.5, 5.0, 0.1, -2.0, 4.0, 0.25])
        );
        assert_eq!(numbers(""), Some(vec![]));
        assert_eq!(numbers("1 x"), None);
        assert_eq!(
            attributes(r#"a="1" b = '2'  c="x y""#),
            vec![("a", "1"), ("b", "2"), ("c", "x y")]
        );
        assert!(
            attributes(r#"a=1 b="2""#).is_empty(),
            "unquoted values stop the list"
        );
    }

    #[test]
    fn a_logo_is_drawn_scaled_and_flipped_in_a_logo_block() {
        let logo = Logo::parse(
            r##"<svg viewBox="0 0 40 20"><path d="M0 0h40" stroke="#000" fill="none"/></svg>"##,
        )
        .unwrap();
        let mut c = Content::new();
        logo.draw(&mut c, 10.0, 100.0, 80.0);
        let ops = String::from_utf8(c.finish().to_vec()).unwrap();
        let lines: Vec<&str> = ops.lines().collect();
        assert_eq!(
            lines,
            [
                "/Logo BMC",
                "q",
                // scale 80/40, y flipped, the view box's top at the square's top
                "2 0 0 -2 10 180 cm",
                "q",
                "0 0 0 RG",
                "1 w",
                "0 0 m",
                "40 0 l",
                "S",
                "Q",
                "Q",
                "EMC",
            ]
        );
    }
}

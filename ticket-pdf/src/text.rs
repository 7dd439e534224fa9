//! Text with the base-14 Helvetica faces: WinAnsi encoding, advance widths, wrapping to a
//! width, and showing one line.

use pdf_writer::{Content, Name, Str};

/// The two faces a [`Document`](crate::Document) puts on every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica, `/F1` in the page resources.
    Regular,
    /// Helvetica-Bold, `/F2` in the page resources.
    Bold,
}

impl Font {
    /// The resource name the pages give this face.
    pub const fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    /// The base-14 font behind the face.
    pub const fn base_font(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"Helvetica"),
            Font::Bold => Name(b"Helvetica-Bold"),
        }
    }
}

/// `s` in the base-14 fonts' WinAnsi encoding (close to Latin-1): what fits, `?` for the rest.
/// The typographic quotes, dashes, bullet, ellipsis and euro sign have their own codes; the
/// narrow no-break and thin spaces (French groups digits with them) become a no-break space.
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '\u{202f}' | '\u{2009}' => 0xa0,
            c if (c as u32) < 0x100 => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (1/1000 em) of ASCII 32..=126 (Adobe's AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The width of `s` in points at `size`: Helvetica's widths for ASCII, a digit's for anything
/// else, and the bold face taken as 6 % wider.
pub fn text_width(s: &str, font: Font, size: f32) -> f32 {
    let units: u32 = s
        .chars()
        .map(|c| match c as u32 {
            n @ 32..=126 => HELVETICA[(n - 32) as usize] as u32,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
        * match font {
            Font::Regular => 1.0,
            Font::Bold => 1.06,
        }
}

/// `s` in lines no wider than `width` at `size` (a word longer than a line stays whole, on a
/// line of its own); runs of white space become one space.
pub fn wrap(s: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in s.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, font, size) > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Shows `s` (WinAnsi-encoded) with its baseline starting at (`x`, `y`), in the current fill
/// colour.
pub fn show(c: &mut Content, font: Font, size: f32, x: f32, y: f32, s: &str) {
    c.begin_text()
        .set_font(font.name(), size)
        .next_line(x, y)
        .show(Str(&win_ansi(s)))
        .end_text();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_maps_latin_1_and_the_typographic_extras() {
        assert_eq!(win_ansi("Genève"), b"Gen\xe8ve");
        assert_eq!(win_ansi("1\u{202f}250,00 €"), b"1\xa0250,00 \x80");
        assert_eq!(
            win_ansi("„Faust“ – Teil 1…"),
            b"\x84Faust\x93 \x96 Teil 1\x85"
        );
        assert_eq!(win_ansi("‘a’ “b” • —"), b"\x91a\x92 \x93b\x94 \x95 \x97");
        // beyond WinAnsi: one `?` per character, not per byte
        assert_eq!(win_ansi("Łódź 東京 🎫"), b"?\xf3d? ?? ?");
    }

    #[test]
    fn widths_follow_helvetica() {
        // "Hamlet": H 722, a 556, m 833, l 222, e 556, t 278 = 3167 units
        assert!((text_width("Hamlet", Font::Regular, 10.0) - 31.67).abs() < 1e-3);
        assert!((text_width("Hamlet", Font::Bold, 10.0) - 31.67 * 1.06).abs() < 1e-3);
        // outside ASCII: a digit's width
        assert_eq!(
            text_width("é", Font::Regular, 10.0),
            text_width("0", Font::Regular, 10.0)
        );
        assert_eq!(text_width("", Font::Bold, 12.0), 0.0);
    }

    #[test]
    fn text_is_wrapped_to_the_width() {
        let s = "Romeo and Juliet – the full production, with orchestra";
        let lines = wrap(s, Font::Bold, 20.0, 200.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, Font::Bold, 20.0) <= 200.0 || !l.contains(' '));
        }
        // nothing lost, nothing added
        assert_eq!(lines.join(" "), s);
        // a line wide enough keeps it whole; a word wider than the line stays whole
        assert_eq!(wrap(s, Font::Regular, 8.0, 1000.0), vec![s.to_string()]);
        assert_eq!(
            wrap("Supercalifragilistic ok", Font::Regular, 20.0, 50.0),
            vec!["Supercalifragilistic", "ok"]
        );
        assert!(wrap("  \n ", Font::Regular, 10.0, 100.0).is_empty());
    }

    #[test]
    fn the_faces_are_f1_and_f2() {
        assert_eq!(Font::Regular.name(), Name(b"F1"));
        assert_eq!(Font::Bold.name(), Name(b"F2"));
        assert_eq!(Font::Bold.base_font(), Name(b"Helvetica-Bold"));
    }
}

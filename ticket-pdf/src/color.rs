//! Colours: CSS-style hex notation read into PDF's 0..=1 RGB components.

use pdf_writer::Content;

/// An RGB colour, each component in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    pub const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);

    /// `#rgb` or `#rrggbb` (surrounding white space allowed); `None` for anything else.
    pub fn hex(hex: &str) -> Option<Rgb> {
        let h = hex.trim().strip_prefix('#')?;
        // (`from_str_radix` alone would take "+1" for a pair of digits)
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digits: Vec<u8> = match h.len() {
            3 => h
                .chars()
                .map(|c| c.to_digit(16).map(|d| (d * 17) as u8))
                .collect::<Option<_>>()?,
            6 => (0..3)
                .map(|i| u8::from_str_radix(h.get(i * 2..i * 2 + 2)?, 16).ok())
                .collect::<Option<_>>()?,
            _ => return None,
        };
        Some(Rgb(
            digits[0] as f32 / 255.0,
            digits[1] as f32 / 255.0,
            digits[2] as f32 / 255.0,
        ))
    }

    /// Makes this the fill colour (text and filled shapes).
    pub fn fill(self, c: &mut Content) {
        c.set_fill_rgb(self.0, self.1, self.2);
    }

    /// Makes this the stroke colour (outlines).
    pub fn stroke(self, c: &mut Content) {
        c.set_stroke_rgb(self.0, self.1, self.2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_and_three_digit_hex_colours_are_read() {
        assert_eq!(
            Rgb::hex("#1d4f91"),
            Some(Rgb(29.0 / 255.0, 79.0 / 255.0, 145.0 / 255.0))
        );
        assert_eq!(Rgb::hex(" #FFF "), Some(Rgb::WHITE));
        assert_eq!(Rgb::hex("#000"), Some(Rgb::BLACK));
        assert_eq!(Rgb::hex("#f80"), Rgb::hex("#ff8800"));
    }

    #[test]
    fn anything_else_is_not_a_colour() {
        for bad in [
            "", "#", "1d4f91", "#1d4f9", "#1d4f911", "#zz0000", "#ggg", "red", "#+1+2+3", "#é12",
        ] {
            assert_eq!(Rgb::hex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fill_is_rg_and_stroke_is_capital_rg() {
        let mut c = Content::new();
        Rgb(1.0, 0.5, 0.0).fill(&mut c);
        Rgb::BLACK.stroke(&mut c);
        let ops = String::from_utf8(c.finish().to_vec()).unwrap();
        assert_eq!(ops, "1 0.5 0 rg\n0 0 0 RG");
    }
}

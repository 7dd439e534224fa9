//! QR codes drawn as vector squares, one filled rectangle per dark module, inside a `/QR`
//! marked-content block: crisp at any zoom, scannable from a screen or from paper, and easy for
//! a test to find and decode.

use pdf_writer::{Content, Name};
use qrcode::{Color, EcLevel, QrCode};

/// A QR code (error correction level M) ready to draw.
pub struct Qr {
    code: QrCode,
}

impl Qr {
    /// The light margin around the code, in modules, that scanners need (ISO/IEC 18004).
    pub const QUIET_ZONE: usize = 4;

    /// The QR code of `data`; `None` when it does not fit in a QR code.
    pub fn new(data: &str) -> Option<Qr> {
        QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
            .ok()
            .map(|code| Qr { code })
    }

    /// Modules per side, without the quiet zone.
    pub fn modules(&self) -> usize {
        self.code.width()
    }

    /// The module size at which the code and its quiet zone together are `size` wide.
    pub fn module_for(&self, size: f32) -> f32 {
        size / (self.modules() + 2 * Self::QUIET_ZONE) as f32
    }

    /// The side of the code without its quiet zone at `module` points per module.
    pub fn side(&self, module: f32) -> f32 {
        module * self.modules() as f32
    }

    /// Paints the code's square and its quiet zone white, for a code on a coloured background.
    /// (`x0`, `y0`) is the bottom-left corner of the code itself, as for [`Qr::draw`].
    pub fn draw_quiet_zone(&self, c: &mut Content, x0: f32, y0: f32, module: f32) {
        let zone = Self::QUIET_ZONE as f32 * module;
        let side = module * (self.modules() + 2 * Self::QUIET_ZONE) as f32;
        c.set_fill_gray(1.0)
            .rect(x0 - zone, y0 - zone, side, side)
            .fill_nonzero();
    }

    /// Draws the dark modules in black, the code's bottom-left corner at (`x0`, `y0`) (the quiet
    /// zone is left around it, not drawn), inside a `/QR` marked-content block. The fill colour
    /// is black afterwards.
    pub fn draw(&self, c: &mut Content, x0: f32, y0: f32, module: f32) {
        let n = self.modules();
        c.begin_marked_content(Name(b"QR"));
        c.set_fill_gray(0.0);
        for (i, color) in self.code.to_colors().iter().enumerate() {
            if *color == Color::Dark {
                let (mx, my) = (i % n, i / n);
                c.rect(
                    x0 + mx as f32 * module,
                    y0 + (n - 1 - my) as f32 * module,
                    module,
                    module,
                );
            }
        }
        c.fill_nonzero();
        c.end_marked_content();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_barcode_is_a_version_1_or_2_code_sized_with_its_quiet_zone() {
        let qr = Qr::new("12345678901234567890").unwrap();
        // 20 digits at level M fit version 1: 21 modules
        assert_eq!(qr.modules(), 21);
        assert_eq!(qr.module_for(29.0), 1.0);
        assert_eq!(qr.side(2.0), 42.0);
        assert!(
            Qr::new(&"x".repeat(3000)).is_none(),
            "too long for any version"
        );
    }

    #[test]
    fn the_modules_are_rectangles_in_a_qr_block() {
        let qr = Qr::new("HELLO").unwrap();
        let mut c = Content::new();
        qr.draw_quiet_zone(&mut c, 10.0, 10.0, 1.0);
        qr.draw(&mut c, 10.0, 10.0, 1.0);
        let ops = String::from_utf8(c.finish().to_vec()).unwrap();
        let lines: Vec<&str> = ops.lines().collect();
        assert_eq!(
            lines[..3],
            ["1 g", "6 6 29 29 re", "f"],
            "white quiet zone first"
        );
        assert_eq!(lines[3..5], ["/QR BMC", "0 g"]);
        assert_eq!(lines[lines.len() - 2..], ["f", "EMC"]);
        let dark = qr
            .code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        assert_eq!(
            lines.iter().filter(|l| l.ends_with(" re")).count(),
            dark + 1
        );
        // the top-left finder pattern's corner module is dark: top row, left column
        assert!(lines.contains(&"10 30 1 1 re"), "{ops}");
    }
}

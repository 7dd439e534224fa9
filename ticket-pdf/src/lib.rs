//! The drawing both ticket PDFs share: the sandbox's emulation of S-360's printed tickets
//! (`sandbox/src/pdf.rs`) and the shop's branded e-tickets (`server/src/tickets.rs`). Each of
//! them keeps only its own layout; what a ticket page is drawn with lives here:
//!
//! - [`text`]: the base-14 fonts' WinAnsi encoding, Helvetica's advance widths, word wrapping
//!   and showing a line of text;
//! - [`color`]: `#rgb` / `#rrggbb` colours as PDF fill and stroke colours;
//! - [`qr`]: a QR code drawn as vector squares inside a `/QR` marked-content block (crisp at
//!   any zoom; tests find the modules by that tag and decode them);
//! - [`svg`]: the small subset of SVG an institution's logo is drawn from, as PDF paths inside
//!   a `/Logo` marked-content block;
//! - [`document`]: a PDF of same-sized pages with Helvetica and Helvetica-Bold as `/F1` and
//!   `/F2`, one content stream per page.
//!
//! Coordinates are PDF points with the origin at the bottom left of the page.
//!
//! ```
//! use ticket_pdf::{Content, Document, Font, Qr, Rgb};
//!
//! let mut doc = Document::new(320.0, 600.0);
//! let mut c = Content::new();
//! Rgb::hex("#1d4f91").unwrap().fill(&mut c);
//! ticket_pdf::text::show(&mut c, Font::Bold, 18.0, 24.0, 560.0, "Stade de Genève");
//! let qr = Qr::new("12345678901234567890").unwrap();
//! let module = qr.module_for(200.0);
//! qr.draw(&mut c, 60.0, 200.0, module);
//! doc.add_page(c);
//! let pdf = doc.finish();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

pub mod color;
pub mod document;
pub mod qr;
pub mod svg;
pub mod text;

pub use color::Rgb;
pub use document::{Document, Info};
pub use qr::Qr;
pub use svg::Logo;
pub use text::Font;

/// The content stream a page is drawn into (re-exported so that users need no `pdf-writer`
/// of their own, nor one of another version).
pub use pdf_writer::Content;

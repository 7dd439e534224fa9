//! Ticket PDFs: one page per ticket, with the ticket's data and a QR code that encodes its
//! barcode, drawn as vector squares (crisp at any zoom, scannable from screen or paper).
//! The QR modules sit inside a `/QR` marked-content block so tests can find them.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};
use s360::model::ticket::{PrintFormat, TicketData};

/// What is printed besides the ticket itself.
pub struct Branding<'a> {
    pub institution: &'a str,
    /// `#rrggbb`
    pub color: &'a str,
    pub time_zone: &'a str,
}

/// Base-14 fonts use WinAnsi (close to Latin-1): map what fits, replace the rest.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '–' => 0x96,
            '—' => 0x97,
            '’' => 0x92,
            '€' => 0x80,
            c if (c as u32) < 0x100 => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

fn rgb(hex: &str) -> (f32, f32, f32) {
    let h = hex.trim_start_matches('#');
    let p = |i: usize| {
        h.get(i..i + 2)
            .and_then(|x| u8::from_str_radix(x, 16).ok())
            .unwrap_or(0) as f32
            / 255.0
    };
    if h.len() == 6 {
        (p(0), p(2), p(4))
    } else {
        (0.1, 0.3, 0.6)
    }
}

fn text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&win_ansi(s)))
        .end_text();
}

/// Renders `tickets` as one PDF document.
pub fn render(tickets: &[TicketData], format: PrintFormat, brand: &Branding<'_>) -> Vec<u8> {
    let (w, h) = match format {
        PrintFormat::PdfA4 => (595.0, 842.0),
        PrintFormat::MobilePdf => (320.0, 600.0),
    };
    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let mut next = 5;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let pages: Vec<(Ref, Ref)> = tickets.iter().map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(pages.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    let (r, g, b) = rgb(brand.color);
    for (ticket, (page_id, content_id)) in tickets.iter().zip(&pages) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, w, h));
        page.parent(tree_id);
        page.contents(*content_id);
        {
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), font_id);
            fonts.pair(Name(b"F2"), bold_id);
        }
        page.finish();

        let mut c = Content::new();
        // brand band
        c.set_fill_rgb(r, g, b)
            .rect(0.0, h - 70.0, w, 70.0)
            .fill_nonzero();
        c.set_fill_gray(1.0);
        text(&mut c, Name(b"F2"), 18.0, 24.0, h - 44.0, brand.institution);
        c.set_fill_gray(0.0);

        let mut y = h - 110.0;
        let line = |c: &mut Content, y: &mut f32, font: &[u8], size: f32, s: &str| {
            text(c, Name(font), size, 24.0, *y, s);
            *y -= size + 8.0;
        };
        line(&mut c, &mut y, b"F2", 16.0, &ticket.product_name);
        if let Some(start) = ticket.performance_start {
            line(
                &mut c,
                &mut y,
                b"F1",
                12.0,
                &start.format("%A %-d %B %Y, %H:%M").to_string(),
            );
        }
        let seat = &ticket.seat;
        let mut place = Vec::new();
        if let Some(b) = seat.block_code.as_deref().or(seat.area_code.as_deref()) {
            place.push(format!("Block {b}"));
        }
        if let Some(r) = &seat.row {
            place.push(format!("Row {r}"));
        }
        if let Some(n) = &seat.number {
            place.push(format!("Seat {n}"));
        }
        if let Some(cat) = &ticket.seat_category {
            line(&mut c, &mut y, b"F1", 12.0, cat);
        }
        if !place.is_empty() {
            line(&mut c, &mut y, b"F2", 13.0, &place.join(" · "));
        }
        if let Some(gate) = &ticket.entrance_code {
            line(&mut c, &mut y, b"F1", 12.0, &format!("Entrance: {gate}"));
        }
        line(
            &mut c,
            &mut y,
            b"F1",
            12.0,
            &format!("Tariff: {}", ticket.audience_sub_category),
        );
        if let Some(holder) = &ticket.holder_name {
            line(&mut c, &mut y, b"F1", 12.0, &format!("Holder: {holder}"));
        }
        line(
            &mut c,
            &mut y,
            b"F1",
            10.0,
            &format!("Tax number: {}", ticket.tax_number),
        );

        // QR code of the barcode, quiet zone included
        if let Ok(code) = QrCode::with_error_correction_level(ticket.barcode.as_bytes(), EcLevel::M)
        {
            let n = code.width();
            let size = (w - 48.0).min(220.0);
            let module = size / (n as f32 + 8.0);
            let x0 = (w - module * n as f32) / 2.0;
            let y0 = y - 20.0 - module * n as f32;
            c.begin_marked_content(Name(b"QR"));
            c.set_fill_gray(0.0);
            for (i, color) in code.to_colors().iter().enumerate() {
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
            text(&mut c, Name(b"F1"), 11.0, x0, y0 - 18.0, &ticket.barcode);
        }
        text(
            &mut c,
            Name(b"F1"),
            8.0,
            24.0,
            20.0,
            &format!(
                "Times in {}. Ticket {} – valid once.",
                brand.time_zone, ticket.ticket_id
            ),
        );
        pdf.stream(*content_id, &c.finish());
    }
    pdf.finish()
}

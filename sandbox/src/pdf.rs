//! Ticket PDFs: one page per ticket, with the ticket's data and a QR code that encodes its
//! barcode, drawn as vector squares (crisp at any zoom, scannable from screen or paper).
//! The QR modules sit inside a `/QR` marked-content block so tests can find them. This is only
//! the layout; the drawing is the `ticket-pdf` crate's, shared with the shop's e-tickets.

use s360::model::ticket::{PrintFormat, TicketData};
use ticket_pdf::text::show as text;
use ticket_pdf::{Content, Document, Font, Qr, Rgb};

/// What is printed besides the ticket itself.
pub struct Branding<'a> {
    pub institution: &'a str,
    /// `#rrggbb`
    pub color: &'a str,
    pub time_zone: &'a str,
    /// The catalog's names of blocks and areas by code, in the institution's language.
    pub areas: &'a std::collections::HashMap<String, String>,
    /// The catalog's names of entrances by code (OUR DESIGN), in the institution's language.
    pub entrances: &'a std::collections::HashMap<String, String>,
}

/// Renders `tickets` as one PDF document.
pub fn render(tickets: &[TicketData], format: PrintFormat, brand: &Branding<'_>) -> Vec<u8> {
    let (w, h) = match format {
        PrintFormat::PdfA4 => (595.0, 842.0),
        PrintFormat::MobilePdf => (320.0, 600.0),
    };
    let mut doc = Document::new(w, h);
    let brand_color = Rgb::hex(brand.color).unwrap_or(Rgb(0.1, 0.3, 0.6));
    for ticket in tickets {
        let mut c = Content::new();
        // brand band
        brand_color.fill(&mut c);
        c.rect(0.0, h - 70.0, w, 70.0).fill_nonzero();
        c.set_fill_gray(1.0);
        text(&mut c, Font::Bold, 18.0, 24.0, h - 44.0, brand.institution);
        c.set_fill_gray(0.0);

        let mut y = h - 110.0;
        let line = |c: &mut Content, y: &mut f32, font: Font, size: f32, s: &str| {
            text(c, font, size, 24.0, *y, s);
            *y -= size + 8.0;
        };
        line(&mut c, &mut y, Font::Bold, 16.0, &ticket.product_name);
        if let Some(start) = ticket.performance_start {
            line(
                &mut c,
                &mut y,
                Font::Regular,
                12.0,
                &start.format("%A %-d %B %Y, %H:%M").to_string(),
            );
        }
        let seat = &ticket.seat;
        let mut place = Vec::new();
        if let Some(b) = seat.block_code.as_deref().or(seat.area_code.as_deref()) {
            place.push(
                brand
                    .areas
                    .get(b)
                    .cloned()
                    .unwrap_or_else(|| format!("Block {b}")),
            );
        }
        if let Some(r) = &seat.row {
            place.push(format!("Row {r}"));
        }
        if let Some(n) = &seat.number {
            place.push(format!("Seat {n}"));
        }
        if let Some(cat) = &ticket.seat_category {
            line(&mut c, &mut y, Font::Regular, 12.0, cat);
        }
        if !place.is_empty() {
            line(&mut c, &mut y, Font::Bold, 13.0, &place.join(" · "));
        }
        if let Some(gate) = &ticket.entrance_code {
            let gate = brand.entrances.get(gate).unwrap_or(gate);
            line(
                &mut c,
                &mut y,
                Font::Regular,
                12.0,
                &format!("Entrance: {gate}"),
            );
        }
        line(
            &mut c,
            &mut y,
            Font::Regular,
            12.0,
            &format!("Tariff: {}", ticket.audience_sub_category),
        );
        if let Some(holder) = &ticket.holder_name {
            line(
                &mut c,
                &mut y,
                Font::Regular,
                12.0,
                &format!("Holder: {holder}"),
            );
        }
        line(
            &mut c,
            &mut y,
            Font::Regular,
            10.0,
            &format!("Tax number: {}", ticket.tax_number),
        );

        // QR code of the barcode, quiet zone included
        if let Some(qr) = Qr::new(&ticket.barcode) {
            let module = qr.module_for((w - 48.0).min(220.0));
            let x0 = (w - qr.side(module)) / 2.0;
            let y0 = y - 20.0 - qr.side(module);
            qr.draw(&mut c, x0, y0, module);
            text(&mut c, Font::Regular, 11.0, x0, y0 - 18.0, &ticket.barcode);
        }
        text(
            &mut c,
            Font::Regular,
            8.0,
            24.0,
            20.0,
            &format!(
                "Times in {}. Ticket {} – valid once.",
                brand.time_zone, ticket.ticket_id
            ),
        );
        doc.add_page(c);
    }
    doc.finish()
}

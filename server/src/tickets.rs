//! The downloads of a paid order:
//! - `/orders/{id}/tickets.pdf`: S-360's printable tickets (`printTickets`, A4);
//! - `/orders/{id}/tickets-branded.pdf`: our e-tickets, one A5 page per ticket with the
//!   institution's logo and colours, a QR code of the barcode, the place, entrance, tariff,
//!   holder, price, tax number and order number, in the buyer's language;
//! - `/orders/{id}/calendar.ics`: one calendar event per dated item (RFC 5545).
//!
//! All three go through [`authorize`]: only the order's owner (its secret `access` link, or the
//! logged-in buyer who bought it) gets them; anyone else gets the same 404 as for an order
//! that does not exist.

use std::sync::Arc;

use app::i18n::Lang;
use app::purchase::{self, CalendarEvent, TicketSheet};
use app::ssr::Tenant;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use pdf_writer::types::{LineCapStyle, LineJoinStyle};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};
use s360::model::order::{OrderDetailsData, OrderState};
use s360::model::ticket::{PrintFormat, PrintTicketsRequest};
use serde::Deserialize;
use tower_sessions::Session;

use crate::startup::AppState;

/// `?access=` of a download link (absent for the logged-in buyer's own orders).
#[derive(Debug, Default, Deserialize)]
pub struct Access {
    #[serde(default)]
    access: Option<String>,
}

/// An order the request may download from, and the language to answer in.
struct Owned {
    tenant: Arc<Tenant>,
    order: OrderDetailsData,
    lang: Lang,
}

/// A short plain-text answer in the buyer's language, never cached.
fn message(status: StatusCode, key: &str, lang: Lang) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        purchase::order_text(key, lang),
    )
        .into_response()
}

/// The one authorisation of the downloads: the order exists at this institution, the request
/// may see it ([`purchase::owned_order`]: its secret link or its logged-in buyer, the same
/// rule as the order page) and it is paid. Otherwise the answer to send: 404 alike for an
/// unknown order and for somebody else's, 409 while it is not paid yet, 404 (in other words)
/// for the owner's released order, 503 while S-360 fails.
async fn authorize(
    state: &AppState,
    parts: &Parts,
    session: &Session,
    order_id: &str,
    access: Option<&str>,
) -> Result<Owned, Response> {
    let Some(tenant) = state.tenant_for(&parts.headers) else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let lang = app::ssr::lang_of(parts, Some(&tenant)).0;
    let Ok(order_id) = order_id.parse::<i64>() else {
        return Err(message(StatusCode::NOT_FOUND, "order.not_found", lang));
    };
    match purchase::owned_order(&tenant, session, order_id, access, None).await {
        Ok(Some(order)) if order.order_state == OrderState::Closed => Ok(Owned {
            tenant,
            order,
            lang,
        }),
        Ok(Some(order)) if order.order_state == OrderState::Running => {
            Err(message(StatusCode::CONFLICT, "order.not_paid_yet", lang))
        }
        // released: it never had tickets
        Ok(Some(_)) => Err(message(StatusCode::NOT_FOUND, "order.no_tickets", lang)),
        Ok(None) => Err(message(StatusCode::NOT_FOUND, "order.not_found", lang)),
        Err(e) => Err(unavailable(&tenant, order_id, &e.to_string(), lang)),
    }
}

fn unavailable(tenant: &Tenant, order_id: i64, error: &str, lang: Lang) -> Response {
    tracing::warn!(tenant = %tenant.code, order = order_id, %error, "ticket download failed");
    let mut r = message(StatusCode::SERVICE_UNAVAILABLE, "order.unavailable", lang);
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    r
}

/// A file to save, private to the buyer.
fn attachment(content_type: &'static str, filename: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The tickets of a paid order as S-360 prints them (`printTickets`, A4), as an attachment.
pub async fn tickets_pdf(
    State(state): State<AppState>,
    parts: Parts,
    session: Session,
    Path(order_id): Path<String>,
    Query(q): Query<Access>,
) -> Response {
    let o = match authorize(&state, &parts, &session, &order_id, q.access.as_deref()).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let id = o.order.order_id.0;
    let fail = |e: &dyn std::fmt::Display| unavailable(&o.tenant, id, &e.to_string(), o.lang);
    let tickets = match purchase::valid_tickets(&o.tenant, id).await {
        Ok(t) if t.is_empty() => return message(StatusCode::NOT_FOUND, "order.no_tickets", o.lang),
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let printed = match o
        .tenant
        .catalog
        .client()
        .print_tickets(&PrintTicketsRequest {
            ticket_ids: tickets.iter().map(|t| t.ticket_id).collect(),
            format: PrintFormat::PdfA4,
            reprint: false,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    match base64::engine::general_purpose::STANDARD.decode(printed.pdf_base64) {
        Ok(pdf) => attachment("application/pdf", format!("tickets-{id}.pdf"), pdf),
        Err(e) => fail(&format!("S-360 sent an unreadable PDF: {e}")),
    }
}

/// Our branded e-tickets: one page per ticket.
pub async fn branded_pdf(
    State(state): State<AppState>,
    parts: Parts,
    session: Session,
    Path(order_id): Path<String>,
    Query(q): Query<Access>,
) -> Response {
    let o = match authorize(&state, &parts, &session, &order_id, q.access.as_deref()).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let id = o.order.order_id.0;
    let sheet = match purchase::ticket_sheet(&o.tenant, &o.order, o.lang).await {
        Ok(s) if s.tickets.is_empty() => {
            return message(StatusCode::NOT_FOUND, "order.no_tickets", o.lang)
        }
        Ok(s) => s,
        Err(e) => return unavailable(&o.tenant, id, &e.to_string(), o.lang),
    };
    let logo = logo_svg(&state, &o.tenant);
    attachment(
        "application/pdf",
        format!("e-tickets-{id}.pdf"),
        render_tickets(&sheet, logo.as_deref()),
    )
}

/// The order's dated items as a calendar file.
pub async fn calendar_ics(
    State(state): State<AppState>,
    parts: Parts,
    session: Session,
    Path(order_id): Path<String>,
    Query(q): Query<Access>,
) -> Response {
    let o = match authorize(&state, &parts, &session, &order_id, q.access.as_deref()).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let id = o.order.order_id.0;
    let events = match purchase::calendar_events(&o.tenant, &o.order, o.lang) {
        Ok(e) => e,
        Err(e) => return unavailable(&o.tenant, id, &e.to_string(), o.lang),
    };
    if events.is_empty() {
        return message(StatusCode::NOT_FOUND, "order.no_dates", o.lang);
    }
    let stamp = o
        .order
        .close_date_time
        .unwrap_or(o.order.creation_date_time)
        .with_timezone(&Utc);
    attachment(
        "text/calendar; charset=utf-8",
        format!("order-{id}.ics"),
        calendar(&o.tenant.code, o.lang, &events, stamp).into_bytes(),
    )
}

/// The institution's logo when it is an SVG file of the site (`/brands/cube.svg`).
fn logo_svg(state: &AppState, tenant: &Tenant) -> Option<String> {
    let path = tenant.branding.logo.as_deref()?;
    let relative = path.strip_prefix('/')?;
    if !relative.ends_with(".svg") || relative.split('/').any(|p| p == ".." || p.is_empty()) {
        return None;
    }
    let file = std::path::Path::new(state.leptos_options.site_root.as_ref()).join(relative);
    std::fs::read_to_string(file).ok()
}

// ---------------------------------------------------------------------------------------------
// The calendar file (RFC 5545)

/// A TEXT value: backslash, semicolon, comma and line breaks escaped (§3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets without splitting a character (§3.1), with CRLF.
fn ics_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn ics_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar of an order: one `VEVENT` per dated item, times in UTC.
pub fn calendar(
    institution: &str,
    lang: Lang,
    events: &[CalendarEvent],
    stamp: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let mut line = |l: String| ics_line(&mut out, &l);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!(
        "PRODID:-//S-360 ticket shop//{}//{}",
        ics_text(institution),
        lang.code().to_ascii_uppercase()
    ));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", ics_text(&e.uid)));
        line(format!("DTSTAMP:{}", ics_time(stamp)));
        line(format!("DTSTART:{}", ics_time(e.start)));
        if let Some(end) = e.end {
            line(format!("DTEND:{}", ics_time(end)));
        }
        line(format!(
            "SUMMARY;LANGUAGE={}:{}",
            lang.code(),
            ics_text(&e.summary)
        ));
        if !e.location.is_empty() {
            line(format!("LOCATION:{}", ics_text(&e.location)));
        }
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", ics_text(&e.description)));
        }
        line("TRANSP:OPAQUE".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

// ---------------------------------------------------------------------------------------------
// The branded PDF

/// A5 portrait, in points.
const PAGE_W: f32 = 420.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 28.0;
const BAND: f32 = 96.0;
const LOGO: f32 = 56.0;
const QR_SIZE: f32 = 170.0;
/// Where the values of the details start.
const VALUE_X: f32 = 132.0;

/// The base-14 fonts' WinAnsi encoding (close to Latin-1): what fits, `?` for the rest.
fn win_ansi(s: &str) -> Vec<u8> {
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
            // the narrow no-break space French amounts are grouped with
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

/// The width of `s` in points (Helvetica; the bold face is about 6 % wider).
fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = s
        .chars()
        .map(|c| match c as u32 {
            n @ 32..=126 => HELVETICA[(n - 32) as usize] as u32,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0 * if bold { 1.06 } else { 1.0 }
}

/// `s` in lines no wider than `width` (a word longer than a line stays whole).
fn wrap(s: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in s.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size, bold) > width && !current.is_empty() {
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

/// `#rgb` or `#rrggbb` as PDF colour components.
fn hex_color(hex: &str) -> Option<(f32, f32, f32)> {
    let h = hex.trim().strip_prefix('#')?;
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
    Some((
        digits[0] as f32 / 255.0,
        digits[1] as f32 / 255.0,
        digits[2] as f32 / 255.0,
    ))
}

struct Fonts;

impl Fonts {
    const REGULAR: Name<'static> = Name(b"F1");
    const BOLD: Name<'static> = Name(b"F2");
}

fn text(c: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    c.begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&win_ansi(s)))
        .end_text();
}

/// One ticket's page.
fn ticket_page(
    c: &mut Content,
    sheet: &TicketSheet,
    ticket: &purchase::TicketCard,
    logo: Option<&[Shape]>,
    logo_box: Option<ViewBox>,
) {
    let brand = hex_color(&sheet.branding.brand_color).unwrap_or((0.11, 0.31, 0.57));
    let on_brand = hex_color(&sheet.branding.on_brand_color).unwrap_or((1.0, 1.0, 1.0));
    let accent = hex_color(&sheet.branding.accent_color).unwrap_or(brand);
    let ink = (0.1, 0.1, 0.1);
    let muted = (0.33, 0.33, 0.33);
    let width = PAGE_W - 2.0 * MARGIN;

    // the brand band: logo and name
    c.set_fill_rgb(brand.0, brand.1, brand.2)
        .rect(0.0, PAGE_H - BAND, PAGE_W, BAND)
        .fill_nonzero();
    let mut name_x = MARGIN;
    if let (Some(shapes), Some(vb)) = (logo, logo_box) {
        c.begin_marked_content(Name(b"Logo"));
        draw_svg(
            c,
            shapes,
            vb,
            MARGIN,
            PAGE_H - BAND + (BAND - LOGO) / 2.0,
            LOGO,
        );
        c.end_marked_content();
        name_x = MARGIN + LOGO + 14.0;
    }
    c.set_fill_rgb(on_brand.0, on_brand.1, on_brand.2);
    let name_lines = wrap(&sheet.shop_name, 18.0, true, PAGE_W - MARGIN - name_x);
    let mut y = PAGE_H - BAND / 2.0 + 6.0 * (name_lines.len().min(2) as f32 - 1.0) - 6.0;
    for l in name_lines.iter().take(2) {
        text(c, Fonts::BOLD, 18.0, name_x, y, l);
        y -= 22.0;
    }

    // what and when
    let mut y = PAGE_H - BAND - 34.0;
    c.set_fill_rgb(ink.0, ink.1, ink.2);
    for l in wrap(&ticket.product, 20.0, true, width) {
        text(c, Fonts::BOLD, 20.0, MARGIN, y, &l);
        y -= 24.0;
    }
    if let Some(when) = &ticket.when {
        c.set_fill_rgb(accent.0, accent.1, accent.2);
        for l in wrap(when, 13.0, true, width) {
            text(c, Fonts::BOLD, 13.0, MARGIN, y, &l);
            y -= 17.0;
        }
    }
    y -= 4.0;
    c.set_fill_rgb(accent.0, accent.1, accent.2)
        .rect(MARGIN, y, width, 1.5)
        .fill_nonzero();
    y -= 20.0;

    // the details: label, value
    for (label, value) in &ticket.details {
        c.set_fill_rgb(muted.0, muted.1, muted.2);
        text(c, Fonts::REGULAR, 10.0, MARGIN, y, label);
        c.set_fill_rgb(ink.0, ink.1, ink.2);
        for l in wrap(value, 12.0, true, PAGE_W - MARGIN - VALUE_X) {
            text(c, Fonts::BOLD, 12.0, VALUE_X, y, &l);
            y -= 15.0;
        }
        y -= 4.0;
    }

    // the QR code of the barcode, quiet zone included, as vector squares
    if let Ok(code) = QrCode::with_error_correction_level(ticket.barcode.as_bytes(), EcLevel::M) {
        let n = code.width();
        let module = QR_SIZE / (n as f32 + 8.0);
        let x0 = (PAGE_W - module * n as f32) / 2.0;
        let y0 = (y - 12.0 - module * n as f32).max(MARGIN + 60.0);
        c.set_fill_gray(1.0)
            .rect(
                x0 - 4.0 * module,
                y0 - 4.0 * module,
                module * (n as f32 + 8.0),
                module * (n as f32 + 8.0),
            )
            .fill_nonzero();
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
        c.set_fill_rgb(ink.0, ink.1, ink.2);
        let bw = text_width(&ticket.barcode, 11.0, false);
        text(
            c,
            Fonts::REGULAR,
            11.0,
            (PAGE_W - bw) / 2.0,
            y0 - 4.0 * module - 10.0,
            &ticket.barcode,
        );
    }

    // how to use it
    c.set_fill_rgb(muted.0, muted.1, muted.2);
    let footer = wrap(&ticket.footer, 8.0, false, width);
    let mut y = MARGIN + 10.0 * (footer.len() as f32 - 1.0);
    for l in footer {
        text(c, Fonts::REGULAR, 8.0, MARGIN, y, &l);
        y -= 10.0;
    }
    c.set_fill_rgb(brand.0, brand.1, brand.2)
        .rect(0.0, 0.0, PAGE_W, 6.0)
        .fill_nonzero();
}

/// The e-tickets of `sheet` as one PDF, one page per ticket; `logo_svg` is drawn in the brand
/// band when it is an SVG this module can draw (else the institution's name alone).
pub fn render_tickets(sheet: &TicketSheet, logo_svg: Option<&str>) -> Vec<u8> {
    let logo = logo_svg.and_then(parse_svg);
    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let mut next = 6;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let pages: Vec<(Ref, Ref)> = sheet.tickets.iter().map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog_id)
        .pages(tree_id)
        .lang(TextStr(sheet.lang.code()));
    pdf.document_info(info_id)
        .title(TextStr(&sheet.title))
        .creator(TextStr(&sheet.shop_name));
    pdf.pages(tree_id)
        .kids(pages.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    for (ticket, (page_id, content_id)) in sheet.tickets.iter().zip(&pages) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree_id);
        page.contents(*content_id);
        {
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Fonts::REGULAR, font_id);
            fonts.pair(Fonts::BOLD, bold_id);
        }
        page.finish();
        let mut c = Content::new();
        ticket_page(
            &mut c,
            sheet,
            ticket,
            logo.as_ref().map(|l| l.1.as_slice()),
            logo.as_ref().map(|l| l.0),
        );
        pdf.stream(*content_id, &c.finish());
    }
    pdf.finish()
}

// ---------------------------------------------------------------------------------------------
// The logo: a small subset of SVG drawn as PDF vector paths

#[derive(Debug, Clone, Copy, PartialEq)]
struct ViewBox {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Seg {
    Move(f32, f32),
    Line(f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

#[derive(Debug, Clone, PartialEq)]
struct Shape {
    path: Vec<Seg>,
    fill: Option<(f32, f32, f32)>,
    stroke: Option<(f32, f32, f32)>,
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
fn paint(v: &str) -> Result<Option<(f32, f32, f32)>, ()> {
    match v.trim() {
        "none" | "transparent" => Ok(None),
        "black" => Ok(Some((0.0, 0.0, 0.0))),
        "white" => Ok(Some((1.0, 1.0, 1.0))),
        v => hex_color(v).map(Some).ok_or(()),
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

/// The shapes of a simple SVG (`rect`, `circle`, `ellipse`, `path` with plain fill and stroke
/// attributes, no transforms, styles or gradients), or `None` when it uses anything else.
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
            fill: get("fill").map_or(Ok(Some((0.0, 0.0, 0.0))), paint).ok()?,
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
        if let Some((r, g, b)) = shape.fill {
            c.set_fill_rgb(r, g, b);
        }
        if let Some((r, g, b)) = shape.stroke {
            c.set_stroke_rgb(r, g, b).set_line_width(shape.stroke_width);
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
    fn ics_text_is_escaped_and_lines_folded_at_75_octets() {
        assert_eq!(
            ics_text("Hamlet; Act 1, Scene 2\\\nNew"),
            "Hamlet\\; Act 1\\, Scene 2\\\\\\nNew"
        );
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        ics_line(&mut out, &long);
        let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 1);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "line {i} has {} octets", l.len());
            if i > 0 {
                assert!(l.starts_with(' '));
            }
        }
        // unfolding gives the line back
        assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), long);
    }

    #[test]
    fn a_calendar_has_one_event_per_item_in_utc() {
        let start = DateTime::parse_from_rfc3339("2026-12-12T19:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        let events = vec![CalendarEvent {
            uid: "order-1-item-2@cube.localhost".into(),
            start,
            end: Some(start + chrono::Duration::hours(2)),
            summary: "Hamlet".into(),
            location: "Main hall, CUBE, Genève".into(),
            description: "2 tickets".into(),
        }];
        let ics = calendar("CUBE", Lang::En, &events, start);
        assert!(
            ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
            "{ics}"
        );
        assert!(ics.contains("\r\nDTSTART:20261212T180000Z\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTEND:20261212T200000Z\r\n"), "{ics}");
        assert!(
            ics.contains("\r\nLOCATION:Main hall\\, CUBE\\, Genève\r\n"),
            "{ics}"
        );
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
    }

    #[test]
    fn the_brand_logos_are_drawable() {
        for svg in [
            include_str!("../../public/brands/cube.svg"),
            include_str!("../../public/brands/mosa.svg"),
            include_str!("../../public/brands/play.svg"),
        ] {
            let (vb, shapes) = parse_svg(svg).expect("a logo in the supported subset");
            assert_eq!((vb.w, vb.h), (40.0, 40.0));
            assert!(shapes.len() >= 2, "{shapes:?}");
        }
        // anything beyond the subset falls back to the name
        assert!(
            parse_svg(r#"<svg viewBox="0 0 4 4"><path d="M0 0A1 1 0 0 1 2 2"/></svg>"#).is_none()
        );
        assert!(parse_svg(
            r#"<svg viewBox="0 0 4 4"><rect width="4" height="4" fill="url(#g)"/></svg>"#
        )
        .is_none());
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
    fn text_is_wrapped_to_the_width() {
        let lines = wrap(
            "Romeo and Juliet – the full production, with orchestra",
            20.0,
            true,
            200.0,
        );
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, 20.0, true) <= 200.0 || !l.contains(' '));
        }
        assert_eq!(win_ansi("1\u{202f}250,00 €"), b"1\xa0250,00 \x80");
    }
}

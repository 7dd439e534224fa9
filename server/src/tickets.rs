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

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use s360::model::order::{OrderDetailsData, OrderState};
use s360::model::ticket::{PrintFormat, PrintTicketsRequest};
use serde::Deserialize;
use shop::lang::Lang;
use shop::order::{self as orders, CalendarEvent, TicketSheet};
use shop::tenant::Tenant;
use ticket_pdf::text::{show as text, text_width, wrap};
use ticket_pdf::{Content, Document, Font, Info, Logo, Qr, Rgb};
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
        orders::order_text(key, lang),
    )
        .into_response()
}

/// The one authorisation of the downloads: the order exists at this institution, the request
/// may see it ([`orders::owned_order`]: its secret link or its logged-in buyer, the same
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
    let lang = shop::context::lang_of(parts, Some(&tenant)).0;
    let Ok(order_id) = order_id.parse::<i64>() else {
        return Err(message(StatusCode::NOT_FOUND, "order.not_found", lang));
    };
    let cx = shop::Ctx::new(tenant.clone(), session.clone(), lang);
    match orders::owned_order(&cx, order_id, access, None).await {
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
    let tickets = match orders::valid_tickets(&o.tenant, id).await {
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
    let sheet = match orders::ticket_sheet(&o.tenant, &o.order, o.lang).await {
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
    let events = match orders::calendar_events(&o.tenant, &o.order, o.lang) {
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
    site_svg(
        std::path::Path::new(state.leptos_options.site_root.as_ref()),
        tenant.branding.logo.as_deref()?,
    )
}

/// The text of an SVG file the site serves at `path` (`/brands/cube.svg`), if it is one.
pub fn site_svg(site_root: &std::path::Path, path: &str) -> Option<String> {
    let relative = path.strip_prefix('/')?;
    if !relative.ends_with(".svg") || relative.split('/').any(|p| p == ".." || p.is_empty()) {
        return None;
    }
    std::fs::read_to_string(site_root.join(relative)).ok()
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

// The drawing (WinAnsi text, colours, the QR code, the SVG logo, the document) is the
// `ticket-pdf` crate's, shared with the sandbox's printed tickets; this is the layout.

/// One ticket's page.
fn ticket_page(
    c: &mut Content,
    sheet: &TicketSheet,
    ticket: &orders::TicketCard,
    logo: Option<&Logo>,
) {
    let brand = Rgb::hex(&sheet.branding.brand_color).unwrap_or(Rgb(0.11, 0.31, 0.57));
    let on_brand = Rgb::hex(&sheet.branding.on_brand_color).unwrap_or(Rgb::WHITE);
    let accent = Rgb::hex(&sheet.branding.accent_color).unwrap_or(brand);
    let ink = Rgb(0.1, 0.1, 0.1);
    let muted = Rgb(0.33, 0.33, 0.33);
    let width = PAGE_W - 2.0 * MARGIN;

    // the brand band: logo and name
    brand.fill(c);
    c.rect(0.0, PAGE_H - BAND, PAGE_W, BAND).fill_nonzero();
    let mut name_x = MARGIN;
    if let Some(logo) = logo {
        logo.draw(c, MARGIN, PAGE_H - BAND + (BAND - LOGO) / 2.0, LOGO);
        name_x = MARGIN + LOGO + 14.0;
    }
    on_brand.fill(c);
    let name_lines = wrap(&sheet.shop_name, Font::Bold, 18.0, PAGE_W - MARGIN - name_x);
    let mut y = PAGE_H - BAND / 2.0 + 6.0 * (name_lines.len().min(2) as f32 - 1.0) - 6.0;
    for l in name_lines.iter().take(2) {
        text(c, Font::Bold, 18.0, name_x, y, l);
        y -= 22.0;
    }

    // what and when
    let mut y = PAGE_H - BAND - 34.0;
    ink.fill(c);
    for l in wrap(&ticket.product, Font::Bold, 20.0, width) {
        text(c, Font::Bold, 20.0, MARGIN, y, &l);
        y -= 24.0;
    }
    if let Some(when) = &ticket.when {
        accent.fill(c);
        for l in wrap(when, Font::Bold, 13.0, width) {
            text(c, Font::Bold, 13.0, MARGIN, y, &l);
            y -= 17.0;
        }
    }
    y -= 4.0;
    accent.fill(c);
    c.rect(MARGIN, y, width, 1.5).fill_nonzero();
    y -= 20.0;

    // the details: label, value
    for (label, value) in &ticket.details {
        muted.fill(c);
        text(c, Font::Regular, 10.0, MARGIN, y, label);
        ink.fill(c);
        for l in wrap(value, Font::Bold, 12.0, PAGE_W - MARGIN - VALUE_X) {
            text(c, Font::Bold, 12.0, VALUE_X, y, &l);
            y -= 15.0;
        }
        y -= 4.0;
    }

    // the QR code of the barcode on white, quiet zone included, as vector squares
    if let Some(qr) = Qr::new(&ticket.barcode) {
        let module = qr.module_for(QR_SIZE);
        let x0 = (PAGE_W - qr.side(module)) / 2.0;
        let y0 = (y - 12.0 - qr.side(module)).max(MARGIN + 60.0);
        qr.draw_quiet_zone(c, x0, y0, module);
        qr.draw(c, x0, y0, module);
        ink.fill(c);
        let bw = text_width(&ticket.barcode, Font::Regular, 11.0);
        text(
            c,
            Font::Regular,
            11.0,
            (PAGE_W - bw) / 2.0,
            y0 - Qr::QUIET_ZONE as f32 * module - 10.0,
            &ticket.barcode,
        );
    }

    // how to use it
    muted.fill(c);
    let footer = wrap(&ticket.footer, Font::Regular, 8.0, width);
    let mut y = MARGIN + 10.0 * (footer.len() as f32 - 1.0);
    for l in footer {
        text(c, Font::Regular, 8.0, MARGIN, y, &l);
        y -= 10.0;
    }
    brand.fill(c);
    c.rect(0.0, 0.0, PAGE_W, 6.0).fill_nonzero();
}

/// The e-tickets of `sheet` as one PDF, one page per ticket; `logo_svg` is drawn in the brand
/// band when it is an SVG [`Logo`] can draw (else the institution's name alone).
pub fn render_tickets(sheet: &TicketSheet, logo_svg: Option<&str>) -> Vec<u8> {
    let logo = logo_svg.and_then(Logo::parse);
    let mut doc = Document::new(PAGE_W, PAGE_H);
    for ticket in &sheet.tickets {
        let mut c = Content::new();
        ticket_page(&mut c, sheet, ticket, logo.as_ref());
        doc.add_page(c);
    }
    doc.finish_with(&Info {
        lang: Some(sheet.lang.code()),
        title: Some(&sheet.title),
        creator: Some(&sheet.shop_name),
    })
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
}

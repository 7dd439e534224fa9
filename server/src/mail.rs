//! The buyers' e-mails: a durable outbox and the worker that sends it through SMTP.
//!
//! - **Outbox**: one SQLite table in `SHOP_DATA_DIR/mail-outbox.sqlite` (WAL,
//!   `synchronous=FULL`), unique on (institution, order, kind). The confirmation is written by
//!   `shop::payment` in the step that records the order final (before the payment registry
//!   marks it so), whichever path finalised it, so a second finalisation writes nothing and a
//!   crash in between writes it on the next look.
//! - **Worker**: sends what is due, marks a mail sent once the SMTP server accepted it, retries
//!   with exponential backoff (capped by `SHOP_SMTP_RETRY_MAX_SECS`) while SMTP or S-360 is
//!   down. A restart resumes from the table. At-least-once in one tiny window: a process that
//!   dies after the server accepted a mail and before the row is marked sends it again.
//! - **Asked by the buyer**: "send me my tickets again" on the order page
//!   (`POST /orders/{id}/resend`, kind `resend:{10-minute window}`: once per window) and
//!   "find my order" (`/find-order`: e-mail + order number; answers the same page whatever was
//!   typed and mails the order's link only to the address its confirmation went to).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use shop::lang::Lang;
use shop::mail::{mail_text, Confirmation};
use shop::payment::{Outbox, OutboxMail};
use shop::tenant::Tenant;
use tower_sessions::Session;

use crate::config::Redacted;
use crate::startup::AppState;

/// How often a buyer may ask for the same order's mail again (resend, find my order).
pub const ASK_WINDOW_SECS: i64 = 600;

// ---------------------------------------------------------------------------------------------
// Settings

/// SMTP settings of a deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct MailSettings {
    /// lettre's SMTP URL: `smtp://host:port` (plain, e.g. a local relay or the test server),
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS); credentials may be
    /// in it (`smtp://user:pass@host`). `None`: no e-mail is written or sent.
    pub smtp_url: Option<Redacted>,
    /// `SHOP_SMTP_USER` / `SHOP_SMTP_PASSWORD`, when not in the URL.
    pub user: Option<String>,
    pub password: Option<Redacted>,
    /// The sender when the institution has none of its own (`SHOP_MAIL_FROM`).
    pub from: String,
    /// Senders by institution code (`SHOP_MAIL_FROM_{CODE}`).
    pub from_by_institution: HashMap<String, String>,
    /// Longest wait between two attempts of a mail (`SHOP_SMTP_RETRY_MAX_SECS`).
    pub retry_max: Duration,
}

impl MailSettings {
    /// From the environment; with the embedded sandbox the default server is the local test
    /// server `scripts/run.sh` starts (maildev, `smtp://127.0.0.1:1025`).
    pub fn from_lookup(
        env: &impl Fn(&str) -> Option<String>,
        embedded_sandbox: bool,
        institutions: &[String],
    ) -> Result<MailSettings, String> {
        let smtp_url = match env("SHOP_SMTP_URL") {
            Some(u) if u.trim().is_empty() || u == "off" => None,
            Some(u) => Some(u),
            None => embedded_sandbox.then(|| "smtp://127.0.0.1:1025".to_string()),
        };
        if let Some(u) = &smtp_url {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(u)
                .map_err(|e| format!("SHOP_SMTP_URL: not an SMTP URL ({e})"))?;
        }
        let from = env("SHOP_MAIL_FROM").unwrap_or_else(|| "tickets@localhost".into());
        from.parse::<Mailbox>()
            .map_err(|e| format!("SHOP_MAIL_FROM: not an e-mail address ({e}): {from:?}"))?;
        let mut from_by_institution = HashMap::new();
        for code in institutions {
            let key = format!("SHOP_MAIL_FROM_{}", code.to_ascii_uppercase());
            if let Some(f) = env(&key) {
                f.parse::<Mailbox>()
                    .map_err(|e| format!("{key}: not an e-mail address ({e}): {f:?}"))?;
                from_by_institution.insert(code.clone(), f);
            }
        }
        let retry_max =
            match env("SHOP_SMTP_RETRY_MAX_SECS") {
                Some(v) => v.parse::<u64>().ok().filter(|s| *s >= 1).ok_or_else(|| {
                    format!("SHOP_SMTP_RETRY_MAX_SECS: a whole number >= 1: {v:?}")
                })?,
                None => 300,
            };
        Ok(MailSettings {
            smtp_url: smtp_url.map(Redacted),
            user: env("SHOP_SMTP_USER").filter(|u| !u.is_empty()),
            password: env("SHOP_SMTP_PASSWORD").map(Redacted),
            from,
            from_by_institution,
            retry_max: Duration::from_secs(retry_max),
        })
    }

    fn transport(&self) -> Option<AsyncSmtpTransport<Tokio1Executor>> {
        let url = self.smtp_url.as_ref()?;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
            .ok()?
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            b = b.credentials(Credentials::new(u.clone(), p.0.clone()));
        }
        Some(b.build())
    }

    /// The sender of an institution's mails, named after the shop when the setting names
    /// nobody.
    fn sender(&self, institution: &str, shop_name: &str) -> Option<Mailbox> {
        let raw = self
            .from_by_institution
            .get(institution)
            .unwrap_or(&self.from);
        let mut m: Mailbox = raw.parse().ok()?;
        if m.name.is_none() {
            m.name = Some(shop_name.to_string());
        }
        Some(m)
    }
}

// ---------------------------------------------------------------------------------------------
// The outbox

/// One mail of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub institution: String,
    pub order_id: i64,
    pub kind: String,
    pub lang: String,
    pub recipient: Option<String>,
    pub attempts: i64,
    pub next_ms: i64,
    pub sent_ms: Option<i64>,
    /// Given up for good (no address, order not closed): never sent.
    pub failed_ms: Option<i64>,
    pub last_error: Option<String>,
}

/// The outbox: a SQLite table, and a wake-up for the worker when a mail is added.
#[derive(Debug)]
pub struct MailOutbox {
    conn: Mutex<Connection>,
    wake: tokio::sync::Notify,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl MailOutbox {
    /// Opens (creates) `mail-outbox.sqlite` in `dir`.
    pub fn open(dir: &Path) -> Result<MailOutbox, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("SHOP_DATA_DIR: {}: {e}", dir.display()))?;
        let path = dir.join("mail-outbox.sqlite");
        let err = |e: rusqlite::Error| format!("{}: {e}", path.display());
        let conn = Connection::open(&path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS outbox (
                 id INTEGER PRIMARY KEY,
                 institution TEXT NOT NULL,
                 order_id INTEGER NOT NULL,
                 kind TEXT NOT NULL,
                 lang TEXT NOT NULL,
                 recipient TEXT,
                 created_ms INTEGER NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0,
                 next_ms INTEGER NOT NULL,
                 sent_ms INTEGER,
                 failed_ms INTEGER,
                 last_error TEXT,
                 UNIQUE (institution, order_id, kind)
             );
             CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_ms)
                 WHERE sent_ms IS NULL AND failed_ms IS NULL;",
        )
        .map_err(err)?;
        Ok(MailOutbox {
            conn: Mutex::new(conn),
            wake: tokio::sync::Notify::new(),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn row(r: &rusqlite::Row) -> rusqlite::Result<OutboxRow> {
        Ok(OutboxRow {
            id: r.get(0)?,
            institution: r.get(1)?,
            order_id: r.get(2)?,
            kind: r.get(3)?,
            lang: r.get(4)?,
            recipient: r.get(5)?,
            attempts: r.get(6)?,
            next_ms: r.get(7)?,
            sent_ms: r.get(8)?,
            failed_ms: r.get(9)?,
            last_error: r.get(10)?,
        })
    }

    const COLUMNS: &'static str = "id, institution, order_id, kind, lang, recipient, attempts, \
                                   next_ms, sent_ms, failed_ms, last_error";

    /// Every mail of the outbox, oldest first (tests, operations).
    pub fn rows(&self) -> Vec<OutboxRow> {
        let conn = self.conn();
        let Ok(mut st) = conn.prepare(&format!("SELECT {} FROM outbox ORDER BY id", Self::COLUMNS))
        else {
            return vec![];
        };
        st.query_map([], Self::row)
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }

    fn due(&self, now: i64, limit: i64) -> rusqlite::Result<Vec<OutboxRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {} FROM outbox WHERE sent_ms IS NULL AND failed_ms IS NULL AND next_ms <= ?1 \
             ORDER BY next_ms LIMIT ?2",
            Self::COLUMNS
        ))?;
        let rows = st.query_map(params![now, limit], Self::row)?;
        rows.collect()
    }

    /// When the next unsent mail is due.
    fn next_due(&self) -> Option<i64> {
        self.conn()
            .query_row(
                "SELECT MIN(next_ms) FROM outbox WHERE sent_ms IS NULL AND failed_ms IS NULL",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .ok()
            .flatten()
    }

    fn mark_sent(&self, id: i64, to: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET sent_ms = ?2, recipient = ?3, attempts = attempts + 1, \
             last_error = NULL WHERE id = ?1",
            params![id, now_ms(), to],
        )?;
        Ok(())
    }

    fn mark_retry(&self, id: i64, next_ms: i64, error: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, next_ms = ?2, last_error = ?3 WHERE id = ?1",
            params![id, next_ms, error],
        )?;
        Ok(())
    }

    fn mark_failed(&self, id: i64, error: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, failed_ms = ?2, last_error = ?3 WHERE id = ?1",
            params![id, now_ms(), error],
        )?;
        Ok(())
    }

    /// The address the order's confirmation was sent to, if it was.
    pub fn confirmed_recipient(&self, institution: &str, order_id: i64) -> Option<String> {
        self.conn()
            .query_row(
                "SELECT recipient FROM outbox WHERE institution = ?1 AND order_id = ?2 \
                 AND kind = ?3 AND sent_ms IS NOT NULL",
                params![institution, order_id, OutboxMail::CONFIRMATION],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .ok()
            .flatten()
            .flatten()
    }
}

impl Outbox for MailOutbox {
    fn enqueue(&self, mail: &OutboxMail) -> std::io::Result<bool> {
        let added = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO outbox (institution, order_id, kind, lang, recipient, \
                 created_ms, next_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    mail.institution,
                    mail.order_id,
                    mail.kind,
                    mail.lang.code(),
                    mail.to,
                    now_ms()
                ],
            )
            .map_err(std::io::Error::other)?;
        if added > 0 {
            self.wake.notify_one();
        }
        Ok(added > 0)
    }
}

// ---------------------------------------------------------------------------------------------
// The worker

/// Sends the outbox.
pub struct Mailer {
    pub outbox: Arc<MailOutbox>,
    settings: MailSettings,
    tenants: HashMap<String, Arc<Tenant>>,
    /// The public origin of each institution's shop (for the order links).
    origins: HashMap<String, String>,
    site_root: PathBuf,
}

/// What one attempt came to.
enum Attempt {
    Sent(String),
    /// Try again later (SMTP or S-360 down).
    Retry(String),
    /// Never: nothing to send this to.
    GiveUp(String),
}

impl Mailer {
    pub fn new(
        outbox: Arc<MailOutbox>,
        settings: MailSettings,
        tenants: &[Arc<Tenant>],
        origins: HashMap<String, String>,
        site_root: PathBuf,
    ) -> Mailer {
        Mailer {
            outbox,
            settings,
            tenants: tenants
                .iter()
                .map(|t| (t.code.clone(), t.clone()))
                .collect(),
            origins,
            site_root,
        }
    }

    /// Runs the worker until the process ends.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let Some(transport) = self.settings.transport() else {
                return;
            };
            loop {
                self.pass(&transport).await;
                let wait = match self.blocking(|o| o.next_due()).await.flatten() {
                    Some(at) => Duration::from_millis((at - now_ms()).clamp(20, 30_000) as u64),
                    None => Duration::from_secs(30),
                };
                tokio::select! {
                    _ = self.outbox.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&MailOutbox) -> T + Send + 'static,
    ) -> Option<T> {
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || f(&outbox)).await.ok()
    }

    /// Sends every mail that is due.
    async fn pass(&self, transport: &AsyncSmtpTransport<Tokio1Executor>) {
        let rows = match self.blocking(|o| o.due(now_ms(), 20)).await {
            Some(Ok(rows)) => rows,
            Some(Err(e)) => {
                tracing::error!(error = %e, "mail outbox unreadable");
                return;
            }
            None => return,
        };
        for row in rows {
            let id = row.id;
            let attempts = row.attempts;
            let what = format!("{} order {} ({})", row.institution, row.order_id, row.kind);
            let result = match self.attempt(transport, &row).await {
                Attempt::Sent(to) => {
                    tracing::info!(mail = %what, "e-mail sent");
                    self.blocking(move |o| o.mark_sent(id, &to)).await
                }
                Attempt::Retry(e) => {
                    let delay = Duration::from_secs(1u64 << attempts.clamp(0, 16))
                        .min(self.settings.retry_max);
                    tracing::warn!(mail = %what, error = %e, retry_in = ?delay, "e-mail not sent; retrying");
                    let next = now_ms() + delay.as_millis() as i64;
                    self.blocking(move |o| o.mark_retry(id, next, &e)).await
                }
                Attempt::GiveUp(e) => {
                    tracing::error!(mail = %what, error = %e, "e-mail cannot be sent; given up");
                    self.blocking(move |o| o.mark_failed(id, &e)).await
                }
            };
            if let Some(Err(e)) = result {
                tracing::error!(mail = %what, error = %e, "cannot update the mail outbox");
            }
        }
    }

    async fn attempt(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        row: &OutboxRow,
    ) -> Attempt {
        let Some(tenant) = self.tenants.get(&row.institution) else {
            return Attempt::GiveUp(format!("no institution {}", row.institution));
        };
        let lang = Lang::parse(&row.lang).unwrap_or(tenant.languages[0]);
        let origin = self
            .origins
            .get(&row.institution)
            .cloned()
            .unwrap_or_default();
        let c = match shop::mail::confirmation(tenant, row.order_id, lang, &origin).await {
            Ok(Some(c)) => c,
            Ok(None) => return Attempt::GiveUp("the order is not closed".into()),
            Err(e) => return Attempt::Retry(format!("S-360: {e}")),
        };
        let Some(to) = row.recipient.clone().or_else(|| c.to.clone()) else {
            return Attempt::GiveUp("the order's buyer has no e-mail address".into());
        };
        let message = match self.message(tenant, &c, &to).await {
            Ok(m) => m,
            Err(Attempt::Retry(e)) => return Attempt::Retry(e),
            Err(other) => return other,
        };
        match transport.send(message).await {
            Ok(_) => Attempt::Sent(to),
            Err(e) if e.is_permanent() => Attempt::GiveUp(format!("SMTP refused: {e}")),
            Err(e) => Attempt::Retry(format!("SMTP: {e}")),
        }
    }

    /// The e-mail: HTML with a plain-text alternative, the branded e-tickets and the calendar.
    async fn message(
        &self,
        tenant: &Tenant,
        c: &Confirmation,
        to: &str,
    ) -> Result<Message, Attempt> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| Attempt::GiveUp(format!("bad recipient {to:?}: {e}")))?;
        let from = self
            .settings
            .sender(&tenant.code, &c.shop_name)
            .ok_or_else(|| Attempt::GiveUp("bad sender".into()))?;
        let sheet = shop::order::ticket_sheet(tenant, &c.order, c.lang)
            .await
            .map_err(|e| Attempt::Retry(format!("S-360: {e}")))?;
        let logo = tenant
            .branding
            .logo
            .as_deref()
            .and_then(|l| crate::tickets::site_svg(&self.site_root, l));
        let pdf = crate::tickets::render_tickets(&sheet, logo.as_deref());
        let events = shop::order::calendar_events(tenant, &c.order, c.lang)
            .map_err(|e| Attempt::Retry(format!("catalog: {e}")))?;
        let mut mixed =
            MultiPart::mixed().multipart(MultiPart::alternative_plain_html(plain_text(c), html(c)));
        if !sheet.tickets.is_empty() {
            mixed = mixed.singlepart(
                Attachment::new(format!("e-tickets-{}.pdf", c.order_id)).body(
                    pdf,
                    ContentType::parse("application/pdf").expect("a MIME type"),
                ),
            );
        }
        if !events.is_empty() {
            let stamp = c
                .order
                .close_date_time
                .unwrap_or(c.order.creation_date_time)
                .with_timezone(&chrono::Utc);
            let ics = crate::tickets::calendar(&tenant.code, c.lang, &events, stamp);
            mixed = mixed.singlepart(Attachment::new(format!("order-{}.ics", c.order_id)).body(
                ics,
                ContentType::parse("text/calendar; charset=utf-8").expect("a MIME type"),
            ));
        }
        Message::builder()
            .from(from)
            .to(to)
            .subject(c.subject.clone())
            .multipart(mixed)
            .map_err(|e| Attempt::GiveUp(format!("cannot build the e-mail: {e}")))
    }
}

// ---------------------------------------------------------------------------------------------
// The words

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `#rrggbb` colour, else `fallback` (colours are validated by the configuration already).
fn colour<'a>(c: &'a str, fallback: &'a str) -> &'a str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit());
    if ok {
        c
    } else {
        fallback
    }
}

/// The plain-text part: reads well alone.
pub fn plain_text(c: &Confirmation) -> String {
    let l = c.lang;
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line(&c.shop_name);
    line("");
    line(&c.greeting);
    line("");
    line(&c.intro);
    line("");
    line(&format!(
        "{}: {}",
        mail_text("mail.order_number", l),
        c.order_id
    ));
    line("");
    line(&format!("{}:", mail_text("mail.items", l)));
    for li in &c.lines {
        let mut s = format!("- {} × {}", li.quantity, li.product);
        if let Some(w) = &li.when {
            s.push_str(&format!(", {w}"));
        }
        s.push_str(&format!(" · {} · {}", li.tariff, li.total));
        line(&s);
        if !li.seats.is_empty() {
            line(&format!(
                "  {}: {}",
                mail_text("mail.seats", l),
                li.seats.join("; ")
            ));
        }
        for d in &li.details {
            line(&format!("  {d}"));
        }
    }
    if !c.tickets.is_empty() {
        line("");
        line(&format!("{}:", mail_text("mail.tickets", l)));
        for t in &c.tickets {
            let mut s = format!("- {}", t.product);
            if let Some(w) = &t.when {
                s.push_str(&format!(", {w}"));
            }
            line(&s);
            line(&format!(
                "  {} · {}: {} · {}",
                t.place,
                mail_text("mail.tariff", l),
                t.tariff,
                t.price
            ));
            if let Some(h) = &t.holder {
                line(&format!("  {}: {h}", mail_text("mail.holder", l)));
            }
        }
    }
    line("");
    line(&format!("{}: {}", mail_text("mail.total", l), c.total));
    if let Some(d) = &c.delivery {
        line(&format!("{}: {d}", mail_text("mail.delivery", l)));
    }
    line("");
    line(&format!("{}:", mail_text("mail.open_order", l)));
    line(&c.order_url);
    line(&mail_text("mail.link_note", l));
    line("");
    line(&mail_text("mail.attachments", l));
    line("");
    line("-- ");
    line(&shop::mail::footer(c));
    for f in &c.branding.footer_links {
        line(&format!("{}: {}", f.label, f.href));
    }
    out
}

/// The HTML part, in the institution's colours (inline styles: mail clients drop stylesheets).
pub fn html(c: &Confirmation) -> String {
    let l = c.lang;
    let brand = colour(&c.branding.brand_color, "#1d4f91");
    let on_brand = colour(&c.branding.on_brand_color, "#ffffff");
    let accent = colour(&c.branding.accent_color, brand);
    let mut items = String::new();
    for li in &c.lines {
        items.push_str(&format!(
            "<tr><td style=\"padding:6px 0\"><strong>{} × {}</strong>{}<br><span style=\"color:#444\">{}{}</span>{}</td>\
             <td style=\"padding:6px 0;text-align:right;white-space:nowrap\">{}</td></tr>",
            li.quantity,
            esc(&li.product),
            li.when.as_deref().map(|w| format!("<br>{}", esc(w))).unwrap_or_default(),
            esc(&li.tariff),
            if li.seats.is_empty() {
                String::new()
            } else {
                format!(" · {}: {}", esc(&mail_text("mail.seats", l)), esc(&li.seats.join("; ")))
            },
            li.details
                .iter()
                .map(|d| format!("<br><span style=\"color:#444\">{}</span>", esc(d)))
                .collect::<String>(),
            esc(&li.total),
        ));
    }
    let mut tickets = String::new();
    for t in &c.tickets {
        tickets.push_str(&format!(
            "<li style=\"margin:0 0 6px\"><strong>{}</strong>{}<br>{} · {}: {} · {}{}</li>",
            esc(&t.product),
            t.when
                .as_deref()
                .map(|w| format!(" · {}", esc(w)))
                .unwrap_or_default(),
            esc(&t.place),
            esc(&mail_text("mail.tariff", l)),
            esc(&t.tariff),
            esc(&t.price),
            t.holder
                .as_deref()
                .map(|h| format!("<br>{}: {}", esc(&mail_text("mail.holder", l)), esc(h)))
                .unwrap_or_default(),
        ));
    }
    let footer_links = c
        .branding
        .footer_links
        .iter()
        .map(|f| {
            format!(
                "<a href=\"{}\" style=\"color:{accent}\">{}</a>",
                esc(&f.href),
                esc(&f.label)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
<body style=\"margin:0;background:#f4f4f4;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a\">\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:16px\">\
<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:600px;background:#ffffff\">\
<tr><td style=\"background:{brand};color:{on_brand};padding:20px 24px;font-size:22px;font-weight:bold\">{shop}</td></tr>\
<tr><td style=\"padding:24px\">\
<p>{greeting}</p><p>{intro}</p>\
<p>{number_label}: <strong>{number}</strong></p>\
<h2 style=\"font-size:18px;color:{accent}\">{items_label}</h2>\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">{items}\
<tr><td style=\"padding:8px 0;border-top:1px solid #ccc\"><strong>{total_label}</strong></td>\
<td style=\"padding:8px 0;border-top:1px solid #ccc;text-align:right\"><strong>{total}</strong></td></tr></table>\
{delivery}\
{tickets_block}\
<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"background:{brand};color:{on_brand};padding:12px 20px;text-decoration:none;font-weight:bold;display:inline-block\">{open}</a></p>\
<p style=\"font-size:13px;color:#444\">{link_note}<br><a href=\"{url}\" style=\"color:{accent}\">{url}</a></p>\
<p style=\"font-size:13px;color:#444\">{attachments}</p>\
</td></tr>\
<tr><td style=\"padding:16px 24px;border-top:4px solid {brand};font-size:12px;color:#444\">{footer}{footer_links}</td></tr>\
</table></td></tr></table></body></html>",
        lang = l.code(),
        subject = esc(&c.subject),
        shop = esc(&c.shop_name),
        greeting = esc(&c.greeting),
        intro = esc(&c.intro),
        number_label = esc(&mail_text("mail.order_number", l)),
        number = c.order_id,
        items_label = esc(&mail_text("mail.items", l)),
        total_label = esc(&mail_text("mail.total", l)),
        total = esc(&c.total),
        delivery = c
            .delivery
            .as_deref()
            .map(|d| format!("<p>{}: {}</p>", esc(&mail_text("mail.delivery", l)), esc(d)))
            .unwrap_or_default(),
        tickets_block = if tickets.is_empty() {
            String::new()
        } else {
            format!(
                "<h2 style=\"font-size:18px;color:{accent}\">{}</h2><ul style=\"padding-left:18px\">{tickets}</ul>",
                esc(&mail_text("mail.tickets", l))
            )
        },
        url = esc(&c.order_url),
        open = esc(&mail_text("mail.open_order", l)),
        link_note = esc(&mail_text("mail.link_note", l)),
        attachments = esc(&mail_text("mail.attachments", l)),
        footer = esc(&shop::mail::footer(c)),
        footer_links = if footer_links.is_empty() {
            String::new()
        } else {
            format!("<br>{footer_links}")
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Asked by the buyer

/// `?access=` of the resend form.
#[derive(Debug, Default, Deserialize)]
pub struct Access {
    #[serde(default)]
    access: Option<String>,
}

/// `POST /orders/{id}/resend`: the confirmation again, to the order's buyer, at most once per
/// [`ASK_WINDOW_SECS`]. Only for whoever may see the order (its link or its logged-in buyer);
/// back to the order page with `mail=sent` (or `mail=wait` within the window).
pub async fn resend(
    State(state): State<AppState>,
    parts: Parts,
    session: Session,
    UrlPath(order_id): UrlPath<String>,
    Query(q): Query<Access>,
) -> Response {
    let Some(tenant) = state.tenant_for(&parts.headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = shop::context::lang_of(&parts, Some(&tenant)).0;
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            shop::order::order_text("order.not_found", lang),
        )
            .into_response()
    };
    let Ok(order_id) = order_id.parse::<i64>() else {
        return not_found();
    };
    let cx = shop::Ctx::new(tenant.clone(), session, lang);
    match shop::order::owned_order(&cx, order_id, q.access.as_deref(), None).await {
        Ok(Some(d)) if d.order_state == s360::model::order::OrderState::Closed => {}
        Ok(_) => return not_found(),
        Err(e) => {
            tracing::warn!(tenant = %tenant.code, order = order_id, error = %e, "resend: S-360 did not answer");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                shop::order::order_text("order.unavailable", lang),
            )
                .into_response();
        }
    }
    let window = chrono::Utc::now().timestamp() / ASK_WINDOW_SECS;
    let mail = OutboxMail {
        institution: tenant.code.clone(),
        order_id,
        kind: format!("resend:{window}"),
        lang,
        to: None,
    };
    let added = match shop::payment::enqueue_mail(&tenant, mail).await {
        Ok(added) => added,
        Err(e) => {
            tracing::error!(tenant = %tenant.code, order = order_id, error = %e, "resend: outbox not written");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let flag = if added { "sent" } else { "wait" };
    Redirect::to(&format!(
        "{}&lang={}&mail={flag}",
        tenant.order_link(order_id),
        lang.code()
    ))
    .into_response()
}

/// The "find my order" form.
#[derive(Debug, Default, Deserialize)]
pub struct FindForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    order: String,
}

/// `GET /find-order`: the form.
pub async fn find_order_page(State(state): State<AppState>, parts: Parts) -> Response {
    find_page(&state, &parts, false).await
}

/// `POST /find-order`: mails the order's link to the address its confirmation went to when
/// both match; the same answer whatever was typed, decided without S-360.
pub async fn find_order(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<FindForm>,
) -> Response {
    if let (Some(tenant), Some(outbox)) = (state.tenant_for(&parts.headers), state.mail.clone()) {
        let lang = shop::context::lang_of(&parts, Some(&tenant)).0;
        let email = form.email.trim().to_string();
        let order = form
            .order
            .trim()
            .trim_start_matches('#')
            .parse::<i64>()
            .ok();
        if let Some(order_id) = order.filter(|o| *o > 0 && email.len() <= 254) {
            let code = tenant.code.clone();
            let known =
                tokio::task::spawn_blocking(move || outbox.confirmed_recipient(&code, order_id))
                    .await
                    .ok()
                    .flatten();
            if let Some(to) = known.filter(|to| to.eq_ignore_ascii_case(&email)) {
                let window = chrono::Utc::now().timestamp() / ASK_WINDOW_SECS;
                let mail = OutboxMail {
                    institution: tenant.code.clone(),
                    order_id,
                    kind: format!("link:{window}"),
                    lang,
                    to: Some(to),
                };
                if let Err(e) = shop::payment::enqueue_mail(&tenant, mail).await {
                    tracing::error!(tenant = %tenant.code, order = order_id, error = %e, "find my order: outbox not written");
                }
            }
        }
    }
    find_page(&state, &parts, true).await
}

async fn find_page(state: &AppState, parts: &Parts, done: bool) -> Response {
    let Some(tenant) = state.tenant_for(&parts.headers) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = shop::context::lang_of(parts, Some(&tenant)).0;
    let shop_name = shop::describe::snapshot(&tenant)
        .map(|snap| shop::describe::shop_info(&tenant, &snap, lang.code(), None).name)
        .unwrap_or_else(|_| tenant.code.clone());
    let t = |k: &str| esc(&mail_text(k, lang));
    let brand = colour(&tenant.branding.brand_color, "#1d4f91");
    let on_brand = colour(&tenant.branding.on_brand_color, "#ffffff");
    let body = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} – {shop}</title><link rel=\"stylesheet\" href=\"/pkg/shop.css\"></head>\
<body><header style=\"background:{brand};color:{on_brand};padding:1rem\"><a href=\"/\" style=\"color:{on_brand};font-weight:bold;font-size:1.25rem\">{shop}</a></header>\
<main id=\"main\" style=\"max-width:40rem;margin:0 auto;padding:1rem\">\
<h1>{title}</h1>{done}<p>{intro}</p>\
<form method=\"post\" action=\"/find-order?lang={lang}\" data-testid=\"find-order-form\">\
<p><label for=\"find-email\">{email_label}</label><br><input id=\"find-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required maxlength=\"254\"></p>\
<p><label for=\"find-order\">{order_label}</label><br><input id=\"find-order\" name=\"order\" inputmode=\"numeric\" required maxlength=\"20\"></p>\
<p><button type=\"submit\" class=\"button\">{submit}</button></p></form></main></body></html>",
        lang = lang.code(),
        title = t("mail.find_title"),
        shop = esc(&shop_name),
        done = if done {
            format!("<p role=\"status\" data-testid=\"find-order-done\">{}</p>", t("mail.find_done"))
        } else {
            String::new()
        },
        intro = t("mail.find_intro"),
        email_label = t("mail.find_email"),
        order_label = t("mail.find_order"),
        submit = t("mail.find_submit"),
    );
    ([(header::CACHE_CONTROL, "private, no-store")], Html(body)).into_response()
}

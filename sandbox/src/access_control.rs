//! `externalAccessControlService` v1_6 (contract §11): grey/white/black lists with an opaque,
//! incremental cursor, gate scans, and the catalog the gates need.

use s360::model::ticket::*;
use serde_json::Value;

use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::{now, Institution};
use crate::tickets::TicketRecord;

pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "exportList" => parse(body).map(|r| export_list(inst, r)),
        "getControlledTicket" => parse(body).map(|r| get_controlled(inst, r)),
        "burnTicket" => parse(body).map(|r| burn(inst, r)),
        "importControlledTicket" => parse(body).map(|r| import(inst, r)),
        "getAccessControlCatalog" => parse(body).map(|r| catalog(inst, r)),
        "getTimeZone" => Ok(ok(TimeZoneResult {
            time_zone: inst.pos.organization_time_zone.clone(),
        })),
        _ => return None,
    })
}

const CURSOR_PREFIX: &str = "ac1.";

fn encode_cursor(seq: u64) -> String {
    format!("{CURSOR_PREFIX}{seq:x}")
}

fn decode_cursor(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix(CURSOR_PREFIX)?, 16).ok()
}

fn item(inst: &Institution, t: &TicketRecord) -> AccessControlListItem {
    let i = &t.info;
    AccessControlListItem {
        barcode: t.barcode.clone(),
        valid: t.is_valid(),
        season_code: i.season_code.clone(),
        product_code: i.product_code.clone(),
        performance_code: i.performance_code.clone(),
        audience_sub_category_code: i.audience_sub_category_code.clone(),
        seat_category_code: i.seat_category_code.clone(),
        tax_number: t.tax_number.clone(),
        entrance_code: i.entrance_code.clone(),
        container_identifier: None,
        area_code: i.seat.area_code.clone(),
        block_code: i.seat.block_code.clone(),
        row_number: i.seat.row.clone(),
        seat_number: i.seat.number.clone(),
        validity_start_date: i.validity_start,
        validity_end_date: i.validity_end,
        reduced_price: i.reduced_price,
        specimen: inst.pos.test_institution,
        cancellation_cause: if t.is_valid() {
            None
        } else {
            t.cancellation_cause.clone()
        },
        last_update: t.last_update,
        // the institution decides whether its gates get the holders (seed 002)
        holder_data: if inst.access_control_holder_data {
            i.holder.name_values()
        } else {
            Vec::new()
        },
    }
}

/// Walks the tickets in change order from the cursor. A reprint changes the new ticket first
/// and its old barcodes right after (`TicketStore::print`), so in a GREY list the invalid old
/// barcodes follow their valid replacement and count with it as one result.
fn export_list(inst: &Institution, req: ExportListRequest) -> MethodResult {
    if req.season_code.is_empty() || req.season_code.len() > 8 {
        return Err(BusinessError::invalid(
            "seasonCode is mandatory (8 characters at most)",
        ));
    }
    if req.nb_max_results <= 0 {
        return Err(BusinessError::invalid("nbMaxResults must be positive"));
    }
    let after = match req.pagination_start.as_deref() {
        None | Some("") => 0,
        Some(c) => decode_cursor(c).ok_or_else(|| {
            BusinessError::invalid("paginationStart is not a cursor this service issued")
        })?,
    };
    let wanted = |t: &TicketRecord| {
        t.info.season_code == req.season_code
            && (req.product_codes.is_empty() || req.product_codes.contains(&t.info.product_code))
            && (req.performance_codes.is_empty()
                || t.info.performance_code.as_ref().is_some_and(|p| req.performance_codes.contains(p)))
            // the sandbox sells through its own channels only: no third-party tickets
            && req.ticket_type == TicketType::All
    };
    let in_list = |t: &TicketRecord| match req.list_type {
        ListType::White => t.is_valid(),
        ListType::Black => !t.is_valid(),
        ListType::Grey => true,
    };
    let grey = req.list_type == ListType::Grey;
    let mut items = Vec::new();
    let mut groups = 0i64;
    let mut cursor = after;
    // the valid ticket last put in the page, whose old barcodes may follow
    let mut last_valid: Option<i64> = None;
    for t in inst.tickets.changed_after(after) {
        let counterpart = grey
            && last_valid.is_some()
            && t.is_reprinted()
            && inst.tickets.replacement_of(t).map(|r| r.ticket_id) == last_valid;
        if counterpart {
            cursor = t.change_seq;
            items.push(item(inst, t));
            continue;
        }
        if groups >= req.nb_max_results {
            break;
        }
        cursor = t.change_seq;
        last_valid = None;
        if !wanted(t) || !in_list(t) {
            continue;
        }
        items.push(item(inst, t));
        groups += 1;
        if t.is_valid() {
            last_valid = Some(t.ticket_id);
        }
    }
    ok(ExportListResult {
        access_control_list_data: Some(AccessControlListData {
            access_control_list_items: items,
            pagination_end: Some(encode_cursor(cursor)),
        }),
    })
}

fn controlled(t: &TicketRecord, duplicate: bool) -> ControlledTicketData {
    ControlledTicketData {
        barcode: t.barcode.clone(),
        container_identifier: None,
        container_ticket: false,
        control_operations: t.control_operations.clone(),
        duplicate,
        printing_date_time: t.printed_at,
        state: if matches!(t.state, TicketState::Cancelled | TicketState::Invalidated) {
            ControlledTicketState::Cancelled
        } else {
            ControlledTicketState::Valid
        },
        tax_number: t.tax_number.clone(),
        ticket_kind: "TICKET".into(),
        ticket_medium: t.medium,
    }
}

fn get_controlled(inst: &Institution, req: BarcodeRequest) -> MethodResult {
    let t = inst
        .tickets
        .get(&req.bar_code_or_tax_number)
        .ok_or_else(|| {
            BusinessError::not_found(format!("ticket {}", req.bar_code_or_tax_number))
        })?;
    let duplicate = t
        .control_operations
        .iter()
        .filter(|o| o.control_operation_type == ControlOperationType::Ok)
        .count()
        > 1;
    ok(ControlledTicketResult {
        controlled_ticket_data: Some(controlled(t, duplicate)),
    })
}

/// Controls a ticket now: OK if valid and not yet used, FAIL otherwise.
fn burn(inst: &mut Institution, req: BarcodeRequest) -> MethodResult {
    let code = req.bar_code_or_tax_number;
    let (_, duplicate) = inst
        .tickets
        .control(&code, now(), ControlResult::Ok)
        .ok_or_else(|| BusinessError::not_found(format!("ticket {code}")))?;
    let t = inst
        .tickets
        .get(&code)
        .ok_or_else(|| BusinessError::not_found(format!("ticket {code}")))?;
    ok(ControlledTicketResult {
        controlled_ticket_data: Some(controlled(t, duplicate)),
    })
}

/// Seed 002: barcodes S-360 never issued are ignored (not imported, not an error); one
/// blacklisted (cancelled, invalidated) barcode fails the whole call, which imports nothing
/// (all methods are transactional). `importedCount` counts the controls recorded.
fn import(inst: &mut Institution, req: ImportControlledTicketRequest) -> MethodResult {
    for c in &req.controlled_tickets {
        if inst
            .tickets
            .by_barcode(&c.barcode)
            .is_some_and(|t| !t.is_valid())
        {
            return Err(BusinessError::new(
                s360::envelope::FAILED,
                format!("Failed to import controlledTickets:{}", c.barcode),
            ));
        }
    }
    let mut imported = 0u32;
    for c in &req.controlled_tickets {
        if inst.tickets.by_barcode(&c.barcode).is_some()
            && inst
                .tickets
                .control(&c.barcode, c.control_date, c.control_result)
                .is_some()
        {
            imported += 1;
        }
    }
    ok(ImportControlledTicketResult {
        imported_count: imported,
    })
}

fn catalog(inst: &Institution, req: AccessControlCatalogRequest) -> MethodResult {
    let lang = inst.pos.main_language.as_str();
    match req.season_code {
        None => ok(AccessControlCatalogResult {
            seasons: inst
                .catalog
                .seasons
                .iter()
                .map(|s| AcSeason {
                    code: s.code.clone(),
                    name: s.external_name.best(lang, "en").to_string(),
                })
                .collect(),
            products: vec![],
        }),
        Some(code) => {
            let season = inst
                .catalog
                .seasons
                .iter()
                .find(|s| s.code == code)
                .ok_or_else(|| BusinessError::not_found(format!("season {code}")))?;
            ok(AccessControlCatalogResult {
                seasons: vec![],
                products: season
                    .products
                    .iter()
                    .map(|p| AcProduct {
                        code: p.code.clone(),
                        name: p.external_name.best(lang, "en").to_string(),
                        performances: p
                            .event
                            .iter()
                            .flat_map(|e| e.performances.iter())
                            .map(|x| AcPerformance {
                                code: x.code.clone(),
                                start: x.start,
                            })
                            .collect(),
                    })
                    .collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::{Config, Sandbox};

    /// The load setting the gates are tested with: 40,000 tickets seeded, then the whole grey
    /// list walked in pages of 1,000, each ticket exactly once. Prints both times (run with
    /// `--nocapture`); the bounds are loose so a busy machine does not fail it.
    #[test]
    fn forty_thousand_tickets_seed_and_walk_fast() {
        const N: usize = 40_000;
        let started = Instant::now();
        drop(Sandbox::new(Config::default()));
        let plain = started.elapsed();
        let started = Instant::now();
        let sb = Sandbox::new(Config {
            stadium_tickets: N as u32,
            ..Config::default()
        });
        let seeded = started.elapsed();
        let inst = sb.institution("PLAY").unwrap();
        let inst = inst.lock().unwrap();
        assert_eq!(inst.tickets.len(), N);

        // the time of exportList itself (to its JSON value) per page, apart from the checks
        let mut page_times = Vec::new();
        let mut cursor = None;
        let mut seen = HashSet::new();
        loop {
            let started = Instant::now();
            let page = export_list(
                &inst,
                ExportListRequest {
                    request_id: None,
                    list_type: ListType::Grey,
                    ticket_type: TicketType::All,
                    season_code: "PLAY26".into(),
                    product_codes: vec!["MATCH01".into()],
                    performance_codes: vec![],
                    pagination_start: cursor.clone(),
                    nb_max_results: 1_000,
                },
            )
            .unwrap();
            page_times.push(started.elapsed());
            let data = serde_json::from_value::<ExportListResult>(page)
                .unwrap()
                .access_control_list_data
                .unwrap();
            if data.access_control_list_items.is_empty() {
                break;
            }
            assert_eq!(data.access_control_list_items.len(), 1_000);
            for i in data.access_control_list_items {
                assert!(seen.insert(i.barcode), "exactly once");
            }
            cursor = data.pagination_end;
        }
        let pages = page_times.len() - 1;
        let walked: std::time::Duration = page_times.iter().sum();
        eprintln!(
            "{N} tickets: Sandbox::new in {seeded:?} ({plain:?} without them); exportList over {pages} pages of 1,000 in \
             {walked:?} (first page {:?}, last {:?}, slowest {:?})",
            page_times[0],
            page_times[pages - 1],
            page_times.iter().max().unwrap()
        );
        assert_eq!(seen.len(), N);
        assert_eq!(pages, N / 1_000);
        assert!(seeded.as_secs() < 10, "seeding took {seeded:?}");
        assert!(walked.as_secs() < 30, "the walk took {walked:?}");
    }
}

//! `productionPublicService` (OUR DESIGN, contract §9): tickets of an order and their PDF.

use base64::Engine;
use s360::model::ticket::*;
use serde_json::Value;

use crate::pdf::{self, Branding};
use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::Institution;

pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "getTickets" => parse(body).map(|r| get_tickets(inst, r)),
        "printTickets" => parse(body).map(|r| print_tickets(inst, r)),
        _ => return None,
    })
}

fn get_tickets(inst: &Institution, req: GetTicketsRequest) -> MethodResult {
    let order_id = req
        .order_id
        .or(req.file_id)
        .ok_or_else(|| BusinessError::invalid("orderId or fileId is mandatory"))?;
    let tickets: Vec<TicketData> = inst
        .tickets
        .of_order(order_id)
        .filter(|t| req.movement_ids.is_empty() || req.movement_ids.contains(&t.info.movement_id))
        .map(|t| t.data())
        .collect();
    ok(GetTicketsResult { tickets })
}

fn print_tickets(inst: &mut Institution, req: PrintTicketsRequest) -> MethodResult {
    if req.ticket_ids.is_empty() {
        return Err(BusinessError::invalid("ticketIds is mandatory"));
    }
    for id in &req.ticket_ids {
        match inst.tickets.by_id(*id) {
            None => return Err(BusinessError::not_found(format!("ticket {id}"))),
            Some(t) if !t.is_valid() => {
                return Err(BusinessError::invalid(format!(
                    "ticket {id} is {:?} and cannot be printed",
                    t.state
                )))
            }
            Some(_) => {}
        }
    }
    let medium = match req.format {
        PrintFormat::PdfA4 => TicketMedium::ETicket,
        PrintFormat::MobilePdf => TicketMedium::Mobile,
    };
    let printed = inst.tickets.print(&req.ticket_ids, req.reprint, medium);
    let data: Vec<TicketData> = printed
        .iter()
        .filter_map(|id| inst.tickets.by_id(*id).map(|t| t.data()))
        .collect();
    let name = inst
        .pos
        .organization_name
        .best(&inst.pos.main_language, "en")
        .to_string();
    // blocks and entrances by the names the catalog gives them, not their codes
    let lang = &inst.pos.main_language;
    let configs = &inst.catalog.physical_configurations;
    let areas = configs
        .iter()
        .flat_map(|c| c.areas.iter())
        .map(|a| (a.code.clone(), a.external_name.best(lang, "en").to_string()))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    let entrances = configs
        .iter()
        .flat_map(|c| c.entrances.iter())
        .map(|e| (e.code.clone(), e.external_name.best(lang, "en").to_string()))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    let bytes = pdf::render(
        &data,
        req.format,
        &Branding {
            institution: &name,
            color: "#1d4f91",
            time_zone: &inst.pos.organization_time_zone,
            areas: &areas,
            entrances: &entrances,
        },
    );
    ok(PrintTicketsResult {
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        barcodes: data.iter().map(|t| t.barcode.clone()).collect(),
        printed_ticket_ids: printed,
    })
}

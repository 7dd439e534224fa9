//! The ticket registry of an institution: every entry right ever issued, keyed by barcode,
//! with a change sequence that drives the incremental access-control export.
//!
//! Orders issue tickets when they close ([`TicketStore::issue`]); printing, reprinting,
//! cancelling and gate scans change them. Each change gives the ticket a new `change_seq`, so
//! `exportList` can return "everything changed after the cursor" exactly once.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use s360::ids::*;
use s360::model::ticket::*;
use s360::money::Amount;

use crate::state::now;

/// What an order line gives a new ticket.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub order_id: i64,
    pub movement_id: i64,
    pub contact_number: Option<String>,
    pub season_code: String,
    pub product_id: ProductId,
    pub product_code: String,
    pub product_name: String,
    pub performance_id: Option<PerformanceId>,
    pub performance_code: Option<String>,
    pub performance_start: Option<DateTime<FixedOffset>>,
    pub seat_category_code: Option<String>,
    pub seat_category_name: Option<String>,
    pub audience_sub_category_code: String,
    pub audience_sub_category_name: String,
    pub reduced_price: bool,
    pub price: Amount,
    pub seat: TicketSeat,
    pub entrance_code: Option<String>,
    pub holder_name: Option<String>,
    pub validity_start: Option<DateTime<FixedOffset>>,
    pub validity_end: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub ticket_id: i64,
    pub barcode: String,
    pub tax_number: String,
    pub state: TicketState,
    pub medium: TicketMedium,
    pub printed_at: Option<DateTime<FixedOffset>>,
    pub cancellation_cause: Option<String>,
    pub control_operations: Vec<ControlOperation>,
    pub last_update: DateTime<FixedOffset>,
    pub change_seq: u64,
    pub info: NewTicket,
}

impl TicketRecord {
    pub fn is_valid(&self) -> bool {
        matches!(self.state, TicketState::Valid | TicketState::NotPrinted)
    }

    pub fn data(&self) -> TicketData {
        TicketData {
            ticket_id: self.ticket_id,
            order_id: self.info.order_id,
            movement_id: self.info.movement_id,
            barcode: self.barcode.clone(),
            tax_number: self.tax_number.clone(),
            ticket_state: self.state,
            ticket_medium: self.medium,
            printing_date_time: self.printed_at,
            product_id: self.info.product_id,
            product_code: self.info.product_code.clone(),
            product_name: self.info.product_name.clone(),
            performance_id: self.info.performance_id,
            performance_start: self.info.performance_start,
            seat_category: self.info.seat_category_name.clone(),
            audience_sub_category: self.info.audience_sub_category_name.clone(),
            price: self.info.price,
            seat: self.info.seat.clone(),
            entrance_code: self.info.entrance_code.clone(),
            holder_name: self.info.holder_name.clone(),
        }
    }
}

#[derive(Debug)]
pub struct TicketStore {
    tickets: Vec<TicketRecord>,
    by_barcode: HashMap<String, usize>,
    next_ticket_id: i64,
    next_seq: u64,
    /// Mixed into barcodes so that two institutions never share one.
    barcode_prefix: u64,
    barcode_counter: u64,
}

impl TicketStore {
    pub fn new(institution_index: u64) -> Self {
        TicketStore {
            tickets: Vec::new(),
            by_barcode: HashMap::new(),
            next_ticket_id: 70_000_000_000_000 + institution_index as i64 * 1_000_000_000,
            next_seq: 1,
            barcode_prefix: 10 + institution_index,
            barcode_counter: 0,
        }
    }

    fn seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// A new 20-digit barcode: 2 digits of institution, 8 of sequence, 10 of randomness, so
    /// barcodes are unique and not guessable from each other.
    fn new_barcode(&mut self) -> String {
        loop {
            self.barcode_counter += 1;
            let random: u64 = rand::random_range(0..10_000_000_000);
            let code = format!(
                "{:02}{:08}{:010}",
                self.barcode_prefix % 100,
                self.barcode_counter % 100_000_000,
                random
            );
            if !self.by_barcode.contains_key(&code) {
                return code;
            }
        }
    }

    /// Issues a valid (not yet printed) ticket; returns its id.
    pub fn issue(&mut self, info: NewTicket) -> i64 {
        let ticket_id = self.next_ticket_id;
        self.next_ticket_id += 1;
        let barcode = self.new_barcode();
        let seq = self.seq();
        let record = TicketRecord {
            ticket_id,
            tax_number: format!("T-{:06}", ticket_id % 1_000_000),
            barcode: barcode.clone(),
            state: TicketState::NotPrinted,
            medium: TicketMedium::ETicket,
            printed_at: None,
            cancellation_cause: None,
            control_operations: Vec::new(),
            last_update: now(),
            change_seq: seq,
            info,
        };
        self.by_barcode.insert(barcode, self.tickets.len());
        self.tickets.push(record);
        ticket_id
    }

    pub fn all(&self) -> &[TicketRecord] {
        &self.tickets
    }

    pub fn of_order(&self, order_id: i64) -> impl Iterator<Item = &TicketRecord> {
        self.tickets
            .iter()
            .filter(move |t| t.info.order_id == order_id)
    }

    pub fn by_id(&self, ticket_id: i64) -> Option<&TicketRecord> {
        self.tickets.iter().find(|t| t.ticket_id == ticket_id)
    }

    /// A ticket by barcode or tax number.
    pub fn find_mut(&mut self, code: &str) -> Option<&mut TicketRecord> {
        let idx = match self.by_barcode.get(code) {
            Some(i) => Some(*i),
            None => self.tickets.iter().position(|t| t.tax_number == code),
        }?;
        self.tickets.get_mut(idx)
    }

    fn touch(&mut self, idx: usize) {
        let seq = self.seq();
        if let Some(t) = self.tickets.get_mut(idx) {
            t.change_seq = seq;
            t.last_update = now();
        }
    }

    /// Marks tickets printed; a ticket printed before is reprinted: its barcode becomes
    /// INVALIDATED (cause REPRINTED) and a new ticket with a new barcode replaces it.
    /// Returns the ticket ids now printed, in order (unknown or cancelled ids are skipped).
    pub fn print(&mut self, ticket_ids: &[i64], reprint: bool, medium: TicketMedium) -> Vec<i64> {
        let mut printed = Vec::new();
        for id in ticket_ids {
            let Some(idx) = self.tickets.iter().position(|t| t.ticket_id == *id) else {
                continue;
            };
            let t = &self.tickets[idx];
            if !t.is_valid() {
                continue;
            }
            if t.printed_at.is_some() && reprint {
                let info = t.info.clone();
                self.tickets[idx].state = TicketState::Invalidated;
                self.tickets[idx].cancellation_cause = Some("REPRINTED".into());
                self.touch(idx);
                let new_id = self.issue(info);
                let last = self.tickets.len() - 1;
                self.tickets[last].state = TicketState::Valid;
                self.tickets[last].printed_at = Some(now());
                self.tickets[last].medium = medium;
                printed.push(new_id);
            } else {
                if t.printed_at.is_none() {
                    self.tickets[idx].state = TicketState::Valid;
                    self.tickets[idx].printed_at = Some(now());
                    self.tickets[idx].medium = medium;
                    self.touch(idx);
                }
                printed.push(*id);
            }
        }
        printed
    }

    /// Cancels every valid ticket of an order (refund, cancellation).
    pub fn cancel_order(&mut self, order_id: i64, cause: &str) -> usize {
        let idxs: Vec<usize> = self
            .tickets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.info.order_id == order_id && t.is_valid())
            .map(|(i, _)| i)
            .collect();
        for i in &idxs {
            self.tickets[*i].state = TicketState::Cancelled;
            self.tickets[*i].cancellation_cause = Some(cause.to_string());
            self.touch(*i);
        }
        idxs.len()
    }

    /// Tickets changed after `after_seq`, oldest change first.
    pub fn changed_after(&self, after_seq: u64) -> Vec<&TicketRecord> {
        let mut v: Vec<&TicketRecord> = self
            .tickets
            .iter()
            .filter(|t| t.change_seq > after_seq)
            .collect();
        v.sort_by_key(|t| t.change_seq);
        v
    }

    /// The valid ticket that replaced `old` after a reprint (same movement), if any.
    pub fn replacement_of(&self, old: &TicketRecord) -> Option<&TicketRecord> {
        self.tickets.iter().find(|t| {
            t.ticket_id != old.ticket_id
                && t.info.order_id == old.info.order_id
                && t.info.movement_id == old.info.movement_id
                && t.is_valid()
        })
    }

    /// Records a gate scan; returns the operation type recorded and whether it was a duplicate.
    pub fn control(
        &mut self,
        code: &str,
        when: DateTime<FixedOffset>,
        result: ControlResult,
    ) -> Option<(ControlOperationType, bool)> {
        let idx = match self.by_barcode.get(code) {
            Some(i) => *i,
            None => self.tickets.iter().position(|t| t.tax_number == code)?,
        };
        let t = &mut self.tickets[idx];
        let duplicate = t.control_operations.iter().any(|o| {
            matches!(
                o.control_operation_type,
                ControlOperationType::Ok | ControlOperationType::OfflineOk
            )
        });
        let op = match (t.state, result) {
            (TicketState::Cancelled, _) => ControlOperationType::CancelledTicket,
            (TicketState::Invalidated, _) => ControlOperationType::InvalidatedTicket,
            (_, ControlResult::Ok) if duplicate => ControlOperationType::Fail,
            (_, ControlResult::Ok) => ControlOperationType::Ok,
            (_, ControlResult::OfflineOk) => ControlOperationType::OfflineOk,
            (_, ControlResult::Fail) => ControlOperationType::Fail,
            (_, ControlResult::OfflineFail) => ControlOperationType::OfflineFail,
        };
        t.control_operations.push(ControlOperation {
            control_operation_type: op,
            operation_date_time: when,
        });
        Some((op, duplicate))
    }

    pub fn get(&self, code: &str) -> Option<&TicketRecord> {
        match self.by_barcode.get(code) {
            Some(i) => self.tickets.get(*i),
            None => self.tickets.iter().find(|t| t.tax_number == code),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(order_id: i64, movement_id: i64) -> NewTicket {
        NewTicket {
            order_id,
            movement_id,
            contact_number: None,
            season_code: "PLAY26".into(),
            product_id: ProductId(1),
            product_code: "MATCH01".into(),
            product_name: "Play FC – FC Lakeside".into(),
            performance_id: Some(PerformanceId(2)),
            performance_code: Some("M01".into()),
            performance_start: Some(now()),
            seat_category_code: Some("MAIN".into()),
            seat_category_name: Some("Main stand".into()),
            audience_sub_category_code: "ADULT".into(),
            audience_sub_category_name: "Adult".into(),
            reduced_price: false,
            price: Amount::from_units(60),
            seat: TicketSeat {
                area_code: Some("B1".into()),
                block_code: Some("B1".into()),
                row: Some("7".into()),
                number: Some("15".into()),
            },
            entrance_code: Some("GATE_A".into()),
            holder_name: None,
            validity_start: None,
            validity_end: None,
        }
    }

    #[test]
    fn barcodes_are_unique_20_digits() {
        let mut s = TicketStore::new(1);
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            let id = s.issue(sample(1, i));
            let t = s.by_id(id).unwrap();
            assert_eq!(t.barcode.len(), 20);
            assert!(t.barcode.chars().all(|c| c.is_ascii_digit()));
            assert!(seen.insert(t.barcode.clone()));
        }
    }

    #[test]
    fn reprint_invalidates_and_replaces() {
        let mut s = TicketStore::new(1);
        let id = s.issue(sample(1, 1));
        assert_eq!(s.print(&[id], false, TicketMedium::ETicket), vec![id]);
        let old = s.by_id(id).unwrap().barcode.clone();
        let again = s.print(&[id], true, TicketMedium::ETicket);
        assert_ne!(again, vec![id]);
        assert_eq!(s.get(&old).unwrap().state, TicketState::Invalidated);
        let new = s.by_id(again[0]).unwrap();
        assert_eq!(new.state, TicketState::Valid);
        assert_ne!(new.barcode, old);
    }

    #[test]
    fn second_scan_is_a_duplicate() {
        let mut s = TicketStore::new(1);
        let id = s.issue(sample(1, 1));
        let code = s.by_id(id).unwrap().barcode.clone();
        assert_eq!(
            s.control(&code, now(), ControlResult::Ok),
            Some((ControlOperationType::Ok, false))
        );
        assert_eq!(
            s.control(&code, now(), ControlResult::Ok),
            Some((ControlOperationType::Fail, true))
        );
    }
}

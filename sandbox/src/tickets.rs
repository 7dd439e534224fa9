//! The ticket registry of an institution: every entry right ever issued, keyed by barcode,
//! with a change sequence that drives the incremental access-control export.
//!
//! Orders issue tickets when they close ([`TicketStore::issue`]); printing, reprinting and
//! cancelling change them. Each change gives the ticket a new `change_seq`, so `exportList`
//! can return "everything changed after the cursor" exactly once. The store keeps the tickets
//! ordered by `change_seq` ([`TicketStore::changed_after`]), so a page of the export costs
//! O(page + log n), and finds a ticket by barcode, tax number, id or order without a scan.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use chrono::{DateTime, FixedOffset, NaiveDate};
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
    /// What is known of the holder, for the access-control lists' `holderData`.
    pub holder: TicketHolder,
    pub validity_start: Option<DateTime<FixedOffset>>,
    pub validity_end: Option<DateTime<FixedOffset>>,
}

/// The ticket holder as far as the registry knows them: each part may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketHolder {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Passport or identity card number.
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Nationality, ISO-3166 alpha-2.
    pub country_code: Option<String>,
}

impl TicketHolder {
    /// The known parts as `holderData` (contract §11): FIRSTNAME, LASTNAME, ID_NUMBER,
    /// BIRTHDATE (`YYYY-MM-DD`), COUNTRY_CODE, in that order, blank values left out.
    pub fn name_values(&self) -> Vec<AcNameValue> {
        let birth = self.birth_date.map(|d| d.format("%Y-%m-%d").to_string());
        [
            (AcNameValue::FIRSTNAME, self.first_name.as_deref()),
            (AcNameValue::LASTNAME, self.last_name.as_deref()),
            (AcNameValue::ID_NUMBER, self.id_number.as_deref()),
            (AcNameValue::BIRTHDATE, birth.as_deref()),
            (AcNameValue::COUNTRY_CODE, self.country_code.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value?.trim();
            (!value.is_empty()).then(|| AcNameValue::new(name, value))
        })
        .collect()
    }
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
    /// After a reprint: the ticket this one replaced (its old barcode).
    pub replaces: Option<i64>,
    /// After a reprint: the ticket that replaced this one (its new barcode).
    pub replaced_by: Option<i64>,
    pub info: NewTicket,
}

impl TicketRecord {
    pub fn is_valid(&self) -> bool {
        matches!(self.state, TicketState::Valid | TicketState::NotPrinted)
    }

    /// Invalidated by a reprint (cause REPRINTED).
    pub fn is_reprinted(&self) -> bool {
        !self.is_valid() && self.cancellation_cause.as_deref() == Some(REPRINTED)
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

/// The cancellation cause of a barcode invalidated by a reprint.
pub const REPRINTED: &str = "REPRINTED";

/// Why the registry refused to change a ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("no ticket with barcode or tax number {0}")]
    Unknown(String),
    #[error("ticket {barcode} is already invalid ({state:?}, cause {cause})")]
    NotValid {
        barcode: String,
        state: TicketState,
        cause: String,
    },
}

#[derive(Debug)]
pub struct TicketStore {
    /// In issue order: the ticket with id `first_ticket_id + i` sits at index `i`.
    tickets: Vec<TicketRecord>,
    first_ticket_id: i64,
    by_barcode: HashMap<String, usize>,
    by_tax_number: HashMap<String, usize>,
    by_order: HashMap<i64, Vec<usize>>,
    /// change_seq -> index: every ticket exactly once, at its latest change.
    by_seq: BTreeMap<u64, usize>,
    next_seq: u64,
    /// Mixed into barcodes so that two institutions never share one.
    barcode_prefix: u64,
    barcode_counter: u64,
}

impl TicketStore {
    pub fn new(institution_index: u64) -> Self {
        TicketStore {
            tickets: Vec::new(),
            first_ticket_id: 70_000_000_000_000 + institution_index as i64 * 1_000_000_000,
            by_barcode: HashMap::new(),
            by_tax_number: HashMap::new(),
            by_order: HashMap::new(),
            by_seq: BTreeMap::new(),
            next_seq: 1,
            barcode_prefix: 10 + institution_index,
            barcode_counter: 0,
        }
    }

    /// How many tickets were ever issued (valid or not).
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
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
        let idx = self.push(info, None, TicketMedium::ETicket, now());
        self.tickets[idx].ticket_id
    }

    /// Issues a valid ticket already printed on `medium` at `at` (state VALID); returns its id.
    pub fn issue_printed(
        &mut self,
        info: NewTicket,
        medium: TicketMedium,
        at: DateTime<FixedOffset>,
    ) -> i64 {
        let idx = self.push(info, Some(at), medium, at);
        self.tickets[idx].ticket_id
    }

    fn push(
        &mut self,
        info: NewTicket,
        printed_at: Option<DateTime<FixedOffset>>,
        medium: TicketMedium,
        at: DateTime<FixedOffset>,
    ) -> usize {
        let idx = self.tickets.len();
        let ticket_id = self.first_ticket_id + idx as i64;
        let barcode = self.new_barcode();
        let tax_number = format!("T-{:06}", ticket_id % 1_000_000);
        let seq = self.seq();
        self.by_barcode.insert(barcode.clone(), idx);
        self.by_tax_number.insert(tax_number.clone(), idx);
        self.by_order.entry(info.order_id).or_default().push(idx);
        self.by_seq.insert(seq, idx);
        self.tickets.push(TicketRecord {
            ticket_id,
            tax_number,
            barcode,
            state: if printed_at.is_some() {
                TicketState::Valid
            } else {
                TicketState::NotPrinted
            },
            medium,
            printed_at,
            cancellation_cause: None,
            control_operations: Vec::new(),
            last_update: at,
            change_seq: seq,
            replaces: None,
            replaced_by: None,
            info,
        });
        idx
    }

    /// Every ticket ever issued, in issue order.
    pub fn all(&self) -> &[TicketRecord] {
        &self.tickets
    }

    pub fn of_order(&self, order_id: i64) -> impl Iterator<Item = &TicketRecord> {
        self.by_order
            .get(&order_id)
            .into_iter()
            .flatten()
            .filter_map(|i| self.tickets.get(*i))
    }

    fn index_of_id(&self, ticket_id: i64) -> Option<usize> {
        let i = usize::try_from(ticket_id.checked_sub(self.first_ticket_id)?).ok()?;
        (i < self.tickets.len()).then_some(i)
    }

    /// The index of a ticket by barcode or tax number.
    fn index_of(&self, code: &str) -> Option<usize> {
        self.by_barcode
            .get(code)
            .or_else(|| self.by_tax_number.get(code))
            .copied()
    }

    pub fn by_id(&self, ticket_id: i64) -> Option<&TicketRecord> {
        self.tickets.get(self.index_of_id(ticket_id)?)
    }

    /// A ticket by barcode only (not by tax number).
    pub fn by_barcode(&self, barcode: &str) -> Option<&TicketRecord> {
        self.tickets.get(*self.by_barcode.get(barcode)?)
    }

    /// A ticket by barcode or tax number.
    pub fn find_mut(&mut self, code: &str) -> Option<&mut TicketRecord> {
        let idx = self.index_of(code)?;
        self.tickets.get_mut(idx)
    }

    /// A ticket by barcode or tax number.
    pub fn get(&self, code: &str) -> Option<&TicketRecord> {
        self.tickets.get(self.index_of(code)?)
    }

    /// Moves a ticket to the end of the change order and stamps `last_update`.
    fn touch(&mut self, idx: usize) {
        self.resequence(idx);
        if let Some(t) = self.tickets.get_mut(idx) {
            t.last_update = now();
        }
    }

    /// Moves a ticket to the end of the change order without stamping `last_update` (its
    /// data did not change, only its place in the export).
    fn resequence(&mut self, idx: usize) {
        let seq = self.seq();
        if let Some(t) = self.tickets.get_mut(idx) {
            self.by_seq.remove(&t.change_seq);
            t.change_seq = seq;
            self.by_seq.insert(seq, idx);
        }
    }

    /// Marks tickets printed; a ticket printed before is reprinted: its barcode becomes
    /// INVALIDATED (cause REPRINTED) and a new ticket with a new barcode replaces it.
    /// Returns the ticket ids now printed, in order (unknown or cancelled ids are skipped).
    ///
    /// A reprint changes the new ticket first and the old one (then its own predecessors, if
    /// it was itself a reprint) right after, so the grey list finds the invalid barcodes
    /// right after their valid replacement (contract §11).
    pub fn print(&mut self, ticket_ids: &[i64], reprint: bool, medium: TicketMedium) -> Vec<i64> {
        let mut printed = Vec::new();
        for id in ticket_ids {
            let Some(idx) = self.index_of_id(*id) else {
                continue;
            };
            let t = &self.tickets[idx];
            if !t.is_valid() {
                continue;
            }
            if t.printed_at.is_some() && reprint {
                let info = t.info.clone();
                let at = now();
                let new_idx = self.push(info, Some(at), medium, at);
                let new_id = self.tickets[new_idx].ticket_id;
                self.tickets[new_idx].replaces = Some(*id);
                let old = &mut self.tickets[idx];
                old.state = TicketState::Invalidated;
                old.cancellation_cause = Some(REPRINTED.into());
                old.replaced_by = Some(new_id);
                self.touch(idx);
                let mut earlier = self.tickets[idx].replaces;
                while let Some(prev) = earlier.and_then(|p| self.index_of_id(p)) {
                    self.resequence(prev);
                    earlier = self.tickets[prev].replaces;
                }
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

    /// Reprints one ticket (printing it first if it never was): the old barcode becomes
    /// INVALIDATED (cause REPRINTED), a new valid one replaces it on the same medium.
    /// Returns the new ticket's id.
    pub fn reprint(&mut self, code: &str) -> Result<i64, TicketError> {
        let idx = self
            .index_of(code)
            .ok_or_else(|| TicketError::Unknown(code.to_string()))?;
        let t = &self.tickets[idx];
        if !t.is_valid() {
            return Err(not_valid(t));
        }
        let (id, medium) = (t.ticket_id, t.medium);
        if t.printed_at.is_none() {
            self.print(&[id], false, medium);
        }
        self.print(&[id], true, medium)
            .first()
            .copied()
            .ok_or_else(|| TicketError::Unknown(code.to_string()))
    }

    /// Cancels one valid ticket (state CANCELLED) with `cause`; it is exported again, invalid.
    pub fn cancel(&mut self, code: &str, cause: &str) -> Result<&TicketRecord, TicketError> {
        let idx = self
            .index_of(code)
            .ok_or_else(|| TicketError::Unknown(code.to_string()))?;
        let t = &mut self.tickets[idx];
        if !t.is_valid() {
            return Err(not_valid(t));
        }
        t.state = TicketState::Cancelled;
        t.cancellation_cause = Some(cause.to_string());
        self.touch(idx);
        Ok(&self.tickets[idx])
    }

    /// Cancels every valid ticket of an order (refund, cancellation).
    pub fn cancel_order(&mut self, order_id: i64, cause: &str) -> usize {
        let idxs: Vec<usize> = self
            .by_order
            .get(&order_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|i| self.tickets[*i].is_valid())
            .collect();
        for i in &idxs {
            self.tickets[*i].state = TicketState::Cancelled;
            self.tickets[*i].cancellation_cause = Some(cause.to_string());
            self.touch(*i);
        }
        idxs.len()
    }

    /// Tickets changed after `after_seq`, oldest change first: each ticket once, at its latest
    /// change. Lazy: taking a page of k costs O(k + log n).
    pub fn changed_after(&self, after_seq: u64) -> impl Iterator<Item = &TicketRecord> {
        self.by_seq
            .range((Bound::Excluded(after_seq), Bound::Unbounded))
            .map(|(_, i)| &self.tickets[*i])
    }

    /// The ticket that holds the seat now after one or more reprints of `old`, if valid.
    pub fn replacement_of(&self, old: &TicketRecord) -> Option<&TicketRecord> {
        let mut current = self.by_id(old.replaced_by?)?;
        // a chain of reprints ends at the ticket that was not reprinted (again)
        while let Some(next) = current.replaced_by.and_then(|id| self.by_id(id)) {
            current = next;
        }
        current.is_valid().then_some(current)
    }

    /// Records a gate scan; returns the operation type recorded and whether it was a duplicate.
    pub fn control(
        &mut self,
        code: &str,
        when: DateTime<FixedOffset>,
        result: ControlResult,
    ) -> Option<(ControlOperationType, bool)> {
        let idx = self.index_of(code)?;
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
}

fn not_valid(t: &TicketRecord) -> TicketError {
    TicketError::NotValid {
        barcode: t.barcode.clone(),
        state: t.state,
        cause: t.cancellation_cause.clone().unwrap_or_default(),
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
            holder: TicketHolder::default(),
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

    #[test]
    fn lookups_by_id_tax_number_and_order() {
        let mut s = TicketStore::new(3);
        let a = s.issue(sample(1, 1));
        let b = s.issue(sample(2, 1));
        let c = s.issue(sample(1, 2));
        let tb = s.by_id(b).unwrap().clone();
        assert_eq!(s.get(&tb.tax_number).unwrap().ticket_id, b);
        assert_eq!(s.get(&tb.barcode).unwrap().ticket_id, b);
        assert!(s.by_barcode(&tb.tax_number).is_none(), "barcodes only");
        assert!(s.by_id(a - 1).is_none());
        assert!(s.by_id(c + 1).is_none());
        let of_1: Vec<i64> = s.of_order(1).map(|t| t.ticket_id).collect();
        assert_eq!(of_1, vec![a, c]);
        assert_eq!(s.of_order(9).count(), 0);
        assert_eq!(s.len(), 3);
    }

    fn seq_order(s: &TicketStore, after: u64) -> Vec<i64> {
        s.changed_after(after).map(|t| t.ticket_id).collect()
    }

    #[test]
    fn changed_after_follows_the_latest_change_once() {
        let mut s = TicketStore::new(1);
        let ids: Vec<i64> = (0..5).map(|m| s.issue(sample(1, m))).collect();
        assert_eq!(seq_order(&s, 0), ids);
        let cursor = s.by_id(ids[4]).unwrap().change_seq;
        assert!(seq_order(&s, cursor).is_empty());
        s.print(&[ids[1]], false, TicketMedium::ETicket);
        let code = s.by_id(ids[3]).unwrap().barcode.clone();
        let cancelled = s.cancel(&code, "STOLEN").unwrap();
        assert_eq!(cancelled.state, TicketState::Cancelled);
        assert_eq!(seq_order(&s, cursor), vec![ids[1], ids[3]]);
        assert_eq!(
            seq_order(&s, 0),
            vec![ids[0], ids[2], ids[4], ids[1], ids[3]]
        );
        // a cursor from outside (u64::MAX) is simply past the end
        assert!(seq_order(&s, u64::MAX).is_empty());
        // cancelled once, refused afterwards
        assert!(matches!(
            s.cancel(&code, "CANCELLED"),
            Err(TicketError::NotValid { .. })
        ));
        assert!(matches!(
            s.cancel("nope", "CANCELLED"),
            Err(TicketError::Unknown(_))
        ));
    }

    #[test]
    fn reprints_put_the_old_barcodes_right_after_the_new_one() {
        let mut s = TicketStore::new(1);
        let first = s.issue(sample(1, 1));
        let other = s.issue(sample(1, 2));
        let code = s.by_id(first).unwrap().barcode.clone();
        // never printed: reprint prints it, then replaces it
        let second = s.reprint(&code).unwrap();
        s.print(&[other], false, TicketMedium::ETicket);
        let third = s
            .reprint(&s.by_id(second).unwrap().barcode.clone())
            .unwrap();
        assert_eq!(seq_order(&s, 0), vec![other, third, second, first]);
        let old = s.by_id(first).unwrap();
        assert!(old.is_reprinted());
        assert_eq!(s.replacement_of(old).unwrap().ticket_id, third);
        assert_eq!(s.by_id(third).unwrap().replaces, Some(second));
        assert_eq!(s.by_id(second).unwrap().replaced_by, Some(third));
        assert!(matches!(
            s.reprint(&code),
            Err(TicketError::NotValid { .. })
        ));
    }

    #[test]
    fn holder_name_values_keep_the_known_parts_in_order() {
        let h = TicketHolder {
            first_name: Some("Alice".into()),
            last_name: Some(" ".into()),
            id_number: None,
            birth_date: NaiveDate::from_ymd_opt(1990, 4, 3),
            country_code: Some("CH".into()),
        };
        let v: Vec<(String, String)> = h
            .name_values()
            .into_iter()
            .map(|n| (n.name, n.value))
            .collect();
        assert_eq!(
            v,
            vec![
                ("FIRSTNAME".into(), "Alice".into()),
                ("BIRTHDATE".into(), "1990-04-03".into()),
                ("COUNTRY_CODE".into(), "CH".into()),
            ]
        );
        assert!(TicketHolder::default().name_values().is_empty());
    }
}

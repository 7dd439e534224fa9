//! Best-available seat allocation (OUR DESIGN, see s360-contract.md §5 "Sandbox decisions").
//!
//! A group is never scattered: the whole group sits in one row on consecutive seat numbers;
//! when no row has room, a group of two or more may be split into two contiguous halves on two
//! neighbouring rows of the same block; otherwise the request is refused and the buyer is sent
//! to the seat map.

use std::collections::HashMap;

use s360::ids::SeatId;

use crate::seed::SeatDef;

/// How a group was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `n` adjacent seats in one row.
    OneRow(Vec<SeatId>),
    /// Two contiguous halves on neighbouring rows.
    TwoRows(Vec<SeatId>),
    /// Not enough seats left at all.
    NotEnough { free: usize },
    /// Enough seats, but not together.
    Scattered { free: usize },
}

struct Row<'a> {
    block: &'a str,
    row_index: i64,
    /// Seats sorted by number.
    seats: Vec<(i64, &'a SeatDef)>,
}

fn num(s: &str) -> i64 {
    s.parse().unwrap_or(i64::MAX / 4)
}

/// Rows of the candidate seats, front rows first (row number, then block order).
fn rows<'a>(candidates: &[&'a SeatDef]) -> Vec<Row<'a>> {
    let mut block_order: HashMap<&str, usize> = HashMap::new();
    let mut by_row: HashMap<(&str, &str), Vec<(i64, &SeatDef)>> = HashMap::new();
    for s in candidates {
        let n = block_order.len();
        block_order.entry(s.block_code.as_str()).or_insert(n);
        by_row
            .entry((s.block_code.as_str(), s.row.as_str()))
            .or_default()
            .push((num(&s.number), s));
    }
    let mut out: Vec<Row> = by_row
        .into_iter()
        .map(|((block, row), mut seats)| {
            seats.sort_by_key(|(n, _)| *n);
            Row {
                block,
                row_index: num(row),
                seats,
            }
        })
        .collect();
    out.sort_by_key(|r| (r.row_index, block_order.get(r.block).copied().unwrap_or(0)));
    out
}

/// The window of `n` consecutive free numbers closest to the middle of the row.
fn best_window(
    row_all: &[(i64, &SeatDef)],
    free: &dyn Fn(SeatId) -> bool,
    n: usize,
) -> Option<Vec<SeatId>> {
    if n == 0 || row_all.len() < n {
        return None;
    }
    let center = row_all.iter().map(|(x, _)| *x as f64).sum::<f64>() / row_all.len() as f64;
    let mut best: Option<(f64, usize)> = None;
    for start in 0..=row_all.len() - n {
        let w = &row_all[start..start + n];
        let consecutive = w.windows(2).all(|p| p[1].0 == p[0].0 + 1);
        if !consecutive || !w.iter().all(|(_, s)| free(s.id)) {
            continue;
        }
        let mid = (w[0].0 + w[n - 1].0) as f64 / 2.0;
        let d = (mid - center).abs();
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, start));
        }
    }
    best.map(|(_, start)| {
        row_all[start..start + n]
            .iter()
            .map(|(_, s)| s.id)
            .collect()
    })
}

/// Picks `n` seats of the candidates (one seat category of one venue) that `free` accepts.
pub fn best_available(
    candidates: &[&SeatDef],
    free: &dyn Fn(SeatId) -> bool,
    n: usize,
) -> Placement {
    let free_count = candidates.iter().filter(|s| free(s.id)).count();
    if free_count < n || n == 0 {
        return Placement::NotEnough { free: free_count };
    }
    let rows = rows(candidates);
    for r in &rows {
        if let Some(ids) = best_window(&r.seats, free, n) {
            return Placement::OneRow(ids);
        }
    }
    if n >= 2 {
        let a = n.div_ceil(2);
        let b = n - a;
        for r in &rows {
            let Some(next) = rows
                .iter()
                .find(|x| x.block == r.block && x.row_index == r.row_index + 1)
            else {
                continue;
            };
            if let (Some(mut first), Some(second)) = (
                best_window(&r.seats, free, a),
                best_window(&next.seats, free, b),
            ) {
                first.extend(second);
                return Placement::TwoRows(first);
            }
        }
    }
    Placement::Scattered { free: free_count }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s360::ids::AreaId;

    fn seat(id: i64, row: u32, n: u32) -> SeatDef {
        SeatDef {
            id: SeatId(id),
            area_id: AreaId(1),
            area_code: "A".into(),
            block_code: "A".into(),
            row: row.to_string(),
            number: n.to_string(),
            seat_category_code: "C".into(),
            x: n as i32,
            y: row as i32,
        }
    }

    fn hall() -> Vec<SeatDef> {
        let mut v = Vec::new();
        for r in 1..=3 {
            for n in 1..=6 {
                v.push(seat((r * 100 + n) as i64, r, n));
            }
        }
        v
    }

    #[test]
    fn keeps_groups_together_in_the_middle_of_the_front_row() {
        let h = hall();
        let c: Vec<&SeatDef> = h.iter().collect();
        let p = best_available(&c, &|_| true, 4);
        assert_eq!(
            p,
            Placement::OneRow(vec![SeatId(102), SeatId(103), SeatId(104), SeatId(105)])
        );
    }

    #[test]
    fn skips_rows_without_room_then_splits_then_refuses() {
        let h = hall();
        let c: Vec<&SeatDef> = h.iter().collect();
        // rows 1 and 2 have a hole in the middle; row 3 is free
        let taken = [103, 104, 203, 204];
        let p = best_available(&c, &|s| !taken.contains(&s.0), 4);
        assert_eq!(
            p,
            Placement::OneRow(vec![SeatId(302), SeatId(303), SeatId(304), SeatId(305)])
        );
        // only pairs left everywhere: split on two rows
        let taken = [103, 104, 203, 204, 303, 304];
        let p = best_available(&c, &|s| !taken.contains(&s.0), 4);
        assert!(
            matches!(p, Placement::TwoRows(ref v) if v.len() == 4),
            "{p:?}"
        );
        // single seats only: refuse rather than scatter
        let p = best_available(&c, &|s| s.0 % 2 == 0, 3);
        assert_eq!(p, Placement::Scattered { free: 9 });
        let p = best_available(&c, &|s| s.0 == 101, 2);
        assert_eq!(p, Placement::NotEnough { free: 1 });
    }
}

//! The decision for one scan, from the local list alone (no S-360 call on the way).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::config::GateConfig;
use crate::store::{Performance, Ticket};

/// What a steward is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Let in; `attention`: check the holder first (age, student card).
    Admitted { attention: bool },
    /// Entered before, at that time through that gate.
    AlreadyEntered { at: DateTime<Utc>, gate: String },
    /// Belongs to another entrance; `gates` are the codes of the gates that admit it.
    WrongEntrance {
        entrance: String,
        gates: Vec<String>,
    },
    /// Cancelled in S-360 (CANCELLED, TECHNICAL, STOLEN, REFUNDED).
    Cancelled { cause: String },
    /// Reprinted: only the newer print is valid.
    Invalidated,
    /// Not for now: another event, or outside its validity window.
    NotValidNow { why: NotValid },
    /// Not a barcode S-360 issued (or not for this venue's lists).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotValid {
    /// For a performance whose doors are not open (its name and start when known).
    OtherEvent {
        performance: String,
        name: Option<String>,
        start: Option<DateTime<FixedOffset>>,
    },
    Before {
        from: DateTime<FixedOffset>,
    },
    After {
        until: DateTime<FixedOffset>,
    },
}

impl Outcome {
    /// The word logged and reported (`scans.outcome`).
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Admitted { .. } => "admitted",
            Outcome::AlreadyEntered { .. } => "already_entered",
            Outcome::WrongEntrance { .. } => "wrong_entrance",
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::Invalidated => "invalidated",
            Outcome::NotValidNow { .. } => "not_valid_now",
            Outcome::Unknown => "unknown",
        }
    }

    pub fn admitted(&self) -> bool {
        matches!(self, Outcome::Admitted { .. })
    }

    /// green, amber (admitted, check the holder) or red.
    pub fn colour(&self) -> &'static str {
        match self {
            Outcome::Admitted { attention: false } => "green",
            Outcome::Admitted { attention: true } => "amber",
            _ => "red",
        }
    }

    /// What S-360 is told (`failureReason`), for a known, valid ticket; `None`: not reported
    /// (unknown barcodes are not S-360's; a blacklisted ticket's control would be refused).
    pub fn failure_reason(&self) -> Option<&'static str> {
        match self {
            Outcome::AlreadyEntered { .. } => Some("ALREADY_ENTERED"),
            Outcome::WrongEntrance { .. } => Some("WRONG_ENTRANCE"),
            Outcome::NotValidNow { .. } => Some("NOT_VALID_NOW"),
            _ => None,
        }
    }

    pub fn reported(&self) -> bool {
        self.admitted() || self.failure_reason().is_some()
    }
}

/// What the decision needs besides the ticket.
pub struct Context<'a> {
    pub config: &'a GateConfig,
    /// The gate scanning.
    pub gate: &'a str,
    pub now: DateTime<Utc>,
    /// Performances whose doors are open now.
    pub open: &'a [Performance],
    /// All known performances (to name another event).
    pub known: &'a [Performance],
}

/// The rules, in order: invalid in S-360, not valid now, already entered, wrong entrance,
/// admitted (with attention for the marked tariffs). `admission` is the ticket's earlier
/// admission (time, gate), if any.
pub fn decide(
    ticket: &Ticket,
    admission: Option<(DateTime<Utc>, String)>,
    cx: &Context<'_>,
) -> Outcome {
    if !ticket.valid {
        return match ticket.cancellation_cause.as_deref() {
            Some("REPRINTED") => Outcome::Invalidated,
            cause => Outcome::Cancelled {
                cause: cause.unwrap_or("CANCELLED").to_string(),
            },
        };
    }
    if let Some(perf) = &ticket.performance_code {
        if !cx.open.iter().any(|p| &p.code == perf) {
            let known = cx.known.iter().find(|p| &p.code == perf);
            return Outcome::NotValidNow {
                why: NotValid::OtherEvent {
                    performance: perf.clone(),
                    name: known.map(|p| p.name.clone()),
                    start: known.map(|p| p.start),
                },
            };
        }
    }
    if let Some(from) = ticket.validity_start {
        if cx.now < from {
            return Outcome::NotValidNow {
                why: NotValid::Before { from },
            };
        }
    }
    if let Some(until) = ticket.validity_end {
        if cx.now > until {
            return Outcome::NotValidNow {
                why: NotValid::After { until },
            };
        }
    }
    if let Some((at, gate)) = admission {
        return Outcome::AlreadyEntered { at, gate };
    }
    if let (Some(entrance), Some(gate)) = (&ticket.entrance_code, cx.config.gate(cx.gate)) {
        if !gate.entrances.is_empty() && !gate.entrances.contains(entrance) {
            return Outcome::WrongEntrance {
                entrance: entrance.clone(),
                gates: cx
                    .config
                    .gates_for(entrance)
                    .iter()
                    .map(|g| g.code.clone())
                    .collect(),
            };
        }
    }
    Outcome::Admitted {
        attention: cx.config.attention_tariffs.contains(&ticket.tariff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{GateDef, ListScope};
    use crate::store::Holder;
    use chrono::TimeZone;

    fn config() -> GateConfig {
        GateConfig {
            lists: vec![ListScope {
                season: "PLAY26".into(),
                products: vec![],
            }],
            gates: vec![
                GateDef {
                    code: "A".into(),
                    name: "Gate A".into(),
                    entrances: vec!["GATE_A".into()],
                },
                GateDef {
                    code: "C".into(),
                    name: "Gate C".into(),
                    entrances: vec!["GATE_C".into()],
                },
                GateDef {
                    code: "ALL".into(),
                    name: "Staff gate".into(),
                    entrances: vec![],
                },
            ],
            attention_tariffs: vec!["CHILD".into()],
            stewards: vec![],
        }
    }

    fn perf(code: &str) -> Performance {
        Performance {
            code: code.into(),
            season_code: "PLAY26".into(),
            product_code: "MATCH01".into(),
            name: "Play FC – Lakeside".into(),
            start: FixedOffset::east_opt(3600)
                .unwrap()
                .with_ymd_and_hms(2026, 12, 5, 18, 30, 0)
                .unwrap(),
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            barcode: "1000000011234567890".into(),
            tax_number: "T-000001".into(),
            valid: true,
            cancellation_cause: None,
            season_code: "PLAY26".into(),
            product_code: "MATCH01".into(),
            performance_code: Some("M01".into()),
            tariff: "ADULT".into(),
            seat_category: None,
            entrance_code: Some("GATE_A".into()),
            area_code: None,
            block_code: None,
            row_number: None,
            seat_number: None,
            validity_start: None,
            validity_end: None,
            holder: Holder::default(),
            last_update: Utc::now(),
        }
    }

    fn run(t: &Ticket, gate: &str, admission: Option<(DateTime<Utc>, String)>) -> Outcome {
        let c = config();
        let open = [perf("M01")];
        let known = [perf("M01"), perf("M02")];
        decide(
            t,
            admission,
            &Context {
                config: &c,
                gate,
                now: Utc.with_ymd_and_hms(2026, 12, 5, 17, 0, 0).unwrap(),
                open: &open,
                known: &known,
            },
        )
    }

    #[test]
    fn the_rules_in_order() {
        let t = ticket();
        assert_eq!(run(&t, "A", None), Outcome::Admitted { attention: false });
        assert_eq!(run(&t, "ALL", None), Outcome::Admitted { attention: false });
        assert_eq!(
            run(&t, "C", None),
            Outcome::WrongEntrance {
                entrance: "GATE_A".into(),
                gates: vec!["A".into()]
            }
        );
        let at = Utc::now();
        assert_eq!(
            run(&t, "C", Some((at, "A".into()))),
            Outcome::AlreadyEntered {
                at,
                gate: "A".into()
            }
        );
        let child = Ticket {
            tariff: "CHILD".into(),
            ..ticket()
        };
        assert_eq!(
            run(&child, "A", None),
            Outcome::Admitted { attention: true }
        );
        assert_eq!(run(&child, "A", None).colour(), "amber");
        let cancelled = Ticket {
            valid: false,
            cancellation_cause: Some("STOLEN".into()),
            ..ticket()
        };
        assert_eq!(
            run(&cancelled, "A", Some((at, "A".into()))),
            Outcome::Cancelled {
                cause: "STOLEN".into()
            }
        );
        let reprinted = Ticket {
            valid: false,
            cancellation_cause: Some("REPRINTED".into()),
            ..ticket()
        };
        assert_eq!(run(&reprinted, "A", None), Outcome::Invalidated);
        let other = Ticket {
            performance_code: Some("M02".into()),
            ..ticket()
        };
        match run(&other, "A", None) {
            Outcome::NotValidNow {
                why:
                    NotValid::OtherEvent {
                        performance, name, ..
                    },
            } => {
                assert_eq!(performance, "M02");
                assert_eq!(name.as_deref(), Some("Play FC – Lakeside"));
            }
            o => panic!("{o:?}"),
        }
        let early = Ticket {
            performance_code: None,
            validity_start: Some(perf("M01").start),
            ..ticket()
        };
        assert!(matches!(
            run(&early, "A", None),
            Outcome::NotValidNow {
                why: NotValid::Before { .. }
            }
        ));
    }

    #[test]
    fn what_is_reported() {
        assert!(Outcome::Admitted { attention: true }.reported());
        assert!(!Outcome::Unknown.reported());
        assert!(!Outcome::Invalidated.reported());
        assert!(!Outcome::Cancelled {
            cause: "STOLEN".into()
        }
        .reported());
        assert_eq!(
            Outcome::WrongEntrance {
                entrance: "X".into(),
                gates: vec![]
            }
            .failure_reason(),
            Some("WRONG_ENTRANCE")
        );
    }
}

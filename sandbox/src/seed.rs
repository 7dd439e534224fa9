//! The demo institutions: MOSA (museum), CUBE (theatre), PLAY (football club).
//!
//! Everything is generated relative to the sandbox's start date so that the demo always sells
//! future dates. Ids are stable across restarts (they depend on the seed layout, not on time).
//!
//! ## Reseller sales channels (seed 000, OUR DESIGN)
//!
//! Besides its web point of sale (operator `{CODE}_WEB`), every institution has a reseller's
//! dedicated sales channel ([`ChannelSeed`]): its own virtual operator `{CODE}_RESELL` (the
//! same secret as the institution's other operators), its own point of sale (`posCode`
//! `{CODE}_RESELL`, `posType`/`salesChannelCode` `RESELLER`, the web POS's limits, no booking
//! fee, the product families of its selection, and one payment method: the institution's
//! PENDING_ACCOUNT method, same id) and a *selection* of the institution's products. Its
//! catalog is the institution's catalog filtered to the selection (topics left empty go too).
//! Stock, orders, contacts and tickets are the institution's: the channel sells the same seats.
//!
//! | institution | channel operator | selection (product codes) | left out |
//! |---|---|---|---|
//! | MOSA | `MOSA_RESELL` | `VISIT` (visit pass with time slots), `YEARPASS` (open pass) | `AUDIO` (audio guide, a service) |
//! | CUBE | `CUBE_RESELL` | `NUTCRACKER`, `TRAVIATA` (event performances) | `HAMLET` (event), `SUBS4` (subscription) |
//! | PLAY | `PLAY_RESELL` | `MATCH01`…`MATCH10` (matches), `SEASON` (season ticket) | nothing: every match is part of the season ticket, whose page needs each match's availability |

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use s360::ids::*;
use s360::model::catalog::*;
use s360::money::{Amount, Currency};
use s360::text::Translations;

/// One seat of a venue (OUR DESIGN, used by the seat map and allocation).
#[derive(Debug, Clone)]
pub struct SeatDef {
    pub id: SeatId,
    pub area_id: AreaId,
    pub area_code: String,
    pub block_code: String,
    pub row: String,
    pub number: String,
    pub seat_category_code: String,
    pub x: i32,
    pub y: i32,
}

/// Capacity of a non-numbered (standing) area per performance.
#[derive(Debug, Clone)]
pub struct StandingArea {
    pub area_id: AreaId,
    pub seat_category_code: String,
    pub capacity: u32,
}

/// A venue: its topology, seats and standing areas.
#[derive(Debug, Clone)]
pub struct Venue {
    pub config: PhysicalConfiguration,
    pub seats: Vec<SeatDef>,
    pub standing: Vec<StandingArea>,
}

/// A virtual operator bound to an institution and a point of sale.
#[derive(Debug, Clone)]
pub struct Operator {
    pub code: String,
    pub secret: String,
}

/// Everything the sandbox knows about one institution at start.
#[derive(Debug, Clone)]
pub struct InstitutionSeed {
    pub code: String,
    pub operators: Vec<Operator>,
    pub pos: PosConfigData,
    pub catalog: CatalogData,
    pub venues: Vec<Venue>,
    /// Capacity per item (open passes, services) when limited.
    pub item_quotas: Vec<(ProductId, u32)>,
    /// Whether the access-control lists carry the ticket holders' data (`holderData`:
    /// FIRSTNAME, LASTNAME, ID_NUMBER, BIRTHDATE, COUNTRY_CODE; the institution decides,
    /// seed 002). Seeded: PLAY sends them, MOSA and CUBE do not.
    pub access_control_holder_data: bool,
    /// The resellers' dedicated sales channels (see the module doc).
    pub channels: Vec<ChannelSeed>,
}

/// A reseller's dedicated sales channel at an institution (seed 000, OUR DESIGN): its virtual
/// operator, its point of sale and the products it may sell.
#[derive(Debug, Clone)]
pub struct ChannelSeed {
    /// The channel's virtual operator (`CUBE_RESELL`); it must be one of the institution's
    /// operators.
    pub operator: String,
    /// What the back office calls the channel ("Reseller channel").
    pub name: String,
    pub pos: PosConfigData,
    /// The products on sale on the channel, in catalog order.
    pub selection: Vec<ProductId>,
}

/// The operator suffix of the resellers' channels: `{CODE}_RESELL`.
pub const RESELLER_SUFFIX: &str = "_RESELL";

/// `catalog` reduced to the products of `selection` (their seasons, tariffs and venues stay;
/// topics no selected product uses go).
pub fn selected(catalog: &CatalogData, selection: &[ProductId]) -> CatalogData {
    let mut out = catalog.clone();
    for season in &mut out.seasons {
        season.products.retain(|p| selection.contains(&p.id));
        let used: Vec<TopicId> = season
            .products
            .iter()
            .flat_map(|p| p.topic_ids.iter().copied())
            .collect();
        season.topics.retain(|t| used.contains(&t.id));
    }
    out
}

/// The reseller's channel of an institution: a point of sale cloned from the web one (same
/// organisation, currency, languages, limits) with new ids allocated from `ids` (after every
/// other id of the seed, so that adding the channel moved none), no charge, the product
/// families of the selection and the institution's PENDING_ACCOUNT payment method only.
fn reseller_channel(
    ids: &mut Ids,
    web: &PosConfigData,
    catalog: &CatalogData,
    codes: &[&str],
) -> ChannelSeed {
    let operator = format!("{}{RESELLER_SUFFIX}", web.instit_code);
    let selection: Vec<ProductId> = catalog
        .products()
        .filter(|p| codes.contains(&p.code.as_str()))
        .map(|p| p.id)
        .collect();
    assert_eq!(selection.len(), codes.len(), "every selected code exists");
    let families: Vec<ProductFamilyType> = catalog
        .products()
        .filter(|p| selection.contains(&p.id))
        .map(|p| p.product_family_type)
        .collect();
    let pending = web
        .payment_methods
        .iter()
        .find(|m| m.payment_type == "PENDING_ACCOUNT")
        .cloned()
        .map(|m| PaymentMethod { rank: 1, ..m })
        .expect("the web POS defines the PENDING_ACCOUNT method");
    let pos = PosConfigData {
        pos_id: PosId(ids.next()),
        pos_code: operator.clone(),
        pos_type: "RESELLER".into(),
        sales_channel_id: SalesChannelId(ids.next()),
        sales_channel_code: "RESELLER".into(),
        virtual_operator_name: operator.clone(),
        guest_login_available: false,
        contact_account_creation_allowed: false,
        charges: vec![],
        product_families: web
            .product_families
            .iter()
            .filter(|f| families.contains(&f.product_family_type))
            .cloned()
            .collect(),
        payment_methods: vec![pending],
        ..web.clone()
    };
    ChannelSeed {
        operator,
        name: "Reseller channel".into(),
        pos,
        selection,
    }
}

fn t(en: &str, fr: &str, de: &str) -> Translations {
    Translations::of(&[("en", en), ("fr", fr), ("de", de)])
}

/// Central European winter offset. The sandbox does not model DST transitions (OUR DESIGN):
/// `organizationTimeZone` still names the real zone.
fn offset() -> FixedOffset {
    FixedOffset::east_opt(3600).expect("valid offset")
}

fn at(day: DateTime<FixedOffset>, h: u32, m: u32) -> DateTime<FixedOffset> {
    let date = day.date_naive();
    let naive = date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("valid time"));
    offset()
        .from_local_datetime(&naive)
        .single()
        .expect("fixed offsets are unambiguous")
}

fn today() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&offset())
}

struct Ids(i64);
impl Ids {
    fn next(&mut self) -> i64 {
        self.0 += 1;
        self.0
    }
}

fn season(ids: &mut Ids, code: &str, name: Translations) -> Season {
    let now = today();
    Season {
        id: SeasonId(ids.next()),
        code: code.into(),
        state: EntityState::Running,
        start: at(now - Duration::days(30), 0, 0),
        end: at(now + Duration::days(365), 23, 59),
        external_name: name,
        products: vec![],
        audience_categories: vec![],
        price_levels: vec![],
        topics: vec![],
    }
}

struct Tariffs {
    full: AudienceSubCategoryId,
    reduced: AudienceSubCategoryId,
    child: AudienceSubCategoryId,
}

fn tariffs(ids: &mut Ids, season: &mut Season) -> Tariffs {
    let full = AudienceSubCategoryId(ids.next());
    let reduced = AudienceSubCategoryId(ids.next());
    let child = AudienceSubCategoryId(ids.next());
    let sub = |id, code: &str, name, kind, req: Vec<AudienceSubCategoryId>| AudienceSubCategory {
        id,
        code: code.into(),
        external_name: name,
        audience_category_kind: kind,
        required_audience_sub_category_ids: req,
        cross_seat_category: false,
    };
    season.audience_categories = vec![
        AudienceCategory {
            id: AudienceCategoryId(ids.next()),
            code: "FULL".into(),
            external_name: t("Full price", "Plein tarif", "Vollpreis"),
            audience_sub_categories: vec![sub(
                full,
                "ADULT",
                t("Adult", "Adulte", "Erwachsene"),
                AudienceCategoryKind::Full,
                vec![],
            )],
        },
        AudienceCategory {
            id: AudienceCategoryId(ids.next()),
            code: "REDUCED".into(),
            external_name: t("Reduced", "Réduit", "Ermässigt"),
            audience_sub_categories: vec![
                sub(
                    reduced,
                    "REDUCED",
                    t(
                        "Student / senior",
                        "Étudiant / senior",
                        "Studierende / Senioren",
                    ),
                    AudienceCategoryKind::Reduced,
                    vec![],
                ),
                sub(
                    child,
                    "CHILD",
                    t(
                        "Child (under 16)",
                        "Enfant (moins de 16 ans)",
                        "Kind (unter 16)",
                    ),
                    AudienceCategoryKind::Reduced,
                    vec![full],
                ),
            ],
        },
    ];
    season.price_levels = vec![PriceLevel {
        id: PriceLevelId(ids.next()),
        code: "OCC".into(),
        main_category: "OCCASIONAL".into(),
    }];
    Tariffs {
        full,
        reduced,
        child,
    }
}

#[allow(clippy::too_many_arguments)]
fn pos_config(
    ids: &mut Ids,
    instit: &str,
    org_name: Translations,
    currency: Currency,
    address: PlaceAddressData,
    abandon_delay: i64,
    max_seats: u32,
    families: &[(ProductFamilyType, Translations)],
) -> PosConfigData {
    PosConfigData {
        pos_id: PosId(ids.next()),
        pos_code: format!("{instit}_WEB"),
        pos_type: "INTERNET".into(),
        sales_channel_id: SalesChannelId(ids.next()),
        sales_channel_code: "INTERNET".into(),
        instit_code: instit.into(),
        organization_id: OrganizationId(ids.next()),
        organization_code: instit.into(),
        organization_name: org_name,
        organization_time_zone: "Europe/Zurich".into(),
        currency_code: currency.currency_code.clone(),
        currency_symbol: currency.symbol.clone(),
        institution_currency: currency,
        main_language: "en".into(),
        language_list: vec!["en".into(), "fr".into(), "de".into()],
        net_prices: false,
        order_abandon_delay: abandon_delay,
        max_seats_per_performance: max_seats,
        max_auto_suggested_seats_trials: 3,
        seat_selection_mode: "BEST_AVAILABLE_AND_MAP".into(),
        guest_login_available: true,
        contact_account_creation_allowed: true,
        test_institution: true,
        virtual_operator_name: format!("{instit}_WEB"),
        place_address_data: Some(address),
        countries: vec![
            Country {
                code: "CH".into(),
                name: "Switzerland".into(),
                international_phone_prefix: "+41".into(),
                currency_code: "CHF".into(),
            },
            Country {
                code: "FR".into(),
                name: "France".into(),
                international_phone_prefix: "+33".into(),
                currency_code: "EUR".into(),
            },
            Country {
                code: "DE".into(),
                name: "Germany".into(),
                international_phone_prefix: "+49".into(),
                currency_code: "EUR".into(),
            },
        ],
        charges: vec![Charge {
            id: ids.next(),
            code: "BOOKING_FEE".into(),
            external_name: t("Booking fee", "Frais de réservation", "Buchungsgebühr"),
            charge_type: "ORDER".into(),
            amount: Amount::from_units(2),
            modifiable: false,
        }],
        product_families: families
            .iter()
            .map(|(ty, name)| ProductFamily {
                id: ProductFamilyId(ids.next()),
                external_name: name.clone(),
                product_family_type: *ty,
                product_family_sub_type: None,
                contact_required: matches!(ty, ProductFamilyType::Seasonticket),
                default_quantity: 1,
            })
            .collect(),
        payment_methods: vec![
            PaymentMethod {
                id: PaymentMethodId(ids.next()),
                code: "SPAY_CARD".into(),
                external_name: t(
                    "Credit or debit card",
                    "Carte de crédit ou de débit",
                    "Kredit- oder Debitkarte",
                ),
                external_description: t(
                    "Visa, Mastercard, American Express through S-PAY",
                    "Visa, Mastercard, American Express via S-PAY",
                    "Visa, Mastercard, American Express über S-PAY",
                ),
                payment_type: "CREDIT_CARD".into(),
                rank: 1,
                for_payment: true,
            },
            PaymentMethod {
                id: PaymentMethodId(ids.next()),
                code: "PENDING_ACCOUNT".into(),
                external_name: t("Pending account", "Compte en attente", "Offenes Konto"),
                external_description: Translations::default(),
                payment_type: "PENDING_ACCOUNT".into(),
                rank: 9,
                for_payment: true,
            },
        ],
    }
}

fn price_grid(
    cats: &[(SeatCategoryId, i64)],
    tar: &Tariffs,
    reduced_pct: i64,
    child_pct: i64,
) -> Vec<Price> {
    cats.iter()
        .flat_map(|(cat, full)| {
            let full = *full;
            [
                (tar.full, full),
                (tar.reduced, full * reduced_pct / 100),
                (tar.child, full * child_pct / 100),
            ]
            .into_iter()
            .map(move |(aud, units_x1000)| Price {
                seat_cat_id: *cat,
                aud_sub_cat_id: aud,
                price_level_id: None,
                amount: Amount(units_x1000),
            })
        })
        .collect()
}

fn topic(ids: &mut Ids, code: &str, name: Translations) -> Topic {
    Topic {
        id: TopicId(ids.next()),
        code: code.into(),
        external_name: name,
    }
}

/// MOSA, the museum: a visit pass with time slots every 30 minutes for 60 days, a yearly
/// museum pass (open pass) and an audio guide (service).
pub fn mosa() -> InstitutionSeed {
    let ids = &mut Ids(10_228_231_100_000);
    let mut s = season(
        ids,
        "MOSA26",
        t("2026/27 season", "Saison 2026/27", "Saison 2026/27"),
    );
    let tar = tariffs(ids, &mut s);
    let exhibitions = topic(
        ids,
        "EXHIBITIONS",
        t("Exhibitions", "Expositions", "Ausstellungen"),
    );
    let passes = topic(ids, "PASSES", t("Passes", "Abonnements", "Pässe"));
    let extras = topic(ids, "EXTRAS", t("Extras", "Compléments", "Extras"));

    let now = today();
    let mut timeslots = Vec::new();
    for day in 0..60 {
        let d = now + Duration::days(day);
        // closed on Mondays, as museums are
        if d.weekday() == chrono::Weekday::Mon {
            continue;
        }
        for half_hours in 0..16 {
            let start = at(d, 10, 0) + Duration::minutes(30 * half_hours);
            timeslots.push(Timeslot {
                id: TimeslotId(ids.next()),
                start,
                duration: 30 * 60,
                quota: 40,
            });
        }
    }
    let visit_item = Item {
        item_id: ItemId(ids.next()),
        external_name: t(
            "Entry with time slot",
            "Entrée avec créneau",
            "Eintritt mit Zeitfenster",
        ),
        item_prices: vec![
            item_price(18_000, tar.full),
            item_price(12_000, tar.reduced),
            item_price(0, tar.child),
        ],
        timeslot_ids: timeslots.iter().map(|t| t.id).collect(),
    };
    let visit = Product {
        id: ProductId(ids.next()),
        code: "VISIT".into(),
        state: EntityState::Running,
        product_family_type: ProductFamilyType::Pass,
        vat_code_id: Some(VatCodeId(1)),
        external_name: t(
            "Permanent collection & Light and Matter exhibition",
            "Collection permanente et exposition Lumière et matière",
            "Sammlung und Ausstellung Licht und Materie",
        ),
        external_description: t(
            "Timed entry to the whole museum. Arrive within your 30-minute slot, then stay as long as you like.",
            "Entrée à heure fixe dans tout le musée. Arrivez pendant votre créneau de 30 minutes, puis restez aussi longtemps que vous le souhaitez.",
            "Eintritt mit Zeitfenster für das ganze Museum. Kommen Sie in Ihrem 30-Minuten-Fenster und bleiben Sie, so lange Sie möchten.",
        ),
        topic_ids: vec![exhibitions.id],
        medium_image_url: None,
        min_quantity: None,
        event: None,
        pass: Some(Pass {
            consecutive: false,
            date_mandatory: true,
            guided: true,
            items: vec![visit_item],
            timeslots,
            validity_days: None,
        }),
        items: vec![],
        package_line: None,
    };
    let yearly = Product {
        id: ProductId(ids.next()),
        code: "YEARPASS".into(),
        state: EntityState::Running,
        product_family_type: ProductFamilyType::Pass,
        vat_code_id: Some(VatCodeId(1)),
        external_name: t(
            "Museum pass (one year)",
            "Pass musée (un an)",
            "Museumspass (ein Jahr)",
        ),
        external_description: t(
            "Unlimited entries for 365 days from purchase, without booking a slot.",
            "Entrées illimitées pendant 365 jours après l'achat, sans réserver de créneau.",
            "Unbegrenzter Eintritt während 365 Tagen ab Kauf, ohne Zeitfenster.",
        ),
        topic_ids: vec![passes.id],
        medium_image_url: None,
        min_quantity: None,
        event: None,
        pass: Some(Pass {
            consecutive: false,
            date_mandatory: false,
            guided: false,
            items: vec![Item {
                item_id: ItemId(ids.next()),
                external_name: t("Yearly pass", "Pass annuel", "Jahrespass"),
                item_prices: vec![
                    item_price(90_000, tar.full),
                    item_price(60_000, tar.reduced),
                ],
                timeslot_ids: vec![],
            }],
            timeslots: vec![],
            validity_days: Some(365),
        }),
        items: vec![],
        package_line: None,
    };
    let audio_item = ItemId(ids.next());
    let audio = Product {
        id: ProductId(ids.next()),
        code: "AUDIO".into(),
        state: EntityState::Running,
        product_family_type: ProductFamilyType::Service,
        vat_code_id: Some(VatCodeId(1)),
        external_name: t("Audio guide", "Audioguide", "Audioguide"),
        external_description: t(
            "A 90-minute audio tour in English, French or German, picked up at the entrance.",
            "Une visite audio de 90 minutes en français, anglais ou allemand, à retirer à l'entrée.",
            "Ein 90-minütiger Audiorundgang auf Deutsch, Englisch oder Französisch, am Eingang abzuholen.",
        ),
        topic_ids: vec![extras.id],
        medium_image_url: None,
        min_quantity: None,
        event: None,
        pass: None,
        items: vec![Item {
            item_id: audio_item,
            external_name: t("Audio guide", "Audioguide", "Audioguide"),
            item_prices: vec![item_price(6_000, tar.full)],
            timeslot_ids: vec![],
        }],
        package_line: None,
    };
    let audio_id = audio.id;
    s.products = vec![visit, yearly, audio];
    s.topics = vec![exhibitions, passes, extras];
    let pos = pos_config(
        ids,
        "MOSA",
        t(
            "Museum of Science and Art",
            "Musée des sciences et des arts",
            "Museum für Wissenschaft und Kunst",
        ),
        Currency::chf(),
        PlaceAddressData {
            country_code: "CH".into(),
            first_address_line: "Quai des Arts 1".into(),
            zip_code: "1204".into(),
            locality: "Genève".into(),
            email: "visit@mosa.example".into(),
            website: "https://mosa.example".into(),
        },
        15 * 60,
        20,
        &[
            (
                ProductFamilyType::Pass,
                t("Tickets and passes", "Billets et pass", "Tickets und Pässe"),
            ),
            (
                ProductFamilyType::Service,
                t("Extras", "Compléments", "Extras"),
            ),
        ],
    );
    let catalog = CatalogData {
        seasons: vec![s],
        physical_configurations: vec![],
    };
    let channel = reseller_channel(ids, &pos, &catalog, &["VISIT", "YEARPASS"]);
    InstitutionSeed {
        code: "MOSA".into(),
        operators: vec![operator("MOSA_WEB"), operator(&channel.operator)],
        pos,
        catalog,
        venues: vec![],
        item_quotas: vec![(audio_id, 200)],
        access_control_holder_data: false,
        channels: vec![channel],
    }
}

fn item_price(amount: i64, aud: AudienceSubCategoryId) -> ItemPrice {
    ItemPrice {
        amount: Amount(amount),
        aud_sub_cat_id: aud,
        price_level_id: None,
        min_qty: None,
        max_qty: None,
    }
}

fn operator(code: &str) -> Operator {
    Operator {
        code: code.into(),
        secret: "sandbox".into(),
    }
}

fn seat_cat(id: SeatCategoryId, code: &str, name: Translations, numbered: bool) -> SeatCategory {
    SeatCategory {
        id,
        code: code.into(),
        external_name: name,
        numbered,
    }
}

/// CUBE, the theatre: a hall with stalls (20 rows of 20) and a balcony (8 rows of 18), three
/// seat categories, three productions and a subscription over four performances.
pub fn cube() -> InstitutionSeed {
    let ids = &mut Ids(20_331_470_200_000);
    let mut s = season(
        ids,
        "CUBE26",
        t("2026/27 season", "Saison 2026/27", "Spielzeit 2026/27"),
    );
    let tar = tariffs(ids, &mut s);
    let opera = topic(ids, "OPERA", t("Opera", "Opéra", "Oper"));
    let drama = topic(ids, "DRAMA", t("Drama", "Théâtre", "Schauspiel"));
    let dance = topic(ids, "DANCE", t("Dance", "Danse", "Tanz"));
    let subs = topic(
        ids,
        "SUBSCRIPTIONS",
        t("Subscriptions", "Abonnements", "Abonnements"),
    );

    let cat1 = SeatCategoryId(ids.next());
    let cat2 = SeatCategoryId(ids.next());
    let cat3 = SeatCategoryId(ids.next());
    let cats = vec![
        seat_cat(
            cat1,
            "CAT1",
            t("Stalls, front", "Parterre, avant", "Parkett, vorne"),
            true,
        ),
        seat_cat(
            cat2,
            "CAT2",
            t("Stalls, rear", "Parterre, arrière", "Parkett, hinten"),
            true,
        ),
        seat_cat(cat3, "CAT3", t("Balcony", "Balcon", "Balkon"), true),
    ];
    let space_id = ids.next();
    let stalls = AreaId(ids.next());
    let balcony = AreaId(ids.next());
    let mut seats = Vec::new();
    for row in 1..=20 {
        for n in 1..=20 {
            seats.push(SeatDef {
                id: SeatId(ids.next()),
                area_id: stalls,
                area_code: "STALLS".into(),
                block_code: "STALLS".into(),
                row: row.to_string(),
                number: n.to_string(),
                seat_category_code: if row <= 8 { "CAT1" } else { "CAT2" }.into(),
                x: 40 + n * 24 + if n > 10 { 24 } else { 0 },
                y: 80 + row * 22,
            });
        }
    }
    for row in 1..=8 {
        for n in 1..=18 {
            seats.push(SeatDef {
                id: SeatId(ids.next()),
                area_id: balcony,
                area_code: "BALCONY".into(),
                block_code: "BALCONY".into(),
                row: row.to_string(),
                number: n.to_string(),
                seat_category_code: "CAT3".into(),
                x: 64 + n * 24 + if n > 9 { 24 } else { 0 },
                y: 580 + row * 22,
            });
        }
    }
    let venue = Venue {
        config: PhysicalConfiguration {
            site_id: ids.next(),
            site_code: "CUBE".into(),
            site_external_name: t("Cube Theatre", "Théâtre du Cube", "Cube Theater"),
            space_id,
            space_code: "MAIN".into(),
            space_type: "HALL".into(),
            space_external_name: t("Main hall", "Grande salle", "Grosser Saal"),
            areas: vec![
                Area {
                    id: stalls,
                    code: "STALLS".into(),
                    external_name: t("Stalls", "Parterre", "Parkett"),
                    entrance_code: Some("DOOR_A".into()),
                    numbered: true,
                },
                Area {
                    id: balcony,
                    code: "BALCONY".into(),
                    external_name: t("Balcony", "Balcon", "Balkon"),
                    entrance_code: Some("DOOR_B".into()),
                    numbered: true,
                },
            ],
            entrances: vec![
                Entrance {
                    code: "DOOR_A".into(),
                    external_name: t("Door A (stalls)", "Porte A (parterre)", "Tür A (Parkett)"),
                },
                Entrance {
                    code: "DOOR_B".into(),
                    external_name: t("Door B (balcony)", "Porte B (balcon)", "Tür B (Balkon)"),
                },
            ],
        },
        seats,
        standing: vec![],
    };
    let grid = |a, b, c| price_grid(&[(cat1, a), (cat2, b), (cat3, c)], &tar, 75, 50);
    let now = today();
    let mut production = |code: &str,
                          name: Translations,
                          desc: Translations,
                          topic: TopicId,
                          first_day: i64,
                          count: i64,
                          hour: u32,
                          minutes: i64,
                          prices: Vec<Price>| {
        let performances = (0..count)
            .map(|i| Performance {
                id: PerformanceId(ids.next()),
                code: format!("{code}{:02}", i + 1),
                state: EntityState::Running,
                start: at(now + Duration::days(first_day + i * 3), hour, 0),
                duration: minutes * 60,
                seat_categories: cats.clone(),
                prices: prices.clone(),
                space_id: Some(space_id),
            })
            .collect();
        Product {
            id: ProductId(ids.next()),
            code: code.into(),
            state: EntityState::Running,
            product_family_type: ProductFamilyType::SingleEntry,
            vat_code_id: Some(VatCodeId(2)),
            external_name: name,
            external_description: desc,
            topic_ids: vec![topic],
            medium_image_url: None,
            min_quantity: None,
            event: Some(Event { performances }),
            pass: None,
            items: vec![],
            package_line: None,
        }
    };
    let traviata = production(
        "TRAVIATA",
        t("La Traviata", "La Traviata", "La Traviata"),
        t(
            "Verdi's opera in three acts, sung in Italian with surtitles.",
            "L'opéra en trois actes de Verdi, chanté en italien et surtitré.",
            "Verdis Oper in drei Akten, italienisch gesungen mit Übertiteln.",
        ),
        opera.id,
        5,
        4,
        19,
        170,
        grid(95_000, 70_000, 45_000),
    );
    let hamlet = production(
        "HAMLET",
        t("Hamlet", "Hamlet", "Hamlet"),
        t(
            "Shakespeare's tragedy in a new staging.",
            "La tragédie de Shakespeare dans une nouvelle mise en scène.",
            "Shakespeares Tragödie in einer neuen Inszenierung.",
        ),
        drama.id,
        6,
        3,
        20,
        150,
        grid(60_000, 45_000, 30_000),
    );
    let nutcracker = production(
        "NUTCRACKER",
        t("The Nutcracker", "Casse-Noisette", "Der Nussknacker"),
        t(
            "Tchaikovsky's ballet for the whole family.",
            "Le ballet de Tchaïkovski pour toute la famille.",
            "Tschaikowskis Ballett für die ganze Familie.",
        ),
        dance.id,
        2,
        5,
        15,
        120,
        grid(70_000, 52_000, 35_000),
    );
    let subscription_perfs: Vec<PerformanceId> = [&traviata, &hamlet, &nutcracker]
        .iter()
        .filter_map(|p| p.event.as_ref()?.performances.first().map(|x| x.id))
        .chain(
            nutcracker
                .event
                .as_ref()
                .and_then(|e| e.performances.get(2).map(|p| p.id)),
        )
        .collect();
    let subscription = Product {
        id: ProductId(ids.next()),
        code: "SUBS4".into(),
        state: EntityState::Running,
        product_family_type: ProductFamilyType::Seasonticket,
        vat_code_id: Some(VatCodeId(2)),
        external_name: t("Discovery subscription (4 shows)", "Abonnement découverte (4 spectacles)", "Entdecker-Abo (4 Vorstellungen)"),
        external_description: t(
            "One opening night of each production plus a second Nutcracker, on the same seat, at 20% off.",
            "Une première de chaque production et un second Casse-Noisette, à la même place, avec 20 % de réduction.",
            "Je eine Premiere jeder Produktion und ein zweiter Nussknacker, auf demselben Platz, 20 % günstiger.",
        ),
        topic_ids: vec![subs.id],
        medium_image_url: None,
        min_quantity: None,
        event: None,
        pass: None,
        items: vec![],
        package_line: Some(PackageLine {
            performance_ids: subscription_perfs,
            prices: grid(256_000, 188_000, 120_000),
            seat_categories: cats.clone(),
        }),
    };
    s.products = vec![nutcracker, traviata, hamlet, subscription];
    s.topics = vec![opera, drama, dance, subs];
    let pos = pos_config(
        ids,
        "CUBE",
        t("Cube Theatre", "Théâtre du Cube", "Cube Theater"),
        Currency::eur(),
        PlaceAddressData {
            country_code: "FR".into(),
            first_address_line: "2 place du Théâtre".into(),
            zip_code: "74100".into(),
            locality: "Annemasse".into(),
            email: "box-office@cube.example".into(),
            website: "https://cube.example".into(),
        },
        20 * 60,
        10,
        &[
            (
                ProductFamilyType::SingleEntry,
                t("Performances", "Spectacles", "Vorstellungen"),
            ),
            (
                ProductFamilyType::Seasonticket,
                t("Subscriptions", "Abonnements", "Abonnements"),
            ),
        ],
    );
    let catalog = CatalogData {
        seasons: vec![s],
        physical_configurations: vec![venue.config.clone()],
    };
    let channel = reseller_channel(ids, &pos, &catalog, &["NUTCRACKER", "TRAVIATA"]);
    InstitutionSeed {
        code: "CUBE".into(),
        operators: vec![operator("CUBE_WEB"), operator(&channel.operator)],
        pos,
        catalog,
        venues: vec![venue],
        item_quotas: vec![],
        access_control_holder_data: false,
        channels: vec![channel],
    }
}

/// PLAY, the football club: a stadium of 8 numbered blocks (25 rows of 26 seats) and two
/// standing terraces of 1,500, ten home matches and a season ticket for all of them.
pub fn play() -> InstitutionSeed {
    let ids = &mut Ids(30_445_120_300_000);
    let mut s = season(
        ids,
        "PLAY26",
        t(
            "League season 2026/27",
            "Saison de championnat 2026/27",
            "Meisterschaft 2026/27",
        ),
    );
    let tar = tariffs(ids, &mut s);
    let league = topic(ids, "LEAGUE", t("League", "Championnat", "Meisterschaft"));
    let cup = topic(ids, "CUP", t("Cup", "Coupe", "Cup"));
    let season_topic = topic(
        ids,
        "SEASON",
        t("Season tickets", "Abonnements", "Saisonkarten"),
    );

    let main = SeatCategoryId(ids.next());
    let ends = SeatCategoryId(ids.next());
    let standing = SeatCategoryId(ids.next());
    let cats = vec![
        seat_cat(
            main,
            "MAIN",
            t("Main stand", "Tribune principale", "Haupttribüne"),
            true,
        ),
        seat_cat(
            ends,
            "ENDS",
            t("Behind the goals", "Derrière les buts", "Hintertor"),
            true,
        ),
        seat_cat(
            standing,
            "STANDING",
            t("Standing terrace", "Pelouse debout", "Stehplatz"),
            false,
        ),
    ];
    let space_id = ids.next();
    let mut areas = Vec::new();
    let mut seats = Vec::new();
    for b in 0..8 {
        let code = format!("B{}", b + 1);
        let area_id = AreaId(ids.next());
        let (cat, gate) = if b < 4 {
            ("MAIN", "GATE_A")
        } else {
            ("ENDS", "GATE_C")
        };
        areas.push(Area {
            id: area_id,
            code: code.clone(),
            external_name: t(
                &format!("Block {}", b + 1),
                &format!("Bloc {}", b + 1),
                &format!("Block {}", b + 1),
            ),
            entrance_code: Some(gate.into()),
            numbered: true,
        });
        for row in 1..=25 {
            for n in 1..=26 {
                seats.push(SeatDef {
                    id: SeatId(ids.next()),
                    area_id,
                    area_code: code.clone(),
                    block_code: code.clone(),
                    row: row.to_string(),
                    number: n.to_string(),
                    seat_category_code: cat.into(),
                    x: (b % 4) * 700 + n * 24,
                    y: (b / 4) * 700 + row * 22,
                });
            }
        }
    }
    let mut standing_areas = Vec::new();
    for (code, gate) in [("NORTH", "GATE_N"), ("SOUTH", "GATE_S")] {
        let area_id = AreaId(ids.next());
        areas.push(Area {
            id: area_id,
            code: code.into(),
            external_name: t(
                &format!(
                    "{} terrace",
                    if code == "NORTH" { "North" } else { "South" }
                ),
                &format!("Pelouse {}", if code == "NORTH" { "nord" } else { "sud" }),
                &format!("{}kurve", if code == "NORTH" { "Nord" } else { "Süd" }),
            ),
            entrance_code: Some(gate.into()),
            numbered: false,
        });
        standing_areas.push(StandingArea {
            area_id,
            seat_category_code: "STANDING".into(),
            capacity: 1500,
        });
    }
    let venue = Venue {
        config: PhysicalConfiguration {
            site_id: ids.next(),
            site_code: "STADIUM".into(),
            site_external_name: t("Play Stadium", "Stade Play", "Play Stadion"),
            space_id,
            space_code: "PITCH".into(),
            space_type: "STADIUM".into(),
            space_external_name: t("Play Stadium", "Stade Play", "Play Stadion"),
            areas,
            entrances: [
                (
                    "GATE_A",
                    "Gate A (main stand)",
                    "Porte A (tribune principale)",
                    "Tor A (Haupttribüne)",
                ),
                (
                    "GATE_C",
                    "Gate C (end stands)",
                    "Porte C (virages)",
                    "Tor C (Hintertortribünen)",
                ),
                (
                    "GATE_N",
                    "Gate N (north terrace)",
                    "Porte N (pelouse nord)",
                    "Tor N (Nordkurve)",
                ),
                (
                    "GATE_S",
                    "Gate S (south terrace)",
                    "Porte S (pelouse sud)",
                    "Tor S (Südkurve)",
                ),
            ]
            .into_iter()
            .map(|(code, en, fr, de)| Entrance {
                code: code.into(),
                external_name: t(en, fr, de),
            })
            .collect(),
        },
        seats,
        standing: standing_areas,
    };
    let prices = price_grid(
        &[(main, 60_000), (ends, 40_000), (standing, 25_000)],
        &tar,
        70,
        40,
    );
    let opponents = [
        "FC Lakeside",
        "Mountain Rovers",
        "City United",
        "Riverside Athletic",
        "Valley Sporting",
        "Harbour Town",
        "Old Borough",
        "Forest Wanderers",
        "Northern Stars",
        "Castle Albion",
    ];
    let now = today();
    let mut products = Vec::new();
    let mut match_perfs = Vec::new();
    for (i, opp) in opponents.iter().enumerate() {
        let perf = Performance {
            id: PerformanceId(ids.next()),
            code: format!("M{:02}", i + 1),
            state: EntityState::Running,
            start: at(now + Duration::days(4 + 14 * i as i64), 18, 0) + Duration::minutes(30),
            duration: 105 * 60,
            seat_categories: cats.clone(),
            prices: prices.clone(),
            space_id: Some(space_id),
        };
        match_perfs.push(perf.id);
        products.push(Product {
            id: ProductId(ids.next()),
            code: format!("MATCH{:02}", i + 1),
            state: EntityState::Running,
            product_family_type: ProductFamilyType::SingleEntry,
            vat_code_id: Some(VatCodeId(3)),
            external_name: t(&format!("Play FC – {opp}"), &format!("Play FC – {opp}"), &format!("Play FC – {opp}")),
            external_description: t(
                "League home match. Gates open 90 minutes before kick-off.",
                "Match de championnat à domicile. Ouverture des portes 90 minutes avant le coup d'envoi.",
                "Meisterschaftsheimspiel. Türöffnung 90 Minuten vor Anpfiff.",
            ),
            topic_ids: vec![if i == 4 { cup.id } else { league.id }],
            medium_image_url: None,
            min_quantity: None,
            event: Some(Event {
                performances: vec![perf],
            }),
            pass: None,
            items: vec![],
            package_line: None,
        });
    }
    products.push(Product {
        id: ProductId(ids.next()),
        code: "SEASON".into(),
        state: EntityState::Running,
        product_family_type: ProductFamilyType::Seasonticket,
        vat_code_id: Some(VatCodeId(3)),
        external_name: t(
            "Season ticket 2026/27",
            "Abonnement saison 2026/27",
            "Saisonkarte 2026/27",
        ),
        external_description: t(
            "All ten home matches on the same seat.",
            "Les dix matches à domicile, à la même place.",
            "Alle zehn Heimspiele auf demselben Platz.",
        ),
        topic_ids: vec![season_topic.id],
        medium_image_url: None,
        min_quantity: None,
        event: None,
        pass: None,
        items: vec![],
        package_line: Some(PackageLine {
            performance_ids: match_perfs,
            prices: price_grid(
                &[(main, 480_000), (ends, 320_000), (standing, 200_000)],
                &tar,
                70,
                40,
            ),
            seat_categories: cats.clone(),
        }),
    });
    s.products = products;
    s.topics = vec![league, cup, season_topic];
    let pos = pos_config(
        ids,
        "PLAY",
        t("Play FC", "Play FC", "Play FC"),
        Currency::chf(),
        PlaceAddressData {
            country_code: "CH".into(),
            first_address_line: "Route du Stade 10".into(),
            zip_code: "1000".into(),
            locality: "Lausanne".into(),
            email: "tickets@play.example".into(),
            website: "https://play.example".into(),
        },
        10 * 60,
        8,
        &[
            (
                ProductFamilyType::SingleEntry,
                t("Matches", "Matches", "Spiele"),
            ),
            (
                ProductFamilyType::Seasonticket,
                t("Season tickets", "Abonnements", "Saisonkarten"),
            ),
        ],
    );
    let catalog = CatalogData {
        seasons: vec![s],
        physical_configurations: vec![venue.config.clone()],
    };
    let codes: Vec<String> = catalog.products().map(|p| p.code.clone()).collect();
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    // every match is part of the season ticket: the channel sells them all
    let channel = reseller_channel(ids, &pos, &catalog, &codes);
    InstitutionSeed {
        code: "PLAY".into(),
        operators: vec![operator("PLAY_WEB"), operator(&channel.operator)],
        pos,
        catalog,
        venues: vec![venue],
        item_quotas: vec![],
        access_control_holder_data: true,
        channels: vec![channel],
    }
}

/// The three demo institutions.
pub fn all() -> Vec<InstitutionSeed> {
    vec![mosa(), cube(), play()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_match_the_spec() {
        let cube = cube();
        assert!(cube.venues[0].seats.len() >= 500);
        let play = play();
        let places: usize = play.venues[0].seats.len()
            + play.venues[0]
                .standing
                .iter()
                .map(|s| s.capacity as usize)
                .sum::<usize>();
        assert!(places >= 5000);
        let mosa = mosa();
        let slots = mosa
            .catalog
            .products()
            .filter_map(|p| p.pass.as_ref())
            .map(|p| p.timeslots.len())
            .sum::<usize>();
        assert!(slots >= 50 * 16, "{slots} slots");
    }

    #[test]
    fn every_institution_has_a_reseller_channel() {
        let mut pos_ids = std::collections::HashSet::new();
        for inst in all() {
            let [c] = inst.channels.as_slice() else {
                panic!("{}: one channel", inst.code)
            };
            assert_eq!(c.operator, format!("{}_RESELL", inst.code));
            assert!(inst.operators.iter().any(|o| o.code == c.operator));
            assert!(pos_ids.insert(inst.pos.pos_id) && pos_ids.insert(c.pos.pos_id));
            // allocated after every other id of the seed
            assert!(c.pos.pos_id.0 > inst.pos.pos_id.0);
            assert!(inst.catalog.products().all(|p| p.id.0 < c.pos.pos_id.0));
            assert_ne!(c.pos.sales_channel_id, inst.pos.sales_channel_id);
            assert_eq!(c.pos.order_abandon_delay, inst.pos.order_abandon_delay);
            let [m] = c.pos.payment_methods.as_slice() else {
                panic!("{}: one payment method", inst.code)
            };
            assert_eq!(m.payment_type, "PENDING_ACCOUNT");
            assert!(inst.pos.payment_methods.iter().any(|w| w.id == m.id));
            let cat = selected(&inst.catalog, &c.selection);
            let codes: Vec<&str> = cat.products().map(|p| p.code.as_str()).collect();
            let want: Vec<String> = match inst.code.as_str() {
                "MOSA" => vec!["VISIT".into(), "YEARPASS".into()],
                "CUBE" => vec!["NUTCRACKER".into(), "TRAVIATA".into()],
                _ => (1..=10)
                    .map(|i| format!("MATCH{i:02}"))
                    .chain(["SEASON".to_string()])
                    .collect(),
            };
            assert_eq!(codes, want, "{}", inst.code);
            // the families of the selection only
            for f in &c.pos.product_families {
                assert!(cat
                    .products()
                    .any(|p| p.product_family_type == f.product_family_type));
            }
        }
    }

    #[test]
    fn ids_are_unique_and_long() {
        for inst in all() {
            let mut seen = std::collections::HashSet::new();
            for p in inst.catalog.products() {
                assert!(p.id.0 > 1_000_000_000_000);
                assert!(seen.insert(p.id.0));
            }
        }
    }
}

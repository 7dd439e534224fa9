//! The seat map of a performance, drawn as SVG on the server: free seats are buttons (mouse,
//! Enter or Space) that select them, up to the point of sale's limit; taken seats are crossed
//! squares. The seats chosen are the checked boxes of a list of free seats by block and row,
//! which is also the text alternative and the form that works without JavaScript. Large venues
//! are chosen block by block; standing areas show what is left and ask for a quantity.

use leptos::prelude::*;
use rust_i18n::t;

use crate::i18n::use_lang;
use crate::routes::layout::Problem;
use crate::routes::performance::{refusal, AddSeats, AddToCart};
use shop::lang::count_key;
use shop::model::{MapSeat, SeatCategoryRow, SeatMapView, TariffPrice};

/// The radius of a seat, in the venue's units (seats are 22–24 units apart).
const SEAT_R: i32 = 9;

#[component]
pub fn SeatMap(
    map: SeatMapView,
    product_id: i64,
    performance_id: i64,
    max: u32,
    categories: Vec<SeatCategoryRow>,
    add_seats: ServerAction<AddSeats>,
    add: ServerAction<AddToCart>,
) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let SeatMapView {
        view_box,
        legend,
        seats,
        blocks,
        block,
        standing,
        free,
    } = map;
    let selected = RwSignal::new(Vec::<i64>::new());
    let notice = RwSignal::new(None::<String>);
    let zoom = RwSignal::new(1.0f64);
    // the zoom buttons only work with JavaScript: shown once the page is live
    let (live, set_live) = signal(false);
    Effect::new(move |_| set_live.set(true));
    let all_seats = StoredValue::new(seats.clone());
    // one seat of the map is in the tab order (the last one visited); arrows move between
    // free seats, Enter or Space select
    let free_seats: Vec<(i64, i32, i32)> = seats
        .iter()
        .filter(|s| s.free)
        .map(|s| (s.id, s.x, s.y))
        .collect();
    let active = RwSignal::new(free_seats.first().map(|s| s.0).unwrap_or_default());
    let free_seats = StoredValue::new(free_seats);
    let neighbour = move |id: i64, key: &str| free_seats.with_value(|all| next_seat(all, id, key));
    let toggle = move |id: i64| {
        let mut refused = false;
        selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == id) {
                s.remove(i);
            } else if s.len() < max as usize {
                s.push(id);
            } else {
                refused = true;
            }
        });
        notice.set(refused.then(|| t!("seatmap.limit", locale = lang, max = max).to_string()));
        !refused
    };
    let summary = move || {
        let chosen = selected.get();
        if chosen.is_empty() {
            return tr("seatmap.none_chosen");
        }
        let places: Vec<String> = all_seats.with_value(|all| {
            chosen
                .iter()
                .filter_map(|id| all.iter().find(|s| s.id == *id))
                .map(|s| s.label.clone())
                .collect()
        });
        t!(
            &count_key("seatmap.chosen", chosen.len() as u64, lang),
            locale = lang,
            count = chosen.len(),
            seats = places.join("; ")
        )
        .to_string()
    };
    // one tariff for every chosen seat: the tariffs any numbered category sells
    let mut tariffs: Vec<(i64, String)> = Vec::new();
    for p in categories
        .iter()
        .filter(|c| standing.iter().all(|s| s.category_id != c.id))
        .flat_map(|c| c.prices.iter())
    {
        if !tariffs.iter().any(|(id, _)| *id == p.tariff_id) {
            tariffs.push((p.tariff_id, p.tariff.clone()));
        }
    }
    let plan_href =
        move |code: &str| format!("/event/{product_id}/{performance_id}?block={code}#seatmap");
    let seat_count = seats.len();
    let current_block = block.clone();
    view! {
        <section id="seatmap" class="seatmap" aria-labelledby="seatmap-title">
            <h2 id="seatmap-title">{tr("seatmap.title")}</h2>
            <p class="hint">{t!("seatmap.how", locale = lang, max = max).to_string()}</p>
            <Legend legend=legend.clone()/>
            {(!blocks.is_empty()).then(|| view! {
                <nav class="block-plan-nav" aria-label=tr("seatmap.blocks")>
                    <p class="hint">{tr("seatmap.choose_block")}</p>
                    <ul class="block-plan">
                        {blocks.iter().map(|b| {
                            let current = current_block.as_deref() == Some(b.code.as_str());
                            view! {
                                <li
                                    class=format!("plan-block cat-{}", b.category % 6)
                                    style=format!("left:{:.2}%;top:{:.2}%;width:{:.2}%;height:{:.2}%", b.left, b.top, b.width, b.height)
                                >
                                    <a href=plan_href(&b.code) aria-current=current.then_some("true") data-testid=format!("block-{}", b.code)>
                                        <span class="plan-name">{b.name.clone()}</span>
                                        <span class="plan-category">{legend.get(b.category).map(|l| l.name.clone())}</span>
                                        <span class="plan-free">{t!(&count_key("seatmap.block_free", b.free as u64, lang), locale = lang, count = b.free).to_string()}</span>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </nav>
            })}
            {move || add_seats.value().get().and_then(|r| r.err()).map(|e| view! {
                <div data-testid="seat-error"><Problem message=refusal(&e)/></div>
            })}
            {(seat_count > 0).then(|| view! {
                <ActionForm action=add_seats attr:class="seat-form">
                    <input type="hidden" name="performance_id" value=performance_id/>
                    <p class="map-summary">
                        {block.clone().map(|_| view! { <strong>{seats.first().map(|s| s.block.clone()).unwrap_or_default()}": "</strong> })}
                        {t!(&count_key("seatmap.free_count", free as u64, lang), locale = lang, count = free).to_string()}
                        " "<a href="#seat-list" class="skip-map">{tr("seatmap.skip")}</a>
                    </p>
                    <p class="selection" aria-live="polite" data-testid="seat-selection">{summary}</p>
                    {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                    <div class="seat-submit">
                        <label for="seat-tariff">{tr("seatmap.tariff")}</label>
                        <select id="seat-tariff" name="tariff_id">
                            {tariffs.iter().map(|(id, name)| view! { <option value=*id>{name.clone()}</option> }).collect_view()}
                        </select>
                        <button type="submit" data-testid="add-seats">{tr("seatmap.add")}</button>
                    </div>
                    <Show when=move || live.get()>
                        <div class="zoom" role="group" aria-label=tr("seatmap.zoom")>
                            <button type="button" on:click=move |_| zoom.update(|z| *z = (*z * 1.5).min(6.0))>{tr("seatmap.zoom_in")}</button>
                            <button type="button" on:click=move |_| zoom.update(|z| *z = (*z / 1.5).max(1.0))>{tr("seatmap.zoom_out")}</button>
                            <button type="button" on:click=move |_| zoom.set(1.0)>{tr("seatmap.zoom_reset")}</button>
                        </div>
                    </Show>
                    <div class="map-frame">
                        <svg
                            class="map"
                            viewBox=view_box.clone()
                            role="group"
                            aria-label=tr("seatmap.map_label")
                            style=move || match zoom.get() {
                                // the whole map in the window, then larger than the frame
                                z if z <= 1.0 => "width:100%;max-height:75vh".to_string(),
                                z => format!("width:{}%", (z * 100.0).round()),
                            }
                            data-testid="seat-map"
                        >
                            {seats.iter().map(|s| view! { <Seat seat=s.clone() selected=selected toggle=toggle active=active neighbour=neighbour/> }).collect_view()}
                        </svg>
                    </div>
                    <details class="seat-list" id="seat-list">
                        <summary>{tr("seatmap.list")}</summary>
                        <SeatList seats=seats.clone() selected=selected toggle=toggle/>
                        <button type="submit" data-testid="add-listed-seats">{tr("seatmap.add")}</button>
                    </details>
                </ActionForm>
            })}
            {(!standing.is_empty()).then(|| view! {
                <Standing standing=standing.clone() categories=categories.clone() performance_id=performance_id max=max add=add/>
            })}
        </section>
    }
}

/// The symbols and the categories with their prices.
#[component]
fn Legend(legend: Vec<shop::model::SeatLegend>) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let symbol = |class: String, taken: bool| {
        view! {
            <svg class="symbol" viewBox="-12 -12 24 24" aria-hidden="true" focusable="false">
                <g class=class><SeatShape taken=taken/></g>
            </svg>
        }
    };
    view! {
        <div class="seat-legend">
            <h3 class="visually-hidden">{tr("seatmap.legend")}</h3>
            <ul class="symbols">
                <li>{symbol("seat free plain".into(), false)}{tr("seatmap.free")}</li>
                <li>{symbol("seat free plain selected".into(), false)}{tr("seatmap.selected")}</li>
                <li>{symbol("seat taken".into(), true)}{tr("seatmap.taken")}</li>
            </ul>
            <ul class="categories-legend">
                {legend.into_iter().enumerate().map(|(i, l)| view! {
                    <li>
                        {symbol(format!("seat free cat-{}", i % 6), false)}
                        <strong>{l.name}</strong>" "<span class="legend-prices">{l.prices}</span>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// A free seat is a circle (a tick when selected), a taken one a crossed square.
#[component]
fn SeatShape(taken: bool) -> impl IntoView {
    if taken {
        view! {
            <rect class="mark" x=-SEAT_R + 1 y=-SEAT_R + 1 width=2 * SEAT_R - 2 height=2 * SEAT_R - 2 rx="2"/>
            <path class="cross" d="M-5,-5 L5,5 M5,-5 L-5,5"/>
        }
        .into_any()
    } else {
        view! {
            <circle class="mark" r=SEAT_R/>
            <path class="tick" d="M-5,0 L-1.5,4 L5,-4"/>
        }
        .into_any()
    }
}

/// The free seat an arrow key leads to from `id`: the next or previous one in the map's order
/// (left, right, Home, End), or the nearest one on the row above or below.
fn next_seat(all: &[(i64, i32, i32)], id: i64, key: &str) -> Option<i64> {
    let i = all.iter().position(|s| s.0 == id)?;
    let (_, x, y) = all[i];
    let vertical = |above: bool| {
        all.iter()
            .filter(|s| if above { s.2 < y } else { s.2 > y })
            .min_by_key(|s| ((s.2 - y).abs(), (s.1 - x).abs()))
            .map(|s| s.0)
    };
    match key {
        "ArrowRight" => all.get(i + 1).map(|s| s.0),
        "ArrowLeft" => i.checked_sub(1).map(|j| all[j].0),
        "ArrowUp" => vertical(true),
        "ArrowDown" => vertical(false),
        "Home" => all.first().map(|s| s.0),
        "End" => all.last().map(|s| s.0),
        _ => None,
    }
}

/// Moves the keyboard focus to the seat `id` of the map.
fn focus_seat(id: i64) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let Some(el) = document()
            .query_selector(&format!("[data-seat=\"{id}\"]"))
            .ok()
            .flatten()
        else {
            return;
        };
        // SVG elements have focus() like HTML ones
        if let Ok(f) = js_sys::Reflect::get(&el, &JsValue::from_str("focus")) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                let _ = f.call0(&el);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[component]
fn Seat(
    seat: MapSeat,
    selected: RwSignal<Vec<i64>>,
    toggle: impl Fn(i64) -> bool + Copy + Send + Sync + 'static,
    active: RwSignal<i64>,
    neighbour: impl Fn(i64, &str) -> Option<i64> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = seat.id;
    let transform = format!("translate({},{})", seat.x, seat.y);
    let cat = seat.category % 6;
    if !seat.free {
        return view! {
            <g class="seat taken" transform=transform aria-hidden="true">
                <title>{seat.label}</title>
                <SeatShape taken=true/>
            </g>
        }
        .into_any();
    }
    let is_selected = move || selected.with(|s| s.contains(&id));
    let label = seat.label.clone();
    view! {
        <g
            class=move || format!("seat free cat-{cat}{}", if is_selected() { " selected" } else { "" })
            transform=transform
            role="button"
            tabindex=move || if active.get() == id { "0" } else { "-1" }
            aria-label=label
            aria-pressed=move || if is_selected() { "true" } else { "false" }
            data-seat=id
            on:click=move |_| {
                toggle(id);
            }
            on:focus=move |_| active.set(id)
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                let key = ev.key();
                if key == "Enter" || key == " " {
                    ev.prevent_default();
                    toggle(id);
                } else if let Some(next) = neighbour(id, &key) {
                    ev.prevent_default();
                    active.set(next);
                    focus_seat(next);
                }
            }
        >
            <title>{seat.label}</title>
            <SeatShape taken=false/>
        </g>
    }
    .into_any()
}

/// The seats of one block by row.
type Rows = Vec<(String, Vec<MapSeat>)>;

/// The free seats by block and row, as checkboxes: the text alternative of the map and the
/// form without JavaScript.
#[component]
fn SeatList(
    seats: Vec<MapSeat>,
    selected: RwSignal<Vec<i64>>,
    toggle: impl Fn(i64) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_lang().code();
    // block -> row -> seats, in the map's order
    let mut groups: Vec<(String, Rows)> = Vec::new();
    for s in seats.into_iter().filter(|s| s.free) {
        let block = match groups.iter_mut().position(|(b, _)| *b == s.block) {
            Some(i) => &mut groups[i].1,
            None => {
                groups.push((s.block.clone(), vec![]));
                &mut groups.last_mut().expect("just pushed").1
            }
        };
        match block.iter_mut().find(|(r, _)| *r == s.row) {
            Some((_, v)) => v.push(s),
            None => block.push((s.row.clone(), vec![s])),
        }
    }
    if groups.is_empty() {
        return view! { <p>{t!("seatmap.no_free", locale = lang).to_string()}</p> }.into_any();
    }
    groups
        .into_iter()
        .map(|(block, rows)| {
            view! {
                <fieldset class="list-block">
                    <legend>{block}</legend>
                    {rows.into_iter().map(|(row, seats)| view! {
                        <fieldset class="list-row">
                            <legend>{t!("seatmap.row", locale = lang, row = row).to_string()}</legend>
                            {seats.into_iter().map(|s| {
                                let id = s.id;
                                view! {
                                    <label class="list-seat">
                                        <input
                                            type="checkbox"
                                            name="seat_ids[]"
                                            value=id
                                            aria-label=s.label.clone()
                                            prop:checked=move || selected.with(|v| v.contains(&id))
                                            on:change=move |ev| {
                                                if !toggle(id) {
                                                    leptos::prelude::event_target::<leptos::web_sys::HtmlInputElement>(&ev).set_checked(false);
                                                }
                                            }
                                        />
                                        {s.number}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }).collect_view()}
                </fieldset>
            }
        })
        .collect_view()
        .into_any()
}

/// Standing areas: what is left on each, and a quantity per category (S-360 places buyers).
#[component]
fn Standing(
    standing: Vec<shop::model::StandingBlock>,
    categories: Vec<SeatCategoryRow>,
    performance_id: i64,
    max: u32,
    add: ServerAction<AddToCart>,
) -> impl IntoView {
    let lang = use_lang().code();
    let tr = move |k: &str| t!(k, locale = lang).to_string();
    let mut ids: Vec<i64> = Vec::new();
    for s in &standing {
        if !ids.contains(&s.category_id) {
            ids.push(s.category_id);
        }
    }
    ids.into_iter()
        .filter_map(|cat_id| {
            let cat = categories.iter().find(|c| c.id == cat_id)?.clone();
            let areas: Vec<_> = standing
                .iter()
                .filter(|s| s.category_id == cat_id)
                .cloned()
                .collect();
            let left: u32 = areas.iter().map(|a| a.remaining).sum();
            let title_id = format!("standing-{cat_id}");
            let qty_id = format!("standing-{cat_id}-qty");
            let tariff_id = format!("standing-{cat_id}-tariff");
            let prices: Vec<TariffPrice> = cat.prices.clone();
            Some(view! {
                <section class="standing" aria-labelledby=title_id.clone()>
                    <h3 id=title_id.clone()>{cat.name.clone()}</h3>
                    <ul class="standing-areas">
                        {areas.into_iter().map(|a| view! {
                            <li class="standing-area">
                                <span class="area-name">{a.name}</span>
                                <span class="area-left">{t!(&count_key("seatmap.standing_left", a.remaining as u64, lang), locale = lang, remaining = a.remaining, capacity = a.capacity).to_string()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <p class="hint">{tr("seatmap.standing_hint")}</p>
                    {(left > 0).then(|| view! {
                        <ActionForm action=add attr:class="add-form">
                            <input type="hidden" name="performance_id" value=performance_id/>
                            <input type="hidden" name="seat_category_id" value=cat_id/>
                            <label for=tariff_id.clone()>{tr("perf.tariff")}</label>
                            <select id=tariff_id.clone() name="tariff_id">
                                {prices.iter().map(|p| view! {
                                    <option value=p.tariff_id>{format!("{} – {}", p.tariff, p.price)}</option>
                                }).collect_view()}
                            </select>
                            <label for=qty_id.clone()>{tr("perf.quantity")}</label>
                            <input id=qty_id.clone() type="number" name="quantity" min="1" max=max.min(left) value="2" required/>
                            <button type="submit" data-testid=format!("add-standing-{cat_id}")>{tr("seatmap.add_standing")}</button>
                        </ActionForm>
                    })}
                </section>
            })
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::next_seat;

    #[test]
    fn arrows_move_between_free_seats() {
        // two rows of three, 24 apart; seat 5 (middle of row 2) is taken
        let seats = [(1, 0, 0), (2, 24, 0), (3, 48, 0), (4, 0, 22), (6, 48, 22)];
        assert_eq!(next_seat(&seats, 1, "ArrowRight"), Some(2));
        assert_eq!(
            next_seat(&seats, 3, "ArrowRight"),
            Some(4),
            "wraps to the next row"
        );
        assert_eq!(next_seat(&seats, 1, "ArrowLeft"), None);
        assert_eq!(
            next_seat(&seats, 2, "ArrowDown"),
            Some(4),
            "nearest free seat below"
        );
        assert_eq!(next_seat(&seats, 6, "ArrowUp"), Some(3));
        assert_eq!(next_seat(&seats, 4, "ArrowDown"), None);
        assert_eq!(next_seat(&seats, 4, "Home"), Some(1));
        assert_eq!(next_seat(&seats, 1, "End"), Some(6));
        assert_eq!(next_seat(&seats, 1, "a"), None);
    }
}

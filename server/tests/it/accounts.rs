//! Account lifecycle at the edges: deleting the account also ends the identity provider's
//! session; a deletion S-360 cannot do is told on the shop's own page; a third-party login finds
//! its contact by SSO id even after the e-mail changed.

use crate::support;

use support::{location, log_in, Browser, Shop};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_also_logs_out_at_the_provider() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    let r = log_in(&b, "/account", "alice@example.com").await;
    assert_eq!(r.status(), 303);
    let r = b.post_form("/account/erase", &[]).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(
        to.starts_with(&format!("{}/CUBE/oidc/logout?", shop.running.s360_base_url)),
        "RP-initiated logout after the deletion: {to}"
    );
    assert!(to.contains("id_token_hint="), "{to}");
    let back = format!("{}/account/deleted", shop.base);
    assert!(
        to.contains(&format!(
            "post_logout_redirect_uri={}",
            shop::model::url_encode(&back)
        )),
        "back to the shop's confirmation: {to}"
    );
    // the provider ends its session and sends the buyer to the confirmation page
    let r = client().get(&to).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(location(&r).starts_with(&back), "{}", location(&r));
    // the local session ended too
    assert_eq!(b.user_name().await, None);
    let html = b.get("/account/deleted").await.text().await.unwrap();
    assert!(html.contains("data-testid=\"account-deleted\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_s360_cannot_do_is_told_on_the_shops_page() {
    let shop = Shop::start(&[]).await;
    let b = Browser::new(&shop.base);
    log_in(&b, "/account", "alice@example.com").await;
    shop.sandbox().set_faults(sandbox::faults::Faults {
        outage: true,
        ..Default::default()
    });
    let r = b.post_form("/account/erase", &[]).await;
    shop.sandbox()
        .set_faults(sandbox::faults::Faults::default());
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account/delete?failed=1");
    let html = b
        .get("/account/delete?failed=1")
        .await
        .text()
        .await
        .unwrap();
    // the institution's page (its name in the header), the reason, and still logged in
    assert!(html.contains("Cube Theatre"), "{html}");
    assert!(
        html.contains("Your account could not be deleted right now; nothing was changed."),
        "{html}"
    );
    assert_eq!(b.user_name().await.as_deref(), Some("Alice Martin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_login_keeps_its_contact_after_an_email_change() {
    let shop = Shop::start(&[]).await;
    let t = shop.tenant("CUBE");
    let c = t.catalog.client();
    let sso = "https://id.example|user-1";
    let (first, _) =
        shop::account::link_contact(c, sso, "noor@example.org", "Noor", "Haddad", None)
            .await
            .unwrap();
    // the same login, again: the same contact
    let (again, name) =
        shop::account::link_contact(c, sso, "noor@example.org", "Noor", "Haddad", None)
            .await
            .unwrap();
    assert_eq!(again, first);
    assert_eq!(name, "Noor Haddad");
    // the buyer changed their e-mail at the provider: still the same contact, no new one
    let (moved, _) =
        shop::account::link_contact(c, sso, "noor@new.example", "Noor", "Haddad", None)
            .await
            .unwrap();
    assert_eq!(moved, first, "found by SSO id, not by e-mail");
    let created = shop.sandbox_calls("createContact");
    assert_eq!(created, 1, "one contact created in all");
    // another identity with an e-mail nobody has: its own contact
    let (other, _) = shop::account::link_contact(
        c,
        "https://id.example|user-2",
        "sam@example.org",
        "Sam",
        "Lee",
        None,
    )
    .await
    .unwrap();
    assert_ne!(other, first);
    // an existing S-360 customer logging in through the provider for the first time: linked
    // by e-mail, then by SSO id
    let (alice, _) = shop::account::link_contact(
        c,
        "https://id.example|alice",
        "alice@example.com",
        "",
        "",
        None,
    )
    .await
    .unwrap();
    let (alice_again, _) = shop::account::link_contact(
        c,
        "https://id.example|alice",
        "alice.martin@elsewhere.example",
        "",
        "",
        None,
    )
    .await
    .unwrap();
    assert_eq!(alice, alice_again);
}

//! `shop`: the ticket shop server. With no `S360_BASE_URL` it embeds the S-360 sandbox (the
//! default feature `sandbox`; a build without it requires `S360_BASE_URL`).

use server::{config, startup};

#[tokio::main]
async fn main() {
    // `shop hash-password`: a steward's password (one line on stdin) as the Argon2id hash that
    // `[tenants.gate] stewards.password_hash` wants
    if std::env::args().nth(1).as_deref() == Some("hash-password") {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() || line.trim_end().is_empty() {
            eprintln!("hash-password: give the password as one line on standard input");
            std::process::exit(2);
        }
        println!(
            "{}",
            gate::config::hash_password(line.trim_end_matches(['\r', '\n']))
        );
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_sessions=warn".into()),
        )
        .init();
    let settings = match config::Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::exit(2);
        }
    };
    match startup::start(settings).await {
        Ok(running) => {
            tracing::info!(addr = %running.addr, s360 = %running.s360_base_url, "shop listening on http://{}", running.addr);
            tokio::select! {
                _ = running.server => {}
                _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
            }
        }
        Err(e) => {
            eprintln!("start-up error: {e}");
            std::process::exit(1);
        }
    }
}

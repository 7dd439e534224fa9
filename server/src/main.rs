//! `shop`: the ticket shop server. With no `S360_BASE_URL` it embeds the S-360 sandbox (the
//! default feature `sandbox`; a build without it requires `S360_BASE_URL`).

use server::{config, startup};

#[tokio::main]
async fn main() {
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

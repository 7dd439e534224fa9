//! `sandbox --listen 127.0.0.1:8360`: the S-360 emulator on its own.

use std::net::SocketAddr;

fn usage() -> ! {
    eprintln!(
        "usage: sandbox [--listen ADDR]\n\
         ADDR defaults to $SANDBOX_LISTEN or 127.0.0.1:8360.\n\
         Settings (environment): SANDBOX_RATE_LIMIT_PER_MINUTE (60), SANDBOX_RATE_LIMIT_STATUS (509|429),\n\
         SANDBOX_CATALOG_INTERVAL_SECS (600), SANDBOX_CATALOG_IN_PROGRESS_SECS (off),\n\
         SANDBOX_OPERATOR_SECRET (sandbox), SANDBOX_ADMIN_TOKEN (admin endpoint off when unset)."
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut listen = std::env::var("SANDBOX_LISTEN").unwrap_or_else(|_| "127.0.0.1:8360".into());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().unwrap_or_else(|| usage()),
            "-h" | "--help" => usage(),
            other => {
                eprintln!("unknown argument {other}");
                usage()
            }
        }
    }
    let addr: SocketAddr = listen.parse().unwrap_or_else(|_| {
        eprintln!("--listen: not a socket address: {listen:?}");
        std::process::exit(2)
    });
    let config = sandbox::Config::from_env().unwrap_or_else(|e| {
        eprintln!("configuration error: {e}");
        std::process::exit(2)
    });
    let sb = sandbox::Sandbox::new(config);
    let bound = sb.spawn(addr).await.unwrap_or_else(|e| {
        eprintln!("cannot listen on {addr}: {e}");
        std::process::exit(1)
    });
    tracing::info!(%bound, institutions = ?sb.institution_codes(), "S-360 sandbox listening");
    let _ = tokio::signal::ctrl_c().await;
}

//! localstripe (the fake Stripe the reseller pays through in tests): one process per test on
//! a free loopback port, `--from-scratch`, killed when dropped. scripts/test.sh installs it
//! and sets `LOCALSTRIPE_BIN`; without it the venv in the target directory is used, and a
//! machine with neither fails the test with the command that installs it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalStripe {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- localstripe's log:\n{log}");
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("LOCALSTRIPE_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("localstripe-venv/bin/localstripe");
    assert!(
        bin.exists(),
        "localstripe is not installed: run `bash -c 'source scripts/common.sh && ensure_localstripe'` \
         (scripts/test.sh does)"
    );
    bin
}

impl LocalStripe {
    pub async fn start() -> LocalStripe {
        let bin = bin();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let log = std::env::temp_dir().join(format!("it-localstripe-{port}.log"));
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--from-scratch"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let mut ls = LocalStripe {
                child,
                base: format!("http://127.0.0.1:{port}"),
                log,
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(Some(_)) = ls.child.try_wait() {
                    break; // the port was taken meanwhile: another one
                }
                let ready = http
                    .get(format!("{}/js.stripe.com/v3/", ls.base))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ready {
                    return ls;
                }
                assert!(Instant::now() < deadline, "localstripe never answered");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("localstripe would not start")
    }
}

//! The harness of every integration test: the real shop on a free port ([`Shop`], with its
//! embedded sandbox or a separately started one, and a data directory of its own) and a
//! minimal browser ([`Browser`]: one cookie, no automatic redirects, `Origin` on
//! state-changing requests).

pub mod localstripe;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use s360::model::order::{OrderId, OrderState};
use server::config::Settings;
use server::startup::Running;

/// A started shop, ready (`/readyz` answered 200), driven over HTTP at `base`; its S-360 is a
/// sandbox the test can look into and steer.
pub struct Shop {
    pub base: String,
    pub running: Running,
    /// From `startup::start` to the first ready `/readyz`.
    pub ready_in: Duration,
    /// The embedded sandbox, or the separately started one given to [`Start::sandbox`].
    sandbox: Arc<sandbox::Sandbox>,
    /// The shop's own `SHOP_DATA_DIR` when the environment names none (removed on drop).
    _data: Option<TempDir>,
}

/// How a shop is started: `Shop::with(env)`, then options, then [`Start::start`].
pub struct Start {
    env: Vec<(String, String)>,
    sandbox: Option<Arc<sandbox::Sandbox>>,
    ready_within: Duration,
}

impl Start {
    /// Against this separately started sandbox (see [`external_sandbox`]) instead of an
    /// embedded one: the environment's `S360_BASE_URL` must be its address.
    pub fn sandbox(mut self, sandbox: Arc<sandbox::Sandbox>) -> Start {
        self.sandbox = Some(sandbox);
        self
    }

    /// How long the shop may take to be ready (15 s unless told).
    pub fn ready_within(mut self, limit: Duration) -> Start {
        self.ready_within = limit;
        self
    }

    /// Starts the shop on a free port and waits until it is ready. Without `SHOP_DATA_DIR` in
    /// the environment it gets a data directory of its own: shops never see each other's
    /// payments (a sandbox on a reused port would be asked about them) or keys.
    pub async fn start(self) -> Shop {
        let Start {
            mut env,
            sandbox,
            ready_within,
        } = self;
        let data = if env.iter().any(|(k, _)| k == "SHOP_DATA_DIR") {
            None
        } else {
            let data = TempDir::new("data");
            env.push(("SHOP_DATA_DIR".into(), data.path().into()));
            Some(data)
        };
        // no e-mail unless the test gives an SMTP server (the embedded default is the local
        // test server of scripts/run.sh, which a test must not write to)
        if !env.iter().any(|(k, _)| k == "SHOP_SMTP_URL") {
            env.push(("SHOP_SMTP_URL".into(), "off".into()));
        }
        let mut settings =
            Settings::from_lookup(|k| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
                .unwrap();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        let started = Instant::now();
        let running = server::startup::start(settings).await.unwrap();
        let sandbox = match (sandbox, &running.state.sandbox) {
            (Some(external), None) => external,
            (None, Some(embedded)) => embedded.clone(),
            (Some(_), Some(_)) => panic!("a separately started sandbox needs S360_BASE_URL"),
            (None, None) => panic!("S360_BASE_URL without its sandbox (Start::sandbox)"),
        };
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        loop {
            let r = http.get(format!("{base}/readyz")).send().await.unwrap();
            if r.status() == 200 {
                break;
            }
            assert!(
                started.elapsed() < ready_within,
                "never ready (within {ready_within:?})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Shop {
            base,
            ready_in: started.elapsed(),
            running,
            sandbox,
            _data: data,
        }
    }
}

/// A sandbox started apart from any shop (as S-360 outlives the shop in production), on a free
/// loopback port: the sandbox and its base URL (the shop's `S360_BASE_URL`).
pub async fn external_sandbox(config: sandbox::Config) -> (Arc<sandbox::Sandbox>, String) {
    let sandbox = sandbox::Sandbox::new(config);
    let addr = sandbox.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sandbox, format!("http://{addr}"))
}

impl Shop {
    /// The shop with its embedded sandbox, the settings from `env` (and the defaults).
    pub async fn start(env: &[(&str, &str)]) -> Shop {
        Shop::with(env).start().await
    }

    /// The same, with options: [`Start::sandbox`], [`Start::ready_within`].
    pub fn with(env: &[(&str, &str)]) -> Start {
        Start {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            sandbox: None,
            ready_within: Duration::from_secs(15),
        }
    }

    /// The shop's S-360: its embedded sandbox or the one it was started against.
    pub fn sandbox(&self) -> &sandbox::Sandbox {
        &self.sandbox
    }

    /// The shop's tenant of an institution (`CUBE`, `MOSA`, `PLAY`).
    pub fn tenant(&self, code: &str) -> Arc<shop::tenant::Tenant> {
        self.running
            .state
            .shop
            .tenants
            .iter()
            .find(|t| t.code == code)
            .cloned()
            .unwrap_or_else(|| panic!("no tenant {code}"))
    }

    /// The calls of `method` (`getOrderDetails`, ...) the sandbox received so far, every
    /// institution and service together.
    pub fn sandbox_calls(&self, method: &str) -> u64 {
        self.sandbox()
            .call_counts()
            .iter()
            .filter(|((_, m), _)| m == method)
            .map(|(_, n)| *n)
            .sum()
    }

    /// Seats sold or held at an institution, all performances together.
    pub fn stock_taken(&self, institution: &str) -> u32 {
        let inst = self.sandbox().institution(institution).unwrap();
        let inst = inst.lock().unwrap();
        inst.stock.values().map(|c| c.taken).sum()
    }

    /// An order's state as the sandbox has it.
    pub fn order_state(&self, institution: &str, id: OrderId) -> OrderState {
        let inst = self.sandbox().institution(institution).unwrap();
        let inst = inst.lock().unwrap();
        inst.orders.orders[&id].state
    }

    /// Waits until the sandbox has the order in state `want`; fails after `within`.
    pub async fn wait_order_state(
        &self,
        institution: &str,
        id: OrderId,
        want: OrderState,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        loop {
            let state = self.order_state(institution, id);
            if state == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "order {id:?} still {state:?}, expected {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A browser of one site: keeps the `shop_session` cookie (and `shop_login`, the login in
/// progress), follows no redirect.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Mutex<Option<String>>,
    pub login_cookie: Mutex<Option<String>>,
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookie: Mutex::new(None),
            login_cookie: Mutex::new(None),
        }
    }

    /// The session id the browser holds (the cookie's value).
    pub fn session_id(&self) -> Option<String> {
        self.cookie
            .lock()
            .unwrap()
            .as_deref()
            .and_then(|c| c.strip_prefix("shop_session="))
            .map(String::from)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let cookies: Vec<String> = [&self.cookie, &self.login_cookie]
            .iter()
            .filter_map(|c| c.lock().unwrap().clone())
            .collect();
        let req = if cookies.is_empty() {
            req
        } else {
            req.header("cookie", cookies.join("; "))
        };
        let r = req.send().await.unwrap();
        for set in r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let jar = match name {
                "shop_session" => &self.cookie,
                "shop_login" => &self.login_cookie,
                _ => continue,
            };
            let removed = set.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            *jar.lock().unwrap() = (!removed).then_some(pair);
        }
        r
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.http.get(self.url(path))).await
    }

    /// A same-origin form post, as the shop's own pages send it.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.send(
            self.http
                .post(self.url(path))
                .header("origin", &self.base)
                .form(form),
        )
        .await
    }

    /// The logged-in buyer's name, asked through the layout's server function.
    pub async fn user_name(&self) -> Option<String> {
        let r = self
            .send(
                self.http
                    .post(
                        self.url(
                            <app::routes::layout::GetUser as leptos::server_fn::ServerFn>::PATH,
                        ),
                    )
                    .header("origin", &self.base)
                    .header("accept", "application/json")
                    .form(&[] as &[(&str, &str)]),
            )
            .await;
        assert_eq!(r.status(), 200, "get_user");
        let v: serde_json::Value = r.json().await.unwrap();
        v.get("name").and_then(|n| n.as_str()).map(String::from)
    }

    /// Starts the login (`/login?return=...`): the provider's authorization URL.
    pub async fn start_login(&self, return_to: &str) -> String {
        let r = self.get(&format!("/login?return={return_to}")).await;
        assert!(r.status().is_redirection(), "login: {}", r.status());
        location(&r)
    }
}

/// Signs in at the sandbox's identity provider (its login form, posted), returns the shop's
/// callback URL with `code` and `state`.
pub async fn sandbox_sign_in(authorize_url: &str, email: &str, password: &str) -> String {
    let u = reqwest::Url::parse(authorize_url).unwrap();
    let mut form: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    form.push(("email".into(), email.into()));
    form.push(("password".into(), password.into()));
    let mut post = u.clone();
    post.set_query(None);
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(post)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "sign in: {}", r.status());
    location(&r)
}

/// Login, sign in as `email`, callback: the response of the shop's callback.
pub async fn log_in(b: &Browser, return_to: &str, email: &str) -> reqwest::Response {
    let authorize = b.start_login(return_to).await;
    let callback = sandbox_sign_in(&authorize, email, "demo").await;
    b.get(&callback).await
}

/// A directory of a test's own (a shop's `SHOP_DATA_DIR`), removed at the end.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "shop-test-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

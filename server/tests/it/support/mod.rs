//! Shared by the account tests (auth, csrf, sessions): the real shop on a free port and a
//! minimal browser (one cookie, no automatic redirects, `Origin` on state-changing requests).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use server::config::Settings;
use server::startup::Running;

pub struct Shop {
    pub base: String,
    pub running: Running,
}

impl Shop {
    pub async fn start(env: &[(&str, &str)]) -> Shop {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut settings =
            Settings::from_lookup(|k| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
                .unwrap();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        let running = server::startup::start(settings).await.unwrap();
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let r = http.get(format!("{base}/readyz")).send().await.unwrap();
            if r.status() == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "never ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Shop { base, running }
    }

    pub fn sandbox(&self) -> &sandbox::Sandbox {
        self.running.state.sandbox.as_ref().unwrap()
    }

    /// The shop's tenant of an institution (`CUBE`, `MOSA`, `PLAY`).
    pub fn tenant(&self, code: &str) -> std::sync::Arc<shop::tenant::Tenant> {
        self.running
            .state
            .shop
            .tenants
            .iter()
            .find(|t| t.code == code)
            .cloned()
            .unwrap_or_else(|| panic!("no tenant {code}"))
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

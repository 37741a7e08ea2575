//! Browser tests: real Chromium driven over WebDriver (fantoccini, chromedriver as a child
//! process on a free port). WebDriver rather than the DevTools protocol because it is the
//! standard one (W3C), chromedriver ships with Debian's chromium, and fantoccini needs no
//! browser download of its own.
//!
//! Each screen is photographed at 1280×800 and at 768 wide into `target/screens/`, and checked
//! with the vendored axe-core: a serious or critical violation fails the test. Without Chromium
//! the tests are skipped with one printed line; under `CI=true` a missing browser fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

/// Debian's browser and driver; `PERDIEM_CHROMIUM` / `PERDIEM_CHROMEDRIVER` name others.
fn chromium() -> String {
    std::env::var("PERDIEM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("PERDIEM_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// The two widths every screen is photographed at: a laptop and a tablet held upright.
const SIZES: [(u32, u32, &str); 2] = [(1280, 800, "1280"), (768, 1024, "768")];

pub struct Browser {
    client: Client,
    driver: Child,
    base: String,
    test: &'static str,
    _profile: tempfile::TempDir,
}

/// Whether the browser tests can run here; without a browser they are skipped (one line said
/// once), except under CI, where a missing browser is a failure.
fn browser_available() -> bool {
    let (browser, driver) = (chromium(), chromedriver());
    let present = Path::new(&browser).exists() && Path::new(&driver).exists();
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {browser} or {driver} is missing: the browser tests must run");
        }
        // Straight to the process's stderr: the test harness captures `println!` of passing
        // tests, and this line must be seen.
        static SAID: Once = Once::new();
        SAID.call_once(|| {
            let line = format!(
                "browser tests skipped: {browser} or {driver} is not installed \
                 (apt-get install chromium chromium-driver)\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        });
    }
    present
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh headless Chromium on `app`, or `None` when the browser tests are skipped.
    pub async fn start(app: &TestApp, test: &'static str) -> Option<Browser> {
        if !browser_available() {
            return None;
        }
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1280,800",
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities);
        // chromedriver takes a moment to listen.
        let mut last = None;
        for _ in 0..100 {
            match builder.connect(&url).await {
                Ok(client) => {
                    let mut browser = Browser {
                        client,
                        driver,
                        base: app.address.clone(),
                        test,
                        _profile: profile,
                    };
                    browser.size(SIZES[0].0, SIZES[0].1).await;
                    return Some(browser);
                }
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut driver = driver;
        let _ = driver.kill();
        panic!("chromedriver did not answer: {last:?}");
    }

    /// Sizes the window so that the page itself (the viewport) is `width` × `height`.
    async fn size(&mut self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let inner = |i: usize| inner[i].as_u64().unwrap_or(0) as u32;
        let (w, h) = (inner(0), inner(1));
        if (w, h) != (width, height) && w > 0 && h > 0 {
            let outer_w = width + width.saturating_sub(w);
            let outer_h = height + height.saturating_sub(h);
            self.client.set_window_size(outer_w, outer_h).await.unwrap();
        }
    }

    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Picks the option whose visible text is `label` in the `<select>` at `css`.
    pub async fn choose(&self, css: &str, label: &str) {
        let select = self.client.find(Locator::Css(css)).await.unwrap();
        select.select_by_label(label).await.unwrap();
    }

    /// The page printed to PDF (as the browser's print dialog would lay it out, print
    /// stylesheet and all).
    pub async fn pdf(&self) -> Vec<u8> {
        self.client
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Reloads the page as the browser's reload button does, and waits for it to load.
    pub async fn reload(&self) {
        self.client
            .execute("document.documentElement.dataset.leaving = 'yes';", vec![])
            .await
            .unwrap();
        self.client.refresh().await.unwrap();
        self.wait_for_next_page("a reload").await;
    }

    /// Clicks `css` (a submit button) and waits for the next page to load.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute("document.documentElement.dataset.leaving = 'yes';", vec![])
            .await
            .unwrap();
        self.click(css).await;
        self.wait_for_next_page(css).await;
    }

    /// Waits until the page marked as left is replaced by a loaded one.
    async fn wait_for_next_page(&self, after: &str) {
        let mut waited = 0;
        loop {
            let state = self
                .client
                .execute(
                    "return document.readyState + ':' + (document.documentElement.dataset.leaving || '');",
                    vec![],
                )
                .await;
            if let Ok(Value::String(state)) = state {
                if state == "complete:" {
                    return;
                }
            }
            waited += 1;
            // A minute: CI runs the suite beside the browser on two cores.
            assert!(waited < 1200, "no new page after {after}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts the form at `css` as its button would, from this page (its session, its CSRF
    /// token), and answers the response's text: a download read without a save dialog.
    pub async fn post_form(&self, css: &str) -> String {
        let text = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const form = document.querySelector(arguments[0]);
                 fetch(form.action, {method: 'POST', body: new URLSearchParams(new FormData(form))})
                    .then(r => r.text()).then(done).catch(e => done('failed: ' + e));",
                vec![Value::String(css.to_string())],
            )
            .await
            .unwrap();
        text.as_str().unwrap_or_default().to_string()
    }

    /// Answers yes to every `data-confirm` question on this page.
    pub async fn accept_confirms(&self) {
        self.client
            .execute("window.confirm = () => true;", vec![])
            .await
            .unwrap();
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The visible text of the element at `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// Photographs the screen at both widths into `target/screens/<test>-<screen>-<width>.png`,
    /// and fails on any serious or critical accessibility violation axe-core finds.
    pub async fn screen(&mut self, screen: &str) {
        self.accessible(screen).await;
        let dir = screens_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for (width, height, name) in SIZES {
            self.size(width, height).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{}-{screen}-{name}.png", self.test)), png).unwrap();
        }
        self.size(SIZES[0].0, SIZES[0].1).await;
    }

    async fn accessible(&self, screen: &str) {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .unwrap();
        if loaded != Value::Bool(true) {
            self.client
                .execute(&format!("{AXE}\nreturn true;"), vec![])
                .await
                .unwrap();
        }
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                    .then(r => done(JSON.stringify(r.violations
                        .filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.map(n => n.html)})))))
                    .catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));",
                vec![],
            )
            .await
            .unwrap();
        let violations: Value = serde_json::from_str(found.as_str().unwrap()).unwrap();
        assert_eq!(
            violations,
            json!([]),
            "{screen}: serious or critical accessibility violations"
        );
    }

    /// Signs in through the form as `username` (the form must be showing).
    pub async fn sign_in(&self, username: &str) {
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.submit("button[type=submit]").await;
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test never reaches `close`: chromedriver must not outlive it.
        let _ = self.driver.kill();
    }
}

fn screens_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screens")
}

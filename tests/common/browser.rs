//! Headless Chromium for the browser tests (included with `#[path]`):
//! starts `chromedriver` (Debian `chromium-driver`) on a free loopback port
//! and opens a WebDriver session through fantoccini (plain HTTP to the
//! local driver: no TLS stack).
//!
//! Without the browser a test is skipped *loudly* (a line on stderr naming
//! the packages to install), unless `DLP_REQUIRE_PEERS` is set, as CI sets
//! it: then a missing browser fails the test, so CI never passes by
//! skipping.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A browser session and the driver process behind it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Skips (returns None, saying so on stderr) or, with DLP_REQUIRE_PEERS,
/// fails.
fn missing(why: &str) -> Option<Browser> {
    if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
        panic!("browser test cannot run: {why} (DLP_REQUIRE_PEERS is set)");
    }
    // Straight to the process's stderr, past the test harness's capture of
    // `eprintln!`, so `cargo test` shows it even when the test passes.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED browser test: {why}.\n*** Install it with: apt-get install -y chromium chromium-driver\n"
    );
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session; None (after a
    /// loud skip message) when either is not installed.
    pub async fn start() -> Option<Browser> {
        let Some(driver_bin) = on_path(&["chromedriver"]) else {
            return missing("chromedriver is not installed");
        };
        let Some(chromium) = on_path(&["chromium", "chromium-browser", "google-chrome"]) else {
            return missing("chromium is not installed");
        };
        let port = free_port();
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                let _ = driver.kill();
                panic!("chromedriver did not listen on port {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    // Root in a container has no user namespace to sandbox with.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-extensions",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("no WebDriver session with {}: {e}", chromium.display());
            }
        };
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// The element `css` on the page, waiting (up to 20 s) for a navigation a
    /// click started to finish: a click returns before the next page is loaded.
    pub async fn el(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// The text of the element `css` (waiting for it as [`Browser::el`]).
    pub async fn text_of(&self, css: &str) -> String {
        self.el(css).await.text().await.unwrap()
    }

    /// True when no element matches `css` on the page as it is now (no
    /// waiting: call it once the page is known to be loaded).
    pub async fn find_none(&self, css: &str) -> bool {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .is_err()
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed assertion unwinds past `close`: never leave a driver behind.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

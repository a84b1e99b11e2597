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

    /// Clicks `css` and waits (up to 20 s) until the page it was on is gone:
    /// for a click that loads a page carrying the same elements (a filter
    /// form submitting to its own page), where [`Browser::el`] would find
    /// the old page's element and the next action would hit a stale one.
    pub async fn click_and_load(&self, css: &str) {
        let old = self.el("html").await;
        self.el(css).await.click().await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        // A stale reference (an error) means the old document was replaced.
        while old.tag_name().await.is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "{css}: the page did not change"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

/// What keeps the page as it is now from being read at the window's width,
/// one line per problem (empty when it reads well):
///
/// - the page wider than the window, or any box on it whose content is
///   wider than the box: one that scrolls sideways (a table in an
///   `overflow-x: auto` wrapper is still a table the reader has to scroll
///   across), cuts it off, or lets it run over (a long unbroken word);
/// - anything drawn past the right edge (content cut off by an
///   `overflow: hidden` would pass the first check);
/// - text drawn smaller than 12 CSS pixels (an SVG's labels shrink as the
///   chart is scaled down to a phone's width);
/// - an element of `keys` (the content the page is for) missing, not
///   rendered, or not wholly inside the window;
/// - a table shown as stacked rows whose cells do not say what they are
///   (each non-empty cell must show its column's heading, from the
///   `data-label` the templates set, whole words, without running over the
///   next cell); on a wide window, a table that is not
///   laid out as a table with its heading row (screen readers and sighted
///   readers get the real table there).
///
/// Off-screen-left elements (the skip link, until focused) and 1-pixel
/// visually-hidden text are not content drawn past the edge.
const LAYOUT_PROBLEMS: &str = r#"
const keys = arguments[0];
const de = document.documentElement;
// The width the page is laid out in: the window less a classic scroll bar
// (headless Chromium draws one; a phone's overlays the page).
const vw = de.clientWidth;
const out = [];
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
  + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
if (de.scrollWidth > vw || de.scrollWidth > window.innerWidth)
  out.push(`the page is ${de.scrollWidth}px wide in a ${vw}px window`);
// Boxes whose contents are not drawn (visually hidden for screen readers:
// a 1-pixel box clipping them) or are scaled to fit (an SVG's viewBox) are
// checked as boxes, their contents not.
const opaque = [];
const overflowing = [];
const beyond = [];
for (const e of document.body.querySelectorAll('*')) {
  if (opaque.some(p => p.contains(e))) continue;
  const cs = getComputedStyle(e);
  if (cs.display === 'none' || cs.visibility === 'hidden') continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if ((r.width <= 1 || r.height <= 1) && cs.overflowX === 'hidden') {
    opaque.push(e);
    continue;
  }
  if (e.tagName.toLowerCase() === 'svg') opaque.push(e);
  // Content wider than its box (a long unbroken word, a wide table):
  // scrolled, cut off or drawn over what is beside it.
  if (cs.display !== 'inline' && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) {
    const how = ['auto', 'scroll'].includes(cs.overflowX) ? 'scrolls sideways'
      : ['hidden', 'clip'].includes(cs.overflowX) ? 'is cut off' : 'overflows its box';
    overflowing.push([e, `${name(e)} ${how}: ${e.scrollWidth}px of content in ${e.clientWidth}px`]);
  }
  if (r.right > 0 && r.width > 1 && r.right + window.scrollX > vw + 1)
    beyond.push([e, `${name(e)} reaches ${Math.round(r.right)}px, past the ${vw}px window`]);
}
// The innermost box too narrow for its content (the long word, not every
// box around it), and the outermost box drawn past the edge (its contents
// go with it) that such a box does not already explain.
for (const [e, m] of overflowing)
  if (!overflowing.some(([o]) => o !== e && e.contains(o))) out.push(m);
for (const [e, m] of beyond)
  if (!beyond.some(([o]) => o !== e && o.contains(e)) && !overflowing.some(([o]) => o.contains(e)))
    out.push(m);
// Text drawn smaller than 12 CSS pixels (an SVG chart's labels shrink with
// the chart): too small to read on a phone.
for (const e of document.body.querySelectorAll('*')) {
  if (!e.checkVisibility() || opaque.some(p => p !== e && p.contains(e) && p.tagName.toLowerCase() !== 'svg')) continue;
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const size = e instanceof SVGElement ? e.getBoundingClientRect().height / 1.15
    : parseFloat(getComputedStyle(e).fontSize);
  if (size < 11.5)
    out.push(`${name(e)} ("${e.textContent.trim().slice(0, 20)}") is drawn ${size.toFixed(1)}px high, too small to read`);
}
for (const k of keys) {
  const els = [...document.querySelectorAll(k)];
  if (!els.length) out.push(`${k}: not on the page`);
  for (const e of els) {
    const r = e.getBoundingClientRect();
    const cs = getComputedStyle(e);
    if (r.width < 2 || r.height < 2 || cs.visibility === 'hidden')
      out.push(`${k} (${name(e)}): not shown`);
    else if (r.left < 0 || r.right > vw + 1)
      out.push(`${k} (${name(e)}): at ${Math.round(r.left)}..${Math.round(r.right)}px, not inside the ${vw}px window`);
  }
}
for (const t of document.querySelectorAll('table')) {
  const heads = t.tHead ? [...t.tHead.querySelectorAll('th')].map(h => h.textContent.trim()) : [];
  const headShown = t.tHead && t.tHead.getBoundingClientRect().height > 4;
  if (vw >= 900) {
    if (getComputedStyle(t).display !== 'table' || !headShown)
      out.push(`${name(t)}: not laid out as a table with its headings on a ${vw}px window`);
    continue;
  }
  if (headShown) continue;
  for (const row of t.tBodies[0] ? t.tBodies[0].rows : []) {
    for (const c of row.cells) {
      if (c.colSpan > 1 || !c.textContent.trim()) continue;
      // Chromium reports `content: attr(x)` resolved, as a quoted string.
      const label = getComputedStyle(c, '::before').content.replace(/^"|"$/g, '');
      const want = heads[c.cellIndex] || '';
      const where = `${name(t)} row ${row.rowIndex} cell ${c.cellIndex} ("${c.textContent.trim().slice(0, 30)}")`;
      if (!want || label !== want) {
        out.push(`${where} is labelled ${JSON.stringify(label)}, not its heading ${JSON.stringify(want)}`);
        continue;
      }
      // The label as drawn (a pseudo-element has no box to measure): set
      // in its font at its width, it must fit the cell's height (else it
      // runs over the next cell) and each of its words its width (else a
      // word is broken or cut).
      const ps = getComputedStyle(c, '::before');
      const probe = document.createElement('div');
      probe.textContent = label;
      for (const p of ['font', 'letter-spacing', 'line-height', 'white-space', 'width', 'box-sizing', 'padding'])
        probe.style.setProperty(p, ps.getPropertyValue(p));
      Object.assign(probe.style, { position: 'absolute', visibility: 'hidden', left: '0', top: '0' });
      document.body.appendChild(probe);
      const tall = probe.getBoundingClientRect().height;
      probe.style.overflowWrap = 'normal';
      probe.style.wordBreak = 'normal';
      const wide = probe.scrollWidth > probe.clientWidth + 1;
      probe.remove();
      const cell = c.getBoundingClientRect().height;
      if (tall > cell + 1)
        out.push(`${where}: its label ${JSON.stringify(label)} is ${Math.round(tall)}px tall in a ${Math.round(cell)}px cell, over the next one`);
      if (wide)
        out.push(`${where}: a word of its label ${JSON.stringify(label)} is wider than the ${ps.width} it has`);
    }
  }
}
return out.slice(0, 30);
"#;

/// The axe-core rules run: WCAG 2.0 and 2.1, levels A and AA.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations'],
}).then(r => done(r.violations.flatMap(v => v.nodes.map(n =>
    `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}: ${(n.failureSummary || '').replace(/\s+/g, ' ')}`))))
  .catch(e => done(['axe-core failed: ' + e]));
"#;

/// axe-core's `axe.min.js`: `$DLP_AXE_JS`, else where scripts/test.sh
/// installs it (`npm install --prefix target/axe axe-core@4`). None after a
/// loud skip message when missing; with DLP_REQUIRE_PEERS, a failure.
pub fn axe_source() -> Option<String> {
    let path = std::env::var_os("DLP_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(js) => Some(js),
        Err(e) => {
            let why = format!("axe-core is missing ({}: {e})", path.display());
            if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
                panic!("accessibility test cannot run: {why} (DLP_REQUIRE_PEERS is set)");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED accessibility test: {why}.\n*** Install it with: npm install --prefix target/axe axe-core@4 (scripts/test.sh does)\n"
            );
            None
        }
    }
}

impl Browser {
    /// Sets the window so that the page's viewport is `width` × `height`
    /// CSS pixels (headless Chromium has no window frame), and checks it is.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return window.innerWidth", vec![])
            .await
            .unwrap();
        assert_eq!(inner.as_u64(), Some(u64::from(width)), "viewport width");
    }

    /// [`LAYOUT_PROBLEMS`] on the page as it is now; `keys` are CSS
    /// selectors of the content that must be shown inside the window.
    pub async fn layout_problems(&self, keys: &[&str]) -> Vec<String> {
        let r = self
            .client
            .execute(LAYOUT_PROBLEMS, vec![serde_json::json!(keys)])
            .await
            .unwrap();
        serde_json::from_value(r).unwrap()
    }

    /// axe-core's WCAG 2.1 A/AA violations on the page as it is now, one
    /// line per element (injected through WebDriver, which the page's
    /// Content-Security-Policy does not govern).
    pub async fn axe_violations(&self, axe_js: &str) -> Vec<String> {
        let loaded = self
            .client
            .execute(
                &format!("{axe_js}\n;return typeof axe === 'object' && typeof axe.run"),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(loaded, serde_json::json!("function"), "axe-core loaded");
        let r = self.client.execute_async(AXE_RUN, vec![]).await.unwrap();
        serde_json::from_value(r).unwrap()
    }
}

/// What a walk over every page of the console or the self-service pages
/// checks on each page.
pub enum Check<'a> {
    /// [`Browser::layout_problems`] at each of [`WIDTHS`].
    Layout,
    /// axe-core (its source) at each of [`WIDTHS`].
    Axe(&'a str),
}

/// A phone (an iPhone 12 to 15's viewport), a tablet upright, a desktop window.
const WIDTHS: [(u32, u32); 3] = [(390, 844), (768, 1024), (1280, 900)];

/// Fails listing every problem the page walk found (layout or axe-core).
pub fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Runs `check` on the page as it is now, at each of [`WIDTHS`]; `keys`
/// are the page's content that must be shown. Problems are prefixed with
/// `what` and the width.
pub async fn check_page(
    b: &Browser,
    check: &Check<'_>,
    what: &str,
    keys: &[String],
) -> Vec<String> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    for (w, h) in WIDTHS {
        b.set_viewport(w, h).await;
        let found = match check {
            Check::Layout => b.layout_problems(&keys).await,
            Check::Axe(js) => b.axe_violations(js).await,
        };
        problems.extend(found.into_iter().map(|p| format!("{what} at {w}px: {p}")));
    }
    problems
}

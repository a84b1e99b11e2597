//! Load benchmark, direct milter protocol (no Postfix): the `dlp-milter
//! serve` binary in its own process, many concurrent client sessions
//! (indymilter-test, speaking as Postfix does: no-reply stages, macros),
//! a realistic message mix. Reports messages/s, p50/p99/max end-of-message
//! latency, daemon CPU per message and its peak RSS.
//!
//! Ignored by default (it is a measurement, not a check). Run with:
//!
//! ```text
//! cargo test --release --test milter_load -- --ignored --nocapture
//! DLP_LOAD_SOCKET=unix DLP_LOAD_SESSIONS=500 DLP_LOAD_MESSAGES=20 cargo test --release ...
//! ```
//!
//! Knobs (env): DLP_LOAD_SESSIONS (default 50), DLP_LOAD_MESSAGES per
//! session (default 100), DLP_LOAD_SOCKET inet|unix (default inet),
//! DLP_LOAD_MIX mixed|typical (typical = only ~20 KB plain messages, the
//! figure for "CPU per typical message"), DLP_LOAD_RECONNECT=1 (a new
//! connection and negotiation for every message, as behind Postfix when
//! each SMTP session carries one message).

#[path = "common/milter.rs"]
mod milter_support;

use indymilter_test::{MacroStage, Status, TestConnection};
use milter_support::{free_port, start_daemon, tiered_rules};
use std::sync::Arc;
use std::time::Instant;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One prepared message: envelope recipients, headers, body.
struct Msg {
    kind: &'static str,
    rcpts: Vec<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn prose(bytes: usize) -> Vec<u8> {
    let lines = [
        "Dear parents and carers,\r\n",
        "Thank you for your continued support this term. The governors met on Tuesday\r\n",
        "to discuss the budget, the new library and the plans for the summer fair.\r\n",
        "Year 5 will visit the science museum on Friday; please bring a packed lunch.\r\n",
        "Our after-school clubs restart next week, see the website for the timetable.\r\n",
    ];
    let mut out = Vec::with_capacity(bytes + 100);
    let mut i = 0;
    while out.len() < bytes {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        i += 1;
    }
    out
}

fn base64_lines(data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let enc = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::new();
    for chunk in enc.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn headers(to: &str, subject: &str, ctype: &str) -> Vec<(String, String)> {
    vec![
        ("From".into(), "Office <office@school.example>".into()),
        ("To".into(), to.into()),
        ("Subject".into(), subject.into()),
        ("Date".into(), "Mon, 23 Nov 2026 08:00:00 +0000".into()),
        ("Message-ID".into(), "<bench@school.example>".into()),
        ("MIME-Version".into(), "1.0".into()),
        ("Content-Type".into(), ctype.into()),
    ]
}

fn parents(n: usize) -> (String, Vec<String>) {
    let list: Vec<String> = (0..n).map(|i| format!("parent{i}@gmail.com")).collect();
    (list.join(", "), list)
}

/// The mix: mostly ordinary ~20 KB mail, some small notes, newsletters with
/// HTML, attachments, exposed-recipient lists (rewrite) and a few holds.
fn mix(typical_only: bool) -> Vec<(Msg, usize)> {
    let typical = Msg {
        kind: "typical-20k",
        rcpts: vec!["parent@gmail.com".into()],
        headers: headers(
            "parent@gmail.com",
            "Summer term news",
            "text/plain; charset=utf-8",
        ),
        body: prose(20 * 1024),
    };
    if typical_only {
        return vec![(typical, 1)];
    }
    let small = Msg {
        kind: "small",
        rcpts: vec!["colleague@other.example".into()],
        headers: headers(
            "colleague@other.example",
            "Meeting",
            "text/plain; charset=utf-8",
        ),
        body: b"See you at 3pm in the staff room.\r\n".to_vec(),
    };
    let html = {
        let text = String::from_utf8(prose(15 * 1024)).unwrap_or_default();
        let html = format!(
            "<html><body><p>{}</p></body></html>",
            text.replace("\r\n", "</p>\r\n<p>")
        );
        let body = format!(
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b1--\r\n"
        );
        Msg {
            kind: "newsletter-html",
            rcpts: vec!["parent@gmail.com".into()],
            headers: headers(
                "parent@gmail.com",
                "Newsletter",
                "multipart/alternative; boundary=\"b1\"",
            ),
            body: body.into_bytes(),
        }
    };
    let attachment = {
        let mut csv = String::from("date,item,amount\r\n");
        for i in 0..600 {
            csv.push_str(&format!(
                "2026-11-{:02},library books batch {i},{}.50\r\n",
                i % 28 + 1,
                i * 3
            ));
        }
        let mut body = b"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the budget attached.\r\n--b2\r\nContent-Type: text/csv; name=\"budget.csv\"\r\nContent-Disposition: attachment; filename=\"budget.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
        body.extend(base64_lines(csv.as_bytes()));
        body.extend_from_slice(b"--b2--\r\n");
        Msg {
            kind: "attachment-csv",
            rcpts: vec!["finance@trust.example".into()],
            headers: headers(
                "finance@trust.example",
                "Budget",
                "multipart/mixed; boundary=\"b2\"",
            ),
            body,
        }
    };
    let (to, rcpts) = parents(8);
    let rewrite = Msg {
        kind: "exposed-rewrite",
        rcpts,
        headers: headers(&to, "Trip letter", "text/plain; charset=utf-8"),
        body: prose(3 * 1024),
    };
    let (to, rcpts) = parents(25);
    let hold = Msg {
        kind: "exposed-hold",
        rcpts,
        headers: headers(&to, "Class list", "text/plain; charset=utf-8"),
        body: prose(2 * 1024),
    };
    vec![
        (typical, 55),
        (small, 15),
        (html, 12),
        (attachment, 10),
        (rewrite, 7),
        (hold, 1),
    ]
}

fn pick(mix: &[(Msg, usize)], n: usize) -> &Msg {
    let total: usize = mix.iter().map(|(_, w)| w).sum();
    let mut k = (n.wrapping_mul(2_654_435_761)) % total;
    for (m, w) in mix {
        if k < *w {
            return m;
        }
        k -= w;
    }
    &mix[0].0
}

fn proc_cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks * 10.0 // USER_HZ = 100
}

fn proc_status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn connect(sock: &Sock) -> TestConnection {
    let b = TestConnection::configure();
    match sock {
        Sock::Inet(p) => b.open_tcp(("127.0.0.1", *p)).await.unwrap(),
        Sock::Unix(p) => b.open_unix(p).await.unwrap(),
    }
}

#[derive(Clone)]
enum Sock {
    Inet(u16),
    Unix(std::path::PathBuf),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn load() {
    let sessions = env_or("DLP_LOAD_SESSIONS", 50);
    let per_session = env_or("DLP_LOAD_MESSAGES", 100);
    let unix = std::env::var("DLP_LOAD_SOCKET").is_ok_and(|v| v == "unix");
    let typical_only = std::env::var("DLP_LOAD_MIX").is_ok_and(|v| v == "typical");
    // One connection per message, as Postfix does when each SMTP session
    // carries one message (smtp-source without -d, most MUAs).
    let reconnect = std::env::var("DLP_LOAD_RECONNECT").is_ok_and(|v| v == "1");

    let dir = tempfile::tempdir().unwrap();
    let rules = tiered_rules(dir.path());
    let sock = if unix {
        Sock::Unix(dir.path().join("m.sock"))
    } else {
        Sock::Inet(free_port())
    };
    let listen = match &sock {
        Sock::Inet(p) => format!("inet:127.0.0.1:{p}"),
        Sock::Unix(p) => format!("unix:{}", p.display()),
    };
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {:?}\n[log]\nlevel = \"warn\"\n[milter]\nlisten = \"{listen}\"\nmax_sessions = 2000\n",
            dir.path().join("data"),
            rules
        ),
    )
    .unwrap();
    let daemon = start_daemon(&config, None, || match &sock {
        Sock::Inet(p) => std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok(),
        Sock::Unix(p) => p.exists(),
    });
    let pid = daemon.0.id();
    let rss_idle = proc_status_kb(pid, "VmRSS:");

    let mix = Arc::new(mix(typical_only));
    // Open every session first: the daemon then holds `sessions` connections at once.
    let mut conns = Vec::new();
    for _ in 0..sessions {
        conns.push(connect(&sock).await);
    }
    let cpu0 = proc_cpu_ms(pid);
    let t0 = Instant::now();
    let barrier = Arc::new(tokio::sync::Barrier::new(sessions));
    let mut tasks = Vec::new();
    for (s, mut c) in conns.into_iter().enumerate() {
        let mix = mix.clone();
        let barrier = barrier.clone();
        let sock = sock.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut lat = Vec::with_capacity(per_session);
            let mut kinds = Vec::new();
            for i in 0..per_session {
                let m = pick(&mix, s * per_session + i);
                let t = Instant::now();
                if reconnect && i > 0 {
                    c.close().await.unwrap();
                    c = connect(&sock).await;
                }
                c.macros(MacroStage::Mail, [("{auth_authen}", "office")])
                    .await
                    .unwrap();
                c.mail(["<office@school.example>"]).await.unwrap();
                for r in &m.rcpts {
                    c.rcpt([format!("<{r}>")]).await.unwrap();
                }
                for (n, v) in &m.headers {
                    c.header(n.as_str(), v.as_str()).await.unwrap();
                }
                c.body(m.body.clone()).await.unwrap();
                c.macros(MacroStage::Eom, [("i", format!("Q{s}x{i}"))])
                    .await
                    .unwrap();
                let (_, status) = c.eom().await.unwrap();
                lat.push(t.elapsed());
                assert!(
                    matches!(status, Status::Accept | Status::Discard),
                    "{}: {status:?}",
                    m.kind
                );
                kinds.push(m.kind);
            }
            c.close().await.unwrap();
            (lat, kinds)
        }));
    }
    let mut lat = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for t in tasks {
        let (l, k) = t.await.unwrap();
        lat.extend(l);
        for kind in k {
            *counts.entry(kind).or_insert(0usize) += 1;
        }
    }
    let wall = t0.elapsed();
    let cpu = proc_cpu_ms(pid) - cpu0;
    let hwm = proc_status_kb(pid, "VmHWM:");
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| lat[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0;
    println!(
        "dlp-milter direct load: socket={} sessions={sessions} messages={n} mix={}{}",
        if unix { "unix" } else { "inet" },
        if typical_only { "typical-20k" } else { "mixed" },
        if reconnect {
            " (one connection per message)"
        } else {
            ""
        }
    );
    println!("  mix: {counts:?}");
    println!(
        "  throughput: {:.0} msg/s   latency p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        n as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        lat[n - 1].as_secs_f64() * 1000.0
    );
    println!(
        "  daemon CPU: {:.3} ms/msg   peak RSS {} MiB (idle {} MiB) with {sessions} concurrent sessions",
        cpu / n as f64,
        hwm / 1024,
        rss_idle / 1024
    );
    println!(
        "  cores: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
}

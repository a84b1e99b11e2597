//! `scan` with a direction context: the flags that tell it what the milter
//! would know about the connection, and the `direction` fields of the JSON.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
}

/// A message to parents with a NINO in the body (held when scanned).
fn message(dir: &std::path::Path) -> String {
    let p = dir.join("starter.eml");
    std::fs::write(
        &p,
        "From: Office <office@school.example>\r\nTo: payroll@provider.example.co.uk\r\n\
         Subject: Starter form\r\nMessage-ID: <s@school.example>\r\n\r\n\
         Starter: Priya Shah, NI no. JT 48 22 91 B, start date 3 November.\r\n",
    )
    .unwrap();
    p.display().to_string()
}

/// A config with the organisation's domain and an explicit trusted list, so
/// the host's own Postfix does not matter.
fn config(dir: &std::path::Path, networks: &str) -> String {
    let p = dir.join("c.toml");
    std::fs::write(
        &p,
        format!("[organisation]\ndomains = [\"school.example\"]\n[direction]\ntrusted_networks = {networks}\n"),
    )
    .unwrap();
    p.display().to_string()
}

fn scan_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = bin()
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = stdout
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    (out.status.code(), v, stderr)
}

#[test]
fn without_connection_details_outbound_is_assumed() {
    let d = tempfile::tempdir().unwrap();
    let (code, v, err) = scan_json(&[&message(d.path())]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["direction"], "outbound");
    assert!(v["direction_reason"].as_str().unwrap().contains("assumed"));
    assert_eq!(v["verdict"], "hold");
}

#[test]
fn an_untrusted_client_is_inbound_and_not_scanned() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "[\"10.0.0.0/8\"]");
    let msg = message(d.path());
    let (code, v, err) = scan_json(&["--config", &cfg, "--client-addr", "203.0.113.9", &msg]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["direction"], "inbound");
    assert_eq!(
        v["direction_reason"],
        "client 203.0.113.9 is not in trusted_networks and did not log in"
    );
    assert_eq!(v["verdict"], "accept");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    // The same message from a trusted network, or logged in: scanned.
    for extra in [["--client-addr", "10.1.2.3"], ["--auth-user", "office"]] {
        let (_, v, _) = scan_json(&["--config", &cfg, extra[0], extra[1], &msg]);
        assert_eq!(v["direction"], "outbound", "{extra:?}");
        assert_eq!(v["verdict"], "hold", "{extra:?}");
    }
}

#[test]
fn envelope_flags_decide_internal_and_direction_can_be_stated() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "[\"127.0.0.0/8\"]");
    let msg = message(d.path());
    let (_, v, err) = scan_json(&[
        "--config",
        &cfg,
        "--client-addr",
        "127.0.0.1",
        "--sender",
        "office@school.example",
        "--rcpt",
        "<head@school.example>",
        &msg,
    ]);
    assert_eq!(v["direction"], "internal", "{err}");
    // Internal mail is scanned by default.
    assert_eq!(v["verdict"], "hold");
    let (_, v, _) = scan_json(&["--direction", "inbound", &msg]);
    assert_eq!(v["direction"], "inbound");
    assert_eq!(v["verdict"], "accept");
    let (code, _, _) = scan_json(&["--direction", "sideways", &msg]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_bad_trusted_network_is_a_config_error() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "[\"the office\"]");
    let (code, _, err) = scan_json(&[
        "--config",
        &cfg,
        "--client-addr",
        "10.0.0.1",
        &message(d.path()),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("trusted_networks"), "{err}");
}

#[test]
fn rules_check_refuses_a_bad_trusted_network() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "[\"10.0.0.0/8\", \"office lan\"]");
    let out = bin()
        .args(["rules", "check", "--config", &cfg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("direction.trusted_networks") && err.contains("office lan"),
        "{err}"
    );
    let good = config(d.path(), "[\"10.0.0.0/8\", \"::1\"]");
    let out = bin()
        .args(["rules", "check", "--config", &good])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

//! The data directory is the milter user's alone whatever the umask the
//! daemon was started with, and a directory others can read is refused.

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::{free_port, Daemon};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .mode()
        & 0o777
}

fn config(dir: &Path, data: &Path, port: u16) -> std::path::PathBuf {
    let config = dir.join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\n[organisation]\ndomains = [\"school.example\"]\n[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    config
}

/// Starts `serve` under `umask`, waits until it listens.
fn serve_with_umask(umask: &str, config: &Path, port: u16) -> Daemon {
    let child = Command::new("sh")
        .args([
            "-c",
            &format!("umask {umask}; exec \"$0\" serve --config \"$1\""),
        ])
        .arg(env!("CARGO_BIN_EXE_dlp-milter"))
        .arg(config)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dlp-milter");
    let daemon = Daemon(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon
}

fn private_under(umask: &str) {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("var/data");
    let port = free_port();
    let cfg = config(t.path(), &data, port);
    let _d = serve_with_umask(umask, &cfg, port);
    assert_eq!(mode(&data), 0o700, "data dir under umask {umask}");
    for f in ["quarantine.db", "marker.key"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f} under umask {umask}");
    }
    // Nothing in it is readable by group or others (WAL files, keys...).
    for e in std::fs::read_dir(&data).unwrap().flatten() {
        let m = e.metadata().unwrap().mode() & 0o077;
        assert_eq!(m, 0, "{} open to group/others", e.path().display());
    }
}

#[test]
fn data_directory_is_private_under_umask_022() {
    private_under("022");
}

#[test]
fn data_directory_is_private_under_umask_000() {
    private_under("000");
}

#[test]
fn a_readable_data_directory_is_refused_at_start() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = config(t.path(), &data, free_port());
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0755") && err.contains("chmod 700"), "{err}");
    assert!(
        !data.join("quarantine.db").exists(),
        "nothing opened in a refused dir"
    );
}

#[test]
fn the_working_directory_fallback_is_announced() {
    let t = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["serve", "--listen", &format!("inet:127.0.0.1:{port}")])
        .current_dir(t.path())
        .stderr(std::fs::File::create(t.path().join("log")).unwrap())
        .spawn()
        .unwrap();
    let _d = Daemon(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    if Path::new("/var/lib/dlp-milter").is_dir() {
        return; // the system directory is used on this machine
    }
    let log = std::fs::read_to_string(t.path().join("log")).unwrap();
    assert!(log.contains("working directory"), "{log}");
    assert_eq!(mode(&t.path().join("dlp-data")), 0o700);
}

//! `Type=notify`: the daemon speaks systemd's notify protocol on a real
//! datagram socket (the one systemd would pass in `NOTIFY_SOCKET`): READY
//! only once Postfix can connect, RELOADING then READY around SIGHUP,
//! STOPPING on SIGTERM, and watchdog pings when `WATCHDOG_USEC` asks.

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::{free_port, Daemon};
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

/// Reads datagrams until one contains `want` (or fails after 10 s);
/// returns everything read, in order.
fn until(sock: &UnixDatagram, want: &str) -> Vec<String> {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = msg.lines().any(|l| l == want);
            seen.push(msg);
            if done {
                return seen;
            }
        }
    }
    panic!("no {want:?} from the daemon within 10 s; got {seen:?}");
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn tells_systemd_ready_reloading_stopping_and_pings_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let notify = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&notify).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = free_port();
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n",
            dir.path().join("data")
        ),
    )
    .unwrap();
    // systemd sets WATCHDOG_PID to the service's pid: the shell exports its
    // own and execs the daemon, which keeps that pid.
    let child = Command::new("sh")
        .args(["-c", "WATCHDOG_PID=$$ exec \"$0\" serve --config \"$1\""])
        .arg(env!("CARGO_BIN_EXE_dlp-milter"))
        .arg(&config)
        .env("NOTIFY_SOCKET", &notify)
        .env("WATCHDOG_USEC", "400000")
        .spawn()
        .expect("start dlp-milter");
    let mut daemon = Daemon(child);
    let pid = daemon.0.id();

    let first = until(&sock, "READY=1");
    let ready = first.last().unwrap();
    assert!(
        ready.contains(&format!("STATUS=listening on inet:127.0.0.1:{port}")),
        "{ready:?}"
    );
    // READY means Postfix can connect now.
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("listening when READY=1 is sent");

    // The watchdog pings at half of WATCHDOG_USEC.
    until(&sock, "WATCHDOG=1");

    // A reload is bracketed by RELOADING=1 (with the monotonic time systemd
    // requires) and READY=1.
    signal(pid, "-HUP");
    let reload = until(&sock, "RELOADING=1");
    assert!(
        reload.last().unwrap().contains("MONOTONIC_USEC="),
        "{reload:?}"
    );
    let after = until(&sock, "READY=1");
    assert!(
        after
            .last()
            .unwrap()
            .contains("STATUS=config and rules reloaded"),
        "{after:?}"
    );

    // A broken config is refused, and the daemon says it still serves.
    std::fs::write(&config, "[milter]\nlisten = \"nonsense\"\n").unwrap();
    signal(pid, "-HUP");
    until(&sock, "RELOADING=1");
    let refused = until(&sock, "READY=1");
    assert!(
        refused.last().unwrap().contains("STATUS=reload refused"),
        "{refused:?}"
    );

    signal(pid, "-TERM");
    until(&sock, "STOPPING=1");
    let start = Instant::now();
    loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

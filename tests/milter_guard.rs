//! Who may talk to the milter (issue 21): idle connections cannot exhaust
//! the session limit, an inet listener serves only allowed client
//! addresses, and the default listener is a unix socket in the data
//! directory that only the milter's user (and Postfix's group) can reach.

#[path = "common/milter.rs"]
mod milter_support;

use dlp_milter::config::Config;
use dlp_milter::milter::guard::AllowList;
use dlp_milter::milter::{Milter, MilterListener, SocketSpec, UnixOptions};
use dlp_milter::quarantine::spool::SpoolStore;
use dlp_milter::quarantine::HoldStore;
use indymilter_test::{MacroStage, Status, TestConnection};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

const KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

async fn start(
    dir: &std::path::Path,
    milter_cfg: &str,
    allow: Option<&[&str]>,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let cfg = Config::from_toml(
        "t.toml",
        &format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[milter]\n{milter_cfg}\n",
            dir.join("data")
        ),
    )
    .unwrap();
    let store: Arc<dyn HoldStore> = Arc::new(SpoolStore::open(&dir.join("spool")).unwrap());
    let milter = Milter::new(&cfg, store, KEY.to_vec()).unwrap();
    let spec = SocketSpec::parse("inet:127.0.0.1:0").unwrap();
    let mut listener = MilterListener::bind(&spec, &UnixOptions::default(), true)
        .await
        .unwrap();
    if let Some(a) = allow {
        listener = listener.allow_clients(AllowList::parse(a).unwrap());
    }
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        milter
            .run(listener, async {
                let _ = rx.await;
            })
            .await
    });
    (addr, tx)
}

async fn one_message(conn: &mut TestConnection) -> Status {
    conn.macros(MacroStage::Mail, [("{auth_authen}", "office")])
        .await
        .unwrap();
    conn.mail(["<office@school.example>"]).await.unwrap();
    conn.rcpt(["<parent@gmail.com>"]).await.unwrap();
    conn.header("From", "office@school.example").await.unwrap();
    conn.header("Subject", "Hello").await.unwrap();
    conn.body(b"Nothing to see.\r\n".to_vec()).await.unwrap();
    conn.macros(MacroStage::Eom, [("i", "G1")]).await.unwrap();
    conn.eom().await.unwrap().1
}

#[tokio::test]
async fn idle_connections_do_not_block_new_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, stop) = start(dir.path(), "max_sessions = 2", None).await;
    // Sessions that connect, then say nothing: many more than the limit
    // (two) plus any headroom the accept loop has. Without eviction the
    // later ones would wait for an accept that never comes.
    let mut idle = Vec::new();
    for i in 0..16 {
        let c = tokio::time::timeout(
            Duration::from_secs(5),
            TestConnection::configure().open_tcp(addr),
        )
        .await
        .unwrap_or_else(|_| panic!("idle connection {i} locked out"))
        .expect("negotiates");
        idle.push(c);
    }
    // A third client still gets served, promptly.
    let mut fresh = tokio::time::timeout(
        Duration::from_secs(5),
        TestConnection::configure().open_tcp(addr),
    )
    .await
    .expect("a new session is not locked out by idle ones")
    .expect("negotiates");
    let status = tokio::time::timeout(Duration::from_secs(10), one_message(&mut fresh))
        .await
        .expect("served");
    assert_eq!(status, Status::Accept);
    // And again: a fourth evicts the next idle one, not the active session.
    let mut fourth = tokio::time::timeout(
        Duration::from_secs(5),
        TestConnection::configure().open_tcp(addr),
    )
    .await
    .expect("not locked out")
    .expect("negotiates");
    assert_eq!(one_message(&mut fourth).await, Status::Accept);
    let _ = stop.send(());
}

#[tokio::test]
async fn a_client_not_on_the_allow_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, stop) = start(dir.path(), "", Some(&["127.0.0.1"])).await;
    // From 127.0.0.2 (also loopback, but not allowed): closed at once.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    // A milter would wait for the MTA's first command; a refused client
    // sees the connection closed instead.
    use tokio::io::AsyncWriteExt;
    let _ = s.write_all(&[0, 0, 0, 1, b'A']).await;
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("closed, not left hanging")
        .unwrap_or(0);
    assert_eq!(n, 0, "refused client got {n} bytes");
    // 127.0.0.1 is served.
    let mut ok = TestConnection::configure()
        .open_tcp(addr)
        .await
        .expect("allowed client negotiates");
    assert_eq!(one_message(&mut ok).await, Status::Accept);
    let _ = stop.send(());
}

#[test]
fn idle_timeout_must_stay_above_postfix_smtpd_timeout() {
    let c = Config::from_toml("t.toml", "[milter]\nconnection_timeout_s = 120\n").unwrap();
    let e = c.milter.validate().unwrap_err();
    assert!(e.contains("smtpd_timeout"), "{e}");
}

#[test]
fn the_default_listener_is_a_private_unix_socket_in_the_data_directory() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let cfg = t.path().join("dlp.toml");
    std::fs::write(&cfg, format!("data_dir = {data:?}\n")).unwrap();
    let sock = data.join("milter.sock");
    let s = sock.clone();
    let _d = milter_support::start_daemon(&cfg, None, move || s.exists());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(Instant::now() < deadline, "socket does not accept");
        std::thread::sleep(Duration::from_millis(20));
    }
    let m = std::fs::metadata(&sock).unwrap();
    let dm = std::fs::metadata(&data).unwrap();
    let postfix = std::fs::read_to_string("/etc/group")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&"postfix")).then(|| f.get(2).and_then(|g| g.parse::<u32>().ok()))
        })
        .flatten();
    match postfix {
        Some(gid) if dm.gid() == gid => {
            // Postfix's group may connect and traverse the directory, nothing more.
            assert_eq!(m.permissions().mode() & 0o777, 0o660);
            assert_eq!(m.gid(), gid);
            assert_eq!(dm.permissions().mode() & 0o777, 0o710);
        }
        _ => {
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
            assert_eq!(dm.permissions().mode() & 0o777, 0o700);
        }
    }
}

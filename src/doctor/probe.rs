//! Live probes: can Postfix's user reach the milter socket (connect, and
//! the socket's and its folders' owners and modes), and does the relay for
//! notices and releases answer EHLO. Each probe has a short timeout: the
//! doctor must never hang on a dead peer.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::time::Duration;

/// A Unix user as far as permission checks go: uid, primary gid and the
/// groups it is a member of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gids: Vec<u32>,
}

impl Account {
    /// From /etc/passwd and /etc/group (the files Postfix's own lookups use
    /// on a Debian host).
    pub fn lookup(name: &str) -> Option<Account> {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        let (uid, gid) = passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name))
                .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))
                .flatten()
        })?;
        let mut gids = vec![gid];
        if let Ok(group) = std::fs::read_to_string("/etc/group") {
            for l in group.lines() {
                let f: Vec<&str> = l.split(':').collect();
                let member = f
                    .get(3)
                    .is_some_and(|m| m.split(',').any(|u| u.trim() == name));
                if let (true, Some(Ok(g))) = (member, f.get(2).map(|g| g.parse::<u32>())) {
                    gids.push(g);
                }
            }
        }
        Some(Account {
            name: name.to_string(),
            uid,
            gids,
        })
    }

    /// Whether this user may use a file of `meta` with the permission bits
    /// `want` (as owner bits: 0o6 read+write, 0o1 search).
    pub fn may(&self, meta: &std::fs::Metadata, want: u32) -> bool {
        let mode = meta.mode();
        let bits = if self.uid == 0 {
            return true;
        } else if meta.uid() == self.uid {
            (mode >> 6) & 0o7
        } else if self.gids.contains(&meta.gid()) {
            (mode >> 3) & 0o7
        } else {
            mode & 0o7
        };
        bits & want == want
    }
}

/// Why Postfix's user cannot use the socket at `path`, if it cannot: a
/// folder on the way it may not search, or the socket it may not write.
pub fn socket_access_problem(path: &Path, postfix: &Account) -> Option<String> {
    let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
    dirs.reverse();
    for d in dirs {
        if d.as_os_str().is_empty() {
            continue;
        }
        match std::fs::metadata(d) {
            Ok(m) if !postfix.may(&m, 0o1) => {
                return Some(format!(
                    "user {} cannot enter {} (owner uid {}, group gid {}, mode {:04o})",
                    postfix.name,
                    d.display(),
                    m.uid(),
                    m.gid(),
                    m.mode() & 0o7777
                ))
            }
            Ok(_) => {}
            Err(e) => return Some(format!("{}: {e}", d.display())),
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if !m.file_type().is_socket() => Some(format!("{} is not a socket", path.display())),
        Ok(m) if !postfix.may(&m, 0o6) => Some(format!(
            "user {} cannot connect to {} (group gid {}, mode {:04o}): set [milter] socket_group to Postfix's group and socket_mode = \"0660\"",
            postfix.name,
            path.display(),
            m.gid(),
            m.mode() & 0o7777
        )),
        Ok(_) => None,
        Err(e) => Some(format!("{}: {e}", path.display())),
    }
}

/// Connects to a unix socket; Err says why not.
pub fn connect_unix(path: &Path) -> Result<(), String> {
    std::os::unix::net::UnixStream::connect(path)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Connects to `host:port` within `timeout`.
pub fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = format!("{host}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err(last)
}

/// The last line of an SMTP reply (multi-line replies are `250-...` lines
/// then `250 ...`).
fn read_reply(r: &mut impl BufRead) -> Result<String, String> {
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) => return Err("connection closed".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        let line = line.trim_end().to_string();
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(line);
        }
    }
}

/// Connects to the relay (`HOST:PORT`), reads its greeting, says EHLO and
/// QUIT. Ok: the EHLO reply's first line; Err: what went wrong.
pub fn smtp_ehlo(relay: &str, timeout: Duration) -> Result<String, String> {
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse().ok()?,
            ))
        })
        .ok_or_else(|| format!("{relay:?} is not HOST:PORT"))?;
    let stream = connect_tcp(host, port, timeout)?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut writer = stream;
    let greeting = read_reply(&mut reader)?;
    if !greeting.starts_with("220") {
        return Err(format!("greeting: {greeting}"));
    }
    writer
        .write_all(b"EHLO dlp-milter-doctor.localhost\r\n")
        .map_err(|e| e.to_string())?;
    let ehlo = read_reply(&mut reader)?;
    let _ = writer.write_all(b"QUIT\r\n");
    if ehlo.starts_with("250") {
        Ok(greeting)
    } else {
        Err(format!("EHLO: {ehlo}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn group_members_may_use_group_bits_and_others_may_not() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("s");
        std::fs::write(&f, "").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o660)).unwrap();
        let m = std::fs::metadata(&f).unwrap();
        let member = Account {
            name: "pf".into(),
            uid: 4242,
            gids: vec![m.gid()],
        };
        let stranger = Account {
            name: "x".into(),
            uid: 4243,
            gids: vec![4244],
        };
        assert!(member.may(&m, 0o6));
        assert!(!stranger.may(&m, 0o6));
        assert!(!stranger.may(&m, 0o1));
    }

    #[test]
    fn ehlo_against_a_tiny_server_and_a_dead_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.write_all(b"220-relay.example ESMTP\r\n220 ready\r\n")
                .unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with("EHLO "), "{line}");
            s.write_all(b"250-relay.example\r\n250 8BITMIME\r\n")
                .unwrap();
        });
        let got = smtp_ehlo(&format!("127.0.0.1:{port}"), Duration::from_secs(5));
        server.join().unwrap();
        assert_eq!(got.unwrap(), "220 ready");
        // Nothing listens there any more.
        let err = smtp_ehlo(&format!("127.0.0.1:{port}"), Duration::from_secs(2)).unwrap_err();
        assert!(!err.is_empty());
        assert!(smtp_ehlo("no-port", Duration::from_secs(1)).is_err());
    }
}

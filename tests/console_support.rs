//! The `dlp-milter` binary as the console tests drive it (included with
//! `#[path]`): the `user`/`token` commands run as an administrator would,
//! and `dlp-milter console` spawned on a loopback port it picks itself.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_dlp-milter");

/// Runs `dlp-milter ARGS --config CONFIG` (with `stdin` piped in when
/// given), asserts it succeeded and returns its standard output.
pub fn cli(config: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut c = Command::new(BIN);
    c.args(args)
        .arg("--config")
        .arg(config)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run dlp-milter");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dlp-milter {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Adds account `name` with `role`, its password given on standard input.
pub fn add_user(config: &Path, name: &str, role: &str, password: &str) {
    cli(
        config,
        &["user", "add", name, "--role", role, "--password-stdin"],
        Some(&format!("{password}\n")),
    );
}

/// A running `dlp-milter console`; killed when dropped.
pub struct Console {
    /// `host:port` it listens on.
    pub addr: String,
    child: Child,
}

impl Console {
    /// Starts the console on `127.0.0.1:0` and reads the address it
    /// announces on its first line of output.
    pub fn spawn(config: &Path) -> Console {
        let mut child = Command::new(BIN)
            .args(["console", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the console");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .filter(|a| a.contains(':'))
            .map(str::to_string);
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the console did not say where it listens: {line:?}");
        };
        Console { addr, child }
    }

    /// `http://host:port` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

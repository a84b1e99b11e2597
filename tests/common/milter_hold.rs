//! The milter served in the test's own process (included with `#[path]`):
//! [`serve`] puts a [`Milter`] on a loopback port for a test to speak the
//! milter protocol to, as Postfix would (tests/milter_actions.rs,
//! tests/milter_direction.rs); and holds made the way production makes
//! them, a letter sent through it with the real detection and rules into a
//! quarantine ([`hold_through_milter`]), so that what the DPO and the
//! sender see in the browser tests went through the real hold path.
#![allow(dead_code)]

use dlp_milter::config::Config;
use dlp_milter::milter::{Milter, MilterListener, SocketSpec, UnixOptions};
use dlp_milter::quarantine::{Filter, HoldStore, Quarantine};
use indymilter_test::{MacroStage, Status, TestConnection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A milter serving on a loopback port until stopped.
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves `milter` on 127.0.0.1, on a port the system picks.
pub async fn serve(milter: Milter) -> Served {
    let spec = SocketSpec::parse("inet:127.0.0.1:0").unwrap();
    let listener = MilterListener::bind(&spec, &UnixOptions::default(), true)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        milter
            .run(listener, async {
                let _ = stopped.await;
            })
            .await
    });
    Served {
        addr,
        stop: Some(stop),
        task,
    }
}

impl Served {
    /// Asks the milter to stop: it takes no new connection and finishes
    /// the sessions it has.
    pub fn signal_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Stops the milter and waits for it to end (10 s at most); panics if
    /// it does not end, or ends with an error.
    pub async fn stop(mut self) {
        self.signal_stop();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("milter stops")
            .unwrap()
            .unwrap();
    }
}

/// One message as Postfix hands it to the milter.
pub struct Letter {
    /// The SASL login (`{auth_authen}`): mail from a signed-in user is outbound.
    pub auth: String,
    pub sender: String,
    pub recipients: Vec<String>,
    /// Header fields in order (name, value).
    pub headers: Vec<(String, String)>,
    /// The body with CRLF line ends, as Postfix sends it.
    pub body: Vec<u8>,
    /// Postfix's queue id (macro `i`).
    pub queue_id: String,
}

/// Sends `letter` through a milter over `q` (the rules of `cfg`), asserts
/// the milter discarded it (held), and returns the reference of the new hold.
pub async fn hold_through_milter(q: &Arc<Quarantine>, cfg: &Config, letter: &Letter) -> String {
    let holds = || Filter {
        holds_only: true,
        ..Filter::default()
    };
    let before: Vec<String> = q
        .list(&holds())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let store: Arc<dyn HoldStore> = q.clone();
    let served = serve(Milter::new(cfg, store, q.key().to_vec()).unwrap()).await;
    let mut c = TestConnection::configure()
        .open_tcp(served.addr)
        .await
        .unwrap();
    c.macros(MacroStage::Mail, [("{auth_authen}", letter.auth.as_str())])
        .await
        .unwrap();
    c.mail([format!("<{}>", letter.sender).as_str()])
        .await
        .unwrap();
    for r in &letter.recipients {
        c.rcpt([format!("<{r}>").as_str()]).await.unwrap();
    }
    for (name, value) in &letter.headers {
        c.header(name.as_str(), value.as_str()).await.unwrap();
    }
    c.body(letter.body.clone()).await.unwrap();
    c.macros(MacroStage::Eom, [("i", letter.queue_id.as_str())])
        .await
        .unwrap();
    let (_, status) = c.eom().await.unwrap();
    assert_eq!(status, Status::Discard, "held by the milter");
    c.close().await.unwrap();
    served.stop().await;
    let new: Vec<String> = q
        .list(&holds())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(new.len(), 1, "one new hold: {new:?}");
    new[0].clone()
}

//! The milter side of the MTA connection on any bytes: indymilter decodes
//! the packets (length-prefixed commands: option negotiation, macros,
//! connect, HELO, MAIL, RCPT, headers, body chunks, end of message, abort,
//! quit) and calls our session callbacks, which collect the message, scan
//! it at end of message and carry out the decision (header edits, body
//! replacement, hold into a store that keeps nothing). The bytes arrive
//! over an in-memory stream as if from Postfix; whatever they are, the
//! session must answer or close, never panic or hang.
#![no_main]
use dlp_milter::config::Config;
use dlp_milter::milter::Milter;
use dlp_milter::policy::Action;
use dlp_milter::quarantine::{HoldReceipt, HoldRequest, HoldStore, QuarantineError};
use libfuzzer_sys::fuzz_target;
use std::io;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A quarantine that accepts every hold and keeps nothing: the fuzzer
/// exercises the session, not the disk.
struct NullStore;

impl HoldStore for NullStore {
    fn hold(&self, _: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError> {
        Ok(HoldReceipt { id: "FUZZ".into() })
    }
    fn record_decision(&self, _: &HoldRequest<'_>, _: Action) -> Result<(), QuarantineError> {
        Ok(())
    }
    fn claim_marker(&self, _: &str, _: i64, _: i64) -> Result<bool, QuarantineError> {
        Ok(true)
    }
    fn probe_write(&self) -> Result<(), QuarantineError> {
        Ok(())
    }
    fn gauges(&self) -> Result<dlp_milter::quarantine::StoreGauges, QuarantineError> {
        Ok(dlp_milter::quarantine::StoreGauges::default())
    }
}

/// Hands out one connection, then none.
struct OneConnection(Option<DuplexStream>);

impl indymilter::Listener for OneConnection {
    type Io = DuplexStream;
    fn poll_accept(&mut self, _: &mut Context<'_>) -> Poll<io::Result<DuplexStream>> {
        match self.0.take() {
            Some(s) => Poll::Ready(Ok(s)),
            None => Poll::Pending,
        }
    }
}

/// The marker key the daemon checks releases with (the marker target's).
const KEY: &[u8] = b"dlp-milter fuzz marker key 32 b.";

fn milter() -> &'static Milter {
    static MILTER: OnceLock<Milter> = OnceLock::new();
    MILTER.get_or_init(|| {
        Milter::new(&Config::default(), Arc::new(NullStore), KEY.to_vec()).expect("default config")
    })
}

fuzz_target!(|data: &[u8]| {
    let milter = milter();
    // A runtime per input: dropping it joins its blocking threads, so a scan
    // still running when the MTA hung up finishes within this input. With
    // one runtime for the whole run, such a scan's allocations were still
    // live when libFuzzer compared mallocs and frees after the input, and
    // LeakSanitizer reported a leak that no single input reproduces.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (mut from_milter, mut to_milter) = tokio::io::split(client);
        // The MTA writes everything, then closes its side; it reads the
        // replies at the same time so a full pipe cannot wedge either side.
        let mta = async move {
            let write = async {
                let _ = to_milter.write_all(data).await;
                let _ = to_milter.shutdown().await;
            };
            let mut replies = Vec::new();
            let read = from_milter.read_to_end(&mut replies);
            let (_, _) = tokio::join!(write, read);
        };
        let config = indymilter::Config::default();
        let served = indymilter::run(OneConnection(Some(server)), milter.callbacks(), config, mta);
        let _ = served.await;
    });
});

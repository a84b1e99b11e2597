//! The daemon's pool of scan worker processes (`dlp-milter scan-worker`,
//! protocol in [`crate::scan_worker`]).
//!
//! A scan takes a permit (at most `scan_workers` at once), an idle worker
//! (or starts one), writes the message down the worker's stdin and reads
//! the answer from its stdout, all through tokio's async pipes: the I/O
//! side never blocks on a worker. What can go wrong costs that one message
//! its scan, and the worker its life:
//!
//! - over the scan budget: the worker is SIGKILLed at once (not waited
//!   for) and the permit released with it;
//! - it died (its memory or CPU limit, a crash): the pipe closes, the exit
//!   status says why;
//!
//! and a replacement is started in the background. A worker whose CPU
//! time nears its RLIMIT_CPU is retired between messages, so the limit
//! only ever stops a runaway scan.

use crate::message::Envelope;
use crate::scan::{Analysis, ScannerSetup};
use crate::scan_worker::{self, Fault, Request, Response, WorkerLimits};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

/// The environment variable that lets `milter.test_fault_header` work.
pub const TEST_FAULTS_ENV: &str = "DLP_MILTER_TEST_FAULTS";

/// Share of `worker_cpu_s` after which a worker is retired between messages.
const CPU_RECYCLE_PERCENT: u64 = 50;

/// Why a scan in a worker gave no analysis.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ScanFailure {
    /// Over `milter.scan_timeout_ms`, waiting for a worker included.
    #[error("scan exceeded milter.scan_timeout_ms")]
    Timeout,
    #[error("scan worker died: {0}")]
    Died(String),
    /// The scan ran and failed (a parser panicked, caught in the worker).
    #[error("{0}")]
    Failed(String),
    #[error("cannot start a scan worker: {0}")]
    Spawn(String),
}

/// How the pool starts its workers.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The `dlp-milter` binary (the daemon's own).
    pub exe: PathBuf,
    pub workers: usize,
    pub limits: WorkerLimits,
}

/// One live worker process.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The setup it was last sent (re-sent after a reload).
    setup: Option<ScannerSetup>,
    cpu_ms: u64,
}

/// The pool. Cheap to share (`Arc`).
pub struct WorkerPool {
    config: PoolConfig,
    idle: Mutex<Vec<Worker>>,
    permits: Arc<Semaphore>,
    faults: bool,
}

impl WorkerPool {
    /// A pool of `config.workers` workers, none started yet ([`WorkerPool::warm`]
    /// starts them). Test faults are honoured when `DLP_MILTER_TEST_FAULTS=1`
    /// is in the daemon's environment now.
    pub fn new(config: PoolConfig) -> Arc<WorkerPool> {
        let n = config.workers.max(1);
        Arc::new(WorkerPool {
            faults: std::env::var(TEST_FAULTS_ENV).is_ok_and(|v| v == "1"),
            permits: Arc::new(Semaphore::new(n)),
            idle: Mutex::new(Vec::with_capacity(n)),
            config,
        })
    }

    /// Whether test faults may be asked for (see [`TEST_FAULTS_ENV`]).
    pub fn faults_enabled(&self) -> bool {
        self.faults
    }

    /// Starts every worker, so the first messages do not wait for one.
    pub async fn warm(self: &Arc<Self>, setup: &ScannerSetup) -> Result<(), ScanFailure> {
        for _ in 0..self.config.workers.max(1) {
            let w = self.start(setup).await?;
            self.put_back(w);
        }
        Ok(())
    }

    /// Scans `raw` in a worker within `budget` (waiting for a permit
    /// included). The message bytes come back with the result.
    pub async fn scan(
        self: &Arc<Self>,
        setup: &ScannerSetup,
        raw: Vec<u8>,
        envelope: &Envelope,
        fault: Option<Fault>,
        budget: Duration,
    ) -> (Result<Analysis, ScanFailure>, Vec<u8>) {
        let deadline = Instant::now() + budget;
        let fault = fault.filter(|_| self.faults);
        let _permit = match timeout_at(deadline, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return (Err(ScanFailure::Spawn("pool closed".into())), raw),
            Err(_) => return (Err(ScanFailure::Timeout), raw),
        };
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut worker = match idle {
            Some(w) => w,
            None => match timeout_at(deadline, self.start(setup)).await {
                Ok(Ok(w)) => w,
                Ok(Err(e)) => return (Err(e), raw),
                Err(_) => return (Err(ScanFailure::Timeout), raw),
            },
        };
        let send_setup = worker.setup.as_ref() != Some(setup);
        let req = Request {
            setup: send_setup.then(|| setup.clone()),
            envelope: envelope.clone(),
            fault,
        };
        let answer = timeout_at(deadline, exchange(&mut worker, &req, &raw)).await;
        let result = match answer {
            Ok(Ok(resp)) => {
                if send_setup {
                    worker.setup = Some(setup.clone());
                }
                worker.cpu_ms = resp.cpu_ms;
                self.keep_or_retire(worker, setup);
                resp.result.map(Analysis::from).map_err(ScanFailure::Failed)
            }
            Ok(Err(e)) => {
                let why = self.bury(worker, e).await;
                crate::metrics::global().worker_exit("died");
                self.replace(setup);
                Err(ScanFailure::Died(why))
            }
            Err(_) => {
                tracing::warn!(
                    queue_id = envelope.queue_id.as_deref().unwrap_or("-"),
                    budget_ms = budget.as_millis() as u64,
                    "scan over its budget: the worker was killed"
                );
                self.kill(worker);
                crate::metrics::global().worker_exit("timeout");
                self.replace(setup);
                Err(ScanFailure::Timeout)
            }
        };
        (result, raw)
    }

    /// Starts one worker and checks it answers (an empty message, which
    /// also builds its scanner before real mail arrives).
    async fn start(&self, setup: &ScannerSetup) -> Result<Worker, ScanFailure> {
        let mut child = Command::new(&self.config.exe)
            .arg("scan-worker")
            .arg("--memory-mb")
            .arg((self.config.limits.memory_bytes >> 20).to_string())
            .arg("--cpu-s")
            .arg(self.config.limits.cpu_s.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // mimalloc reserves a 1 GiB arena at start-up by default, which
            // RLIMIT_DATA counts before the worker can set it: in 64 MiB
            // steps the limit measures the heap in use (docs/milter.md).
            .env("MIMALLOC_ARENA_RESERVE", "64MiB")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ScanFailure::Spawn(format!("{}: {e}", self.config.exe.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ScanFailure::Spawn("no pipes to the worker".into()));
        };
        let mut w = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            setup: None,
            cpu_ms: 0,
        };
        let req = Request {
            setup: Some(setup.clone()),
            envelope: Envelope::default(),
            fault: None,
        };
        match exchange(&mut w, &req, b"").await {
            Ok(r) => {
                w.setup = Some(setup.clone());
                w.cpu_ms = r.cpu_ms;
                Ok(w)
            }
            Err(e) => {
                let why = self.bury(w, e).await;
                Err(ScanFailure::Spawn(why))
            }
        }
    }

    /// Back to the idle list, unless its CPU time nears the limit (or the
    /// pool is full, after a replacement raced a scan that started one).
    fn keep_or_retire(self: &Arc<Self>, w: Worker, setup: &ScannerSetup) {
        let cpu_limit_ms = self.config.limits.cpu_s.saturating_mul(1000);
        if w.cpu_ms >= cpu_limit_ms.saturating_mul(CPU_RECYCLE_PERCENT) / 100 {
            tracing::info!(
                cpu_ms = w.cpu_ms,
                "scan worker retired before its CPU limit"
            );
            retire(w);
            crate::metrics::global().worker_exit("retired");
            self.replace(setup);
        } else {
            self.put_back(w);
        }
    }

    fn put_back(&self, w: Worker) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.config.workers.max(1) {
            idle.push(w);
        } else {
            drop(idle);
            retire(w);
        }
    }

    /// SIGKILL now; reaped in the background.
    fn kill(&self, mut w: Worker) {
        if let Err(e) = w.child.start_kill() {
            tracing::warn!(error = %e, "cannot kill a scan worker");
        }
        tokio::spawn(async move {
            let _ = w.child.wait().await;
        });
    }

    /// A worker whose pipe failed: why it died (its exit status, which
    /// comes at once after its pipe closed; killed if it has not exited).
    async fn bury(&self, mut w: Worker, e: scan_worker::WorkerError) -> String {
        match tokio::time::timeout(Duration::from_millis(500), w.child.wait()).await {
            Ok(Ok(status)) => describe(status, self.config.limits),
            _ => {
                self.kill(w);
                format!("its pipe failed ({e}); killed")
            }
        }
    }

    /// Starts a replacement in the background.
    fn replace(self: &Arc<Self>, setup: &ScannerSetup) {
        let pool = self.clone();
        let setup = setup.clone();
        tokio::spawn(async move {
            let started = pool.start(&setup).await;
            crate::metrics::global().worker_restart(started.is_ok());
            match started {
                Ok(w) => pool.put_back(w),
                // The next scan starts one itself.
                Err(e) => tracing::error!(error = %e, "cannot replace a scan worker"),
            }
        });
    }
}

/// Closes the worker's stdin (it exits at the end of input); reaped in the
/// background, killed if it lingers.
fn retire(w: Worker) {
    let Worker {
        mut child, stdin, ..
    } = w;
    drop(stdin);
    tokio::spawn(async move {
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    });
}

/// What an exit status says about a worker's death.
fn describe(status: std::process::ExitStatus, limits: WorkerLimits) -> String {
    let mb = limits.memory_bytes >> 20;
    match (status.signal(), status.code()) {
        (Some(9), _) => format!("killed (SIGKILL: its CPU limit of {} s?)", limits.cpu_s),
        (Some(24), _) => format!("over its CPU limit of {} s (SIGXCPU)", limits.cpu_s),
        (Some(6), _) => {
            format!("aborted (SIGABRT: out of memory at its {mb} MiB limit, or a crash)")
        }
        (Some(s), _) => format!("killed by signal {s}"),
        (None, Some(c)) => format!("exited with status {c}"),
        (None, None) => "ended".into(),
    }
}

/// One request and its response.
async fn exchange(
    w: &mut Worker,
    req: &Request,
    raw: &[u8],
) -> Result<Response, scan_worker::WorkerError> {
    let head = scan_worker::encode_request(req, raw.len())?;
    w.stdin.write_all(&head).await?;
    w.stdin.write_all(raw).await?;
    w.stdin.flush().await?;
    let mut len = [0u8; 4];
    w.stdout.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > scan_worker::MAX_JSON_FRAME {
        return Err(scan_worker::WorkerError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    w.stdout.read_exact(&mut body).await?;
    Ok(serde_json::from_slice(&body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deaths_are_described_by_their_cause() {
        let limits = WorkerLimits {
            memory_bytes: 512 << 20,
            cpu_s: 60,
        };
        let s = |raw: i32| std::process::ExitStatus::from_raw(raw);
        assert!(describe(s(9), limits).contains("SIGKILL"));
        assert!(describe(s(6), limits).contains("512 MiB"));
        assert!(describe(s(24), limits).contains("SIGXCPU"));
        assert!(describe(s(3 << 8), limits).contains("status 3"));
    }
}

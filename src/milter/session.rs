//! Milter callbacks: one [`Session`] per MTA connection, one `Txn` per
//! message, and the end-of-message logic that scans and answers.
//!
//! Negotiation asks only for the stages that carry data we use (MAIL, RCPT,
//! headers, body, end of message) and declares that none of them ever
//! answers (`SMFIP_NR_*`), so Postfix streams a message without waiting for
//! a round trip per header; connection-level data comes from macros
//! requested at MAIL instead of the CONNECT/HELO stages.
//!
//! Errors never escape a callback: every failure becomes a configured
//! status (TEMPFAIL when in doubt, see [`super::FailurePolicy`]), and the
//! reason is logged with the queue id.

use super::failure::{self, Cause, Response};
use super::pool::{ScanFailure, WorkerPool};
use super::server::{DaemonState, Loaded};
use super::HoldMode;
use crate::action::{self, Disposition, Edit, Plan};
use crate::direction::{self, Classified, Source};
use crate::message::{clean_path, Envelope};
use crate::policy::{Action, PolicyMode};
use crate::quarantine::{marker, HoldRequest, HoldStore};
use crate::scan::ScanReport;
use crate::scan_worker::Fault;
use crate::vocab::{COULD_NOT_CHECK_RULE, HOLD_RULES_HEADER, VERDICT_HEADER};
use indymilter::{
    Actions, Callbacks, ContextActions, EomContext, MacroStage, Macros, NegotiateContext,
    ProtoOpts, SetErrorReply, Status,
};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Stages we skip entirely.
const SKIPPED: ProtoOpts = ProtoOpts::NO_CONNECT
    .union(ProtoOpts::NO_HELO)
    .union(ProtoOpts::NO_DATA)
    .union(ProtoOpts::NO_EOH)
    .union(ProtoOpts::NO_UNKNOWN);

/// Stages we listen to but never answer.
const NO_REPLY: ProtoOpts = ProtoOpts::NOREPLY_MAIL
    .union(ProtoOpts::NOREPLY_RCPT)
    .union(ProtoOpts::NOREPLY_HEADER)
    .union(ProtoOpts::NOREPLY_BODY)
    .union(ProtoOpts::NOREPLY_CONNECT)
    .union(ProtoOpts::NOREPLY_HELO)
    .union(ProtoOpts::NOREPLY_DATA)
    .union(ProtoOpts::NOREPLY_EOH)
    .union(ProtoOpts::NOREPLY_UNKNOWN);

/// End-of-message actions we may use.
const ACTIONS: Actions = Actions::ADD_HEADER
    .union(Actions::CHANGE_HEADER)
    .union(Actions::REPLACE_BODY)
    .union(Actions::QUARANTINE)
    .union(Actions::REQUEST_MACROS);

/// Macros asked for at MAIL (Postfix's defaults lack `{client_addr}` and
/// `{daemon_name}` there, and we skip CONNECT where they normally come).
/// `{auth_authen}`, `{client_addr}` and `{daemon_name}` decide the
/// direction ([`crate::direction`]); Postfix honours a milter's own list,
/// so main.cf needs no `milter_*_macros` line.
const MAIL_MACROS: &str = "i {auth_authen} {client_addr} {daemon_name} {mail_addr}";
/// `{i}` is missing at MAIL and the first RCPT; it is certain at end of message.
const EOM_MACROS: &str = "i";

/// State of one MTA connection.
#[derive(Default)]
pub struct Session {
    /// Protocol options agreed with the MTA.
    opts: ProtoOpts,
    txn: Option<Txn>,
    /// Counts the connection in `dlp_milter_sessions_open` while it lives.
    _open: crate::metrics::SessionOpen,
}

impl Session {
    /// The status for a stage we declared no-reply for (if the MTA agreed).
    fn quiet(&self, flag: ProtoOpts) -> Status {
        if self.opts.contains(flag) {
            Status::Noreply
        } else {
            Status::Continue
        }
    }
}

/// Counts messages between MAIL and their end (for graceful shutdown).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: &Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::SeqCst);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One message being received.
struct Txn {
    started: Instant,
    envelope: Envelope,
    daemon: Option<String>,
    /// Whether the client may send outgoing mail, known at MAIL FROM. An
    /// untrusted source is inbound whatever its recipients: its headers and
    /// body are not kept.
    source: Source,
    /// (name, value) as received, for the release check and the rewrites.
    headers: Vec<(String, String)>,
    /// The header block as it will be scanned and stored.
    raw: Vec<u8>,
    body_start: usize,
    /// More than `max_bytes` arrived: collection stopped.
    oversize: bool,
    /// `milter.max_message_bytes` when the message began.
    max_bytes: usize,
    _in_flight: InFlight,
}

fn macro_str(m: &Macros, name: &CStr) -> Option<String> {
    m.get(name)
        .map(|v| v.to_string_lossy().trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The callbacks, bound to the shared daemon state.
pub fn callbacks(shared: Arc<DaemonState>) -> Callbacks<Session> {
    let (s2, s6) = (shared.clone(), shared);
    Callbacks::new()
        .on_negotiate(|cx, actions, opts| Box::pin(async move { negotiate(cx, actions, opts) }))
        .on_mail(move |cx, args| {
            let shared = s2.clone();
            Box::pin(async move {
                let sess = cx.data.get_or_insert_with(Session::default);
                let sender = args
                    .first()
                    .map(|a| clean_path(&a.to_string_lossy()))
                    .or_else(|| macro_str(&cx.macros, c"{mail_addr}").map(|s| clean_path(&s)))
                    .unwrap_or_default();
                let loaded = shared.current();
                let envelope = Envelope {
                    sender,
                    recipients: Vec::new(),
                    auth_user: macro_str(&cx.macros, c"{auth_authen}"),
                    queue_id: macro_str(&cx.macros, c"i"),
                    client_addr: macro_str(&cx.macros, c"{client_addr}"),
                };
                let daemon = macro_str(&cx.macros, c"{daemon_name}");
                let source = loaded.trust.source(
                    envelope.auth_user.as_deref(),
                    envelope.client_addr.as_deref(),
                    daemon.as_deref(),
                );
                let trusted = source.trusted();
                // A new MAIL ends whatever came before (its InFlight drops).
                sess.txn = Some(Txn {
                    started: Instant::now(),
                    envelope,
                    daemon,
                    source,
                    headers: Vec::new(),
                    raw: if trusted {
                        Vec::with_capacity(4096)
                    } else {
                        Vec::new()
                    },
                    body_start: 0,
                    oversize: false,
                    max_bytes: loaded.milter.max_message_bytes,
                    _in_flight: InFlight::new(&shared.in_flight),
                });
                sess.quiet(ProtoOpts::NOREPLY_MAIL)
            })
        })
        .on_rcpt(|cx, args| {
            Box::pin(async move {
                let sess = cx.data.get_or_insert_with(Session::default);
                if let (Some(txn), Some(a)) = (sess.txn.as_mut(), args.first()) {
                    let r = clean_path(&a.to_string_lossy());
                    if !r.is_empty() {
                        txn.envelope.recipients.push(r);
                    }
                }
                sess.quiet(ProtoOpts::NOREPLY_RCPT)
            })
        })
        .on_header(|cx, name, value| {
            Box::pin(async move {
                let sess = cx.data.get_or_insert_with(Session::default);
                let leading = sess.opts.contains(ProtoOpts::LEADING_SPACE);
                if let Some(txn) = sess.txn.as_mut().filter(|t| t.source.trusted()) {
                    add_header(txn, &name, &value, leading);
                }
                sess.quiet(ProtoOpts::NOREPLY_HEADER)
            })
        })
        .on_body(|cx, chunk| {
            Box::pin(async move {
                let sess = cx.data.get_or_insert_with(Session::default);
                if let Some(txn) = sess.txn.as_mut().filter(|t| t.source.trusted()) {
                    if txn.body_start == 0 {
                        txn.raw.extend_from_slice(b"\r\n");
                        txn.body_start = txn.raw.len();
                    }
                    if txn.raw.len() + chunk.len() > txn.max_bytes {
                        txn.oversize = true;
                    } else if !txn.oversize {
                        txn.raw.extend_from_slice(&chunk);
                    }
                }
                sess.quiet(ProtoOpts::NOREPLY_BODY)
            })
        })
        .on_eom(move |cx| {
            let shared = s6.clone();
            Box::pin(async move { end_of_message(cx, &shared).await })
        })
        .on_abort(|cx| {
            Box::pin(async move {
                if let Some(sess) = cx.data.as_mut() {
                    sess.txn = None;
                }
                Status::Continue
            })
        })
        .on_close(|cx| {
            Box::pin(async move {
                if let Some(sess) = cx.data.as_mut() {
                    sess.txn = None;
                }
                Status::Continue
            })
        })
}

fn negotiate(cx: &mut NegotiateContext<Session>, actions: Actions, opts: ProtoOpts) -> Status {
    let wanted = SKIPPED | NO_REPLY | ProtoOpts::LEADING_SPACE;
    // Only what the MTA offers: asking for more ends the connection.
    let agreed = wanted & opts;
    cx.requested_opts = agreed;
    cx.requested_actions = ACTIONS & actions;
    if actions.contains(Actions::REQUEST_MACROS) {
        if let (Ok(mail), Ok(eom)) = (CString::new(MAIL_MACROS), CString::new(EOM_MACROS)) {
            cx.requested_macros = HashMap::from([(MacroStage::Mail, mail), (MacroStage::Eom, eom)]);
        }
    }
    cx.data = Some(Session {
        opts: agreed,
        ..Session::default()
    });
    Status::Continue
}

/// Appends one header to the transaction: the (name, value) pair and its
/// raw form (`Name:value` as received when leading space is preserved,
/// `Name: value` otherwise), with CRLF line ends in folded values.
fn add_header(txn: &mut Txn, name: &CStr, value: &CStr, leading_space: bool) {
    let (n, v) = (name.to_bytes(), value.to_bytes());
    if txn.oversize || txn.raw.len() + n.len() + v.len() + 4 > txn.max_bytes {
        txn.oversize = true;
        return;
    }
    txn.raw.extend_from_slice(n);
    txn.raw.push(b':');
    if !leading_space {
        txn.raw.push(b' ');
    }
    let mut prev = 0u8;
    for &b in v {
        if b == b'\n' && prev != b'\r' {
            txn.raw.push(b'\r');
        }
        txn.raw.push(b);
        prev = b;
    }
    txn.raw.extend_from_slice(b"\r\n");
    txn.headers.push((
        String::from_utf8_lossy(n).into_owned(),
        String::from_utf8_lossy(v).into_owned(),
    ));
}

/// The kind of a valid, first-used marker the message carries, if any.
/// Only messages that have a marker header pay for the check. The marker
/// must bind this body, sender and recipient set, and its id is claimed in
/// the store (durably) so it passes once, also across restarts.
fn trusted_marker(shared: &DaemonState, txn: &Txn) -> Option<marker::Kind> {
    let has = |name: &str| {
        txn.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let now = crate::dates::now();
    let mut parsed = None;
    let keys: Vec<&[u8]> = shared.marker_keys.iter().map(Vec::as_slice).collect();
    for kind in [marker::Kind::Release, marker::Kind::Notice] {
        if !has(kind.header()) {
            continue;
        }
        let (headers, binding) = parsed.get_or_insert_with(|| {
            let body = txn.raw.get(txn.body_start..).unwrap_or_default();
            (
                marker::parse_headers(&txn.raw),
                marker::Binding::new(body, &txn.envelope.sender, &txn.envelope.recipients),
            )
        });
        let outcome = marker::verify_with(headers, &keys, kind, binding, now).and_then(|v| {
            match shared
                .store
                .claim_marker(&v.used_key(), v.remember_until(), now)
            {
                Ok(true) => Ok(v),
                Ok(false) => Err(marker::MarkerError::Replayed),
                Err(e) => {
                    // Cannot remember it: do not honour it (scanning is safe).
                    tracing::warn!(error = %e, "cannot record a used marker");
                    Err(marker::MarkerError::Replayed)
                }
            }
        });
        match outcome {
            Ok(_) => return Some(kind),
            Err(e) => tracing::warn!(
                queue_id = txn.envelope.queue_id.as_deref().unwrap_or("-"),
                marker = kind.header(),
                error = %e,
                "marker not honoured; the message is scanned"
            ),
        }
    }
    None
}

/// Scans off the I/O threads within the time budget: in a worker process
/// when the daemon has a pool (`serve`), else on a blocking thread (the
/// in-process milter of the library's tests).
async fn scan(
    shared: &DaemonState,
    loaded: &Arc<Loaded>,
    txn: &mut Txn,
    direction: &Classified,
) -> Result<ScanReport, ScanFailure> {
    let budget = Duration::from_millis(loaded.milter.scan_timeout_ms);
    let raw = std::mem::take(&mut txn.raw);
    if let Some(pool) = &shared.workers {
        let fault = test_fault(pool, loaded, txn);
        let start = Instant::now();
        let (result, raw) = pool
            .scan(loaded.engine.setup(), raw, &txn.envelope, fault, budget)
            .await;
        txn.raw = raw;
        return result.map(|a| {
            let mut r = loaded.engine.decide_in(a, direction.clone());
            r.elapsed_us = start.elapsed().as_micros() as u64;
            r
        });
    }
    // Waiting for a scan thread counts against the budget too.
    let permit =
        match tokio::time::timeout(budget, shared.scan_permits.clone().acquire_owned()).await {
            Err(_) => {
                txn.raw = raw;
                return Err(ScanFailure::Timeout);
            }
            Ok(Err(_)) => {
                txn.raw = raw;
                return Err(ScanFailure::Spawn("scan threads closed".into()));
            }
            Ok(Ok(p)) => p,
        };
    let engine = loaded.clone();
    let envelope = txn.envelope.clone();
    let direction = direction.clone();
    // The in-process scan cannot be killed: a timed-out one keeps its
    // thread and permit until it ends. It scans a shared copy, so the
    // message keeps its bytes for a failure hold.
    let raw = Arc::new(raw);
    let shared_raw = raw.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        engine
            .engine
            .scan_in(&shared_raw, Some(&envelope), &direction)
    });
    let result = tokio::time::timeout(budget, task).await;
    txn.raw = Arc::try_unwrap(raw).unwrap_or_else(|r| r.as_ref().clone());
    match result {
        Err(_) => Err(ScanFailure::Timeout),
        Ok(Err(e)) => Err(ScanFailure::Died(e.to_string())),
        Ok(Ok(report)) => match &report.error {
            Some(e) => Err(ScanFailure::Failed(e.clone())),
            None => Ok(report),
        },
    }
}

/// The test fault a message asks for, when the daemon allows them.
fn test_fault(pool: &WorkerPool, loaded: &Loaded, txn: &Txn) -> Option<Fault> {
    if !pool.faults_enabled() {
        return None;
    }
    let name = loaded.milter.test_fault_header.as_deref()?;
    txn.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| Fault::parse(v))
}

fn cause_of(f: &ScanFailure) -> Cause {
    match f {
        ScanFailure::Timeout => Cause::Timeout,
        ScanFailure::Died(_) => Cause::Died,
        ScanFailure::Failed(_) => Cause::Failed,
        ScanFailure::Spawn(_) => Cause::Unavailable,
    }
}

/// What the log line says happened.
struct Outcome {
    status: Status,
    disposition: &'static str,
    hold_id: Option<String>,
    rewrites: Vec<&'static str>,
    error: Option<String>,
    /// Why the message could not be checked, when the failure policy decided.
    cause: Option<Cause>,
}

impl Outcome {
    fn new(status: Status, disposition: &'static str) -> Outcome {
        Outcome {
            status,
            disposition,
            hold_id: None,
            rewrites: Vec::new(),
            error: None,
            cause: None,
        }
    }
}

async fn end_of_message(cx: &mut EomContext<Session>, shared: &DaemonState) -> Status {
    let Some(txn) = cx.data.as_mut().and_then(|s| s.txn.take()) else {
        // End of message without MAIL: nothing to judge (a confused client).
        return Status::Continue;
    };
    let loaded = shared.current();
    let mut txn = txn;
    if let Some(q) = macro_str(&cx.macros, c"i") {
        txn.envelope.queue_id = Some(q);
    }
    // Inbound mail is not ours: untouched, unscanned, one log line.
    let direction = direction::direction_of(
        &loaded.trust,
        &txn.source,
        &txn.envelope.sender,
        &txn.envelope.recipients,
    );
    if !direction.direction.scanned() {
        let out = Outcome::new(Status::Accept, "pass-inbound");
        log_line(&txn, &direction, None, &out);
        count(&direction, None, &out);
        return out.status;
    }
    if txn.body_start == 0 {
        txn.raw.extend_from_slice(b"\r\n");
        txn.body_start = txn.raw.len();
    }

    // Released from our quarantine, or our own notice: out once,
    // unscanned, markers removed.
    if let Some(kind) = trusted_marker(shared, &txn) {
        let edits = action::strip_own_headers(&txn.headers);
        let what = match kind {
            marker::Kind::Release => "released",
            marker::Kind::Notice => "notice",
        };
        let out = match apply(cx, &edits).await {
            Ok(()) => Outcome::new(Status::Accept, what),
            Err(e) => tempfail(cx, what, e),
        };
        log_line(&txn, &direction, None, &out);
        count(&direction, None, &out);
        return out.status;
    }

    let hold_mode = loaded.milter.hold_mode;
    let enforced = loaded.engine.policy.mode == PolicyMode::Enforce;
    let scanned = if txn.oversize {
        Err((
            Cause::Oversize,
            "message larger than milter.max_message_bytes".to_string(),
        ))
    } else {
        scan(shared, &loaded, &mut txn, &direction)
            .await
            .map_err(|f| (cause_of(&f), f.to_string()))
    };
    let (out, report) = match scanned {
        Ok(mut report) => {
            let unchecked = report.could_not_check().len();
            let response = if unchecked > 0 && report.decision.verdict < Action::Hold {
                failure::respond(
                    loaded.milter.on_failure,
                    Cause::Incomplete,
                    hold_mode,
                    enforced,
                )
            } else {
                Response::AsDecided
            };
            let mut out = match response {
                Response::Hold { postfix } => {
                    report.decision.hold_unchecked(COULD_NOT_CHECK_RULE);
                    let mode = if postfix {
                        HoldMode::PostfixHold
                    } else {
                        hold_mode
                    };
                    decided(cx, shared, &loaded, &txn, &report, mode).await
                }
                Response::Tempfail => tempfail(
                    cx,
                    "fail-closed",
                    format!("{unchecked} parts could not be checked"),
                ),
                Response::AsDecided | Response::AcceptTagged => {
                    decided(cx, shared, &loaded, &txn, &report, hold_mode).await
                }
            };
            out.cause = (response != Response::AsDecided).then_some(Cause::Incomplete);
            (out, Some(report))
        }
        Err((cause, reason)) => {
            let response = failure::respond(loaded.milter.on_failure, cause, hold_mode, enforced);
            let (mut out, report) = match response {
                Response::Hold { postfix } => {
                    let mut report = loaded.engine.failed(reason.clone());
                    report.direction = direction.clone();
                    report.recipient_count = txn.envelope.recipients.len();
                    report.decision.hold_unchecked(COULD_NOT_CHECK_RULE);
                    // Without the bytes (oversize) only Postfix can keep
                    // the message.
                    let mode = if postfix || txn.raw.is_empty() {
                        HoldMode::PostfixHold
                    } else {
                        hold_mode
                    };
                    let mut out = decided(cx, shared, &loaded, &txn, &report, mode).await;
                    out.error.get_or_insert(reason);
                    (out, Some(report))
                }
                Response::Tempfail => {
                    let mut o = tempfail(cx, "fail-closed", reason);
                    o.disposition = "fail-closed";
                    (o, None)
                }
                Response::AcceptTagged | Response::AsDecided => {
                    (accept_unscanned(cx, &txn.headers, reason).await, None)
                }
            };
            out.cause = Some(cause);
            (out, report)
        }
    };
    log_line(&txn, &direction, report.as_ref(), &out);
    count(&direction, report.as_ref(), &out);
    out.status
}

/// The message's metrics ([`crate::metrics`]), from the facts its log line
/// has: a TEMPFAIL counts by the failure's cause (or by what failed after
/// the scan: `hold-failed`, `edit-failed`), an unscanned accept by its cause.
/// Inbound mail counts too (action `pass-inbound`): a relay whose staff mail
/// is wrongly classed inbound shows up as a growing inbound count.
fn count(direction: &Classified, report: Option<&ScanReport>, out: &Outcome) {
    let cause = out.cause.map(Cause::as_str);
    let tempfail = (out.status == Status::Tempfail).then_some(match (out.disposition, cause) {
        ("fail-closed", Some(c)) => c,
        (d, _) => d,
    });
    let fail_open = (out.status == Status::Accept && out.disposition == "fail-open")
        .then(|| cause.unwrap_or("unknown"));
    crate::metrics::global().message(&crate::metrics::MessageEvent {
        direction: direction.direction.as_str(),
        report,
        action: out.disposition,
        tempfail,
        fail_open,
    });
}

/// Carries out a completed scan's decision.
async fn decided(
    cx: &mut EomContext<Session>,
    shared: &DaemonState,
    loaded: &Loaded,
    txn: &Txn,
    report: &ScanReport,
    hold_mode: HoldMode,
) -> Outcome {
    let body = txn.raw.get(txn.body_start..).unwrap_or_default();
    let plan: Plan = action::plan(
        &report.decision,
        &action::Input {
            headers: &txn.headers,
            body,
            internal: &loaded.internal,
            recipient_rewrite: loaded.milter.recipient_rewrite,
        },
    );
    let verdict = report.decision.verdict;
    match &plan.disposition {
        Disposition::Reject { reply } => {
            audit(shared, txn, report, Action::Reject).await;
            let reply = if reply.is_empty() {
                "Message refused by the data protection policy".to_string()
            } else {
                // Postfix reads '%%' as '%' and drops a lone '%' (Sendmail
                // used replies as format strings): "100%" must survive.
                reply.replace('%', "%%")
            };
            if let Err(e) = cx.reply.set_error_reply("550", Some("5.7.1"), [reply]) {
                tracing::warn!(error = %e, "cannot set the reject text; using the default");
            }
            Outcome::new(Status::Reject, "reject")
        }
        Disposition::Hold { rules } => match hold_mode {
            HoldMode::Quarantine => match hold(shared, txn, report).await {
                Ok(id) => {
                    let mut o = Outcome::new(Status::Discard, "held");
                    o.hold_id = Some(id);
                    o.error = plan.escalated.clone();
                    o
                }
                Err(e) => tempfail(cx, "hold-failed", e),
            },
            HoldMode::PostfixHold => {
                let mut edits = plan.edits.clone();
                edits.push(Edit::AddHeader {
                    name: VERDICT_HEADER.into(),
                    value: "hold".into(),
                });
                edits.push(Edit::AddHeader {
                    name: HOLD_RULES_HEADER.into(),
                    value: action::header_text(&rules.join(", ")),
                });
                let reason = action::smtp_text(&format!("dlp-milter: {}", rules.join(", ")));
                let r = match apply(cx, &edits).await {
                    Ok(()) => cx
                        .actions
                        .quarantine(reason)
                        .await
                        .map_err(|e| format!("cannot ask the MTA to hold the message: {e}")),
                    Err(e) => Err(e),
                };
                match r {
                    Ok(()) => {
                        // Not recorded in our quarantine: `record_decision(Hold)`
                        // would store a second, releasable copy of a message
                        // Postfix already holds. The log line carries the
                        // queue id and rules; Postfix's hold queue is the record.
                        let mut o = Outcome::new(Status::Accept, "postfix-hold");
                        o.error = plan.escalated.clone();
                        o
                    }
                    Err(e) => tempfail(cx, "hold-failed", e),
                }
            }
        },
        Disposition::Accept => {
            if verdict >= Action::Tag {
                // In monitor mode the message goes out unchanged whatever the
                // verdict: record it as tagged (the record says `enforced:
                // false` and lists the actions it would have taken), never as
                // held or rejected, which would put a delivered message in
                // the quarantine or the reject statistics.
                let recorded = if report.decision.enforced {
                    verdict
                } else {
                    Action::Tag
                };
                audit(shared, txn, report, recorded).await;
            }
            match apply(cx, &plan.edits).await {
                Ok(()) => {
                    let mut o = Outcome::new(
                        Status::Accept,
                        if report.decision.enforced {
                            "accept"
                        } else {
                            "accept-monitor"
                        },
                    );
                    o.rewrites = plan.rewrites.clone();
                    o
                }
                Err(e) => tempfail(cx, "edit-failed", e),
            }
        }
    }
}

/// Accepts a message that could not be checked, tagged so (the failure
/// policy `accept`). Incoming X-DLP-* headers (a forged marker or verdict)
/// go, as on every path that lets mail out.
async fn accept_unscanned(
    cx: &mut EomContext<Session>,
    headers: &[(String, String)],
    reason: String,
) -> Outcome {
    let mut edits = action::strip_own_headers(headers);
    edits.push(Edit::AddHeader {
        name: VERDICT_HEADER.into(),
        value: "unscanned".into(),
    });
    match apply(cx, &edits).await {
        Ok(()) => {
            let mut o = Outcome::new(Status::Accept, "fail-open");
            o.error = Some(reason);
            o
        }
        Err(e) => tempfail(cx, "fail-open", format!("{reason}; {e}")),
    }
}

/// TEMPFAIL with a reply that tells the client to retry.
fn tempfail(cx: &mut EomContext<Session>, what: &'static str, error: String) -> Outcome {
    let _ = cx.reply.set_error_reply(
        "451",
        Some("4.7.1"),
        ["Message could not be checked by the data protection filter; please try again later"],
    );
    let mut o = Outcome::new(Status::Tempfail, what);
    o.error = Some(error);
    o
}

/// Replays edits to the MTA: header changes first, body last.
async fn apply(cx: &EomContext<Session>, edits: &[Edit]) -> Result<(), String> {
    for e in edits {
        let r = match e {
            Edit::AddHeader { name, value } => {
                cx.actions.add_header(name.as_str(), value.as_str()).await
            }
            Edit::ChangeHeader { name, index, value } => {
                cx.actions
                    .change_header(name.as_str(), *index, value.as_deref())
                    .await
            }
            Edit::ReplaceBody(b) => cx.actions.replace_body(b).await,
        };
        r.map_err(|err| format!("cannot apply {}: {err}", edit_name(e)))?;
    }
    Ok(())
}

fn edit_name(e: &Edit) -> &'static str {
    match e {
        Edit::AddHeader { .. } => "a header addition",
        Edit::ChangeHeader { .. } => "a header change",
        Edit::ReplaceBody(_) => "the body replacement",
    }
}

/// Runs `f` with the store and this message's [`HoldRequest`] on the
/// blocking pool: stores fsync, and must not stall the I/O thread.
async fn with_store<T: Send + 'static>(
    shared: &DaemonState,
    txn: &Txn,
    report: &ScanReport,
    f: impl FnOnce(&dyn HoldStore, &HoldRequest<'_>) -> T + Send + 'static,
) -> Result<T, String> {
    let store = shared.store.clone();
    let (raw, env, report) = (txn.raw.clone(), txn.envelope.clone(), report.clone());
    tokio::task::spawn_blocking(move || {
        let req = HoldRequest {
            raw: &raw,
            envelope: &env,
            report: &report,
        };
        f(store.as_ref(), &req)
    })
    .await
    .map_err(|e| format!("quarantine worker failed: {e}"))
}

/// Stores a held message durably; its reference on success.
async fn hold(shared: &DaemonState, txn: &Txn, report: &ScanReport) -> Result<String, String> {
    with_store(shared, txn, report, |store, req| {
        store.hold(req).map(|r| r.id).map_err(|e| e.to_string())
    })
    .await?
}

/// Records a decision that did not hold the message. Failing to record
/// does not stop the mail (the log line still carries the decision).
async fn audit(shared: &DaemonState, txn: &Txn, report: &ScanReport, verdict: Action) {
    let r = with_store(shared, txn, report, move |store, req| {
        store
            .record_decision(req, verdict)
            .map_err(|e| e.to_string())
    })
    .await
    .and_then(|r| r);
    if let Err(e) = r {
        tracing::error!(
            queue_id = txn.envelope.queue_id.as_deref().unwrap_or("-"),
            error = %e,
            "cannot record the decision"
        );
    }
}

/// The one log line per message: ids, counts, direction and why, verdict,
/// rules, timing. Never recipients' addresses, subjects or evidence.
fn log_line(txn: &Txn, direction: &Classified, report: Option<&ScanReport>, out: &Outcome) {
    let rules = report
        .map(|r| r.decision.rule_ids().join(","))
        .unwrap_or_default();
    let verdict = report
        .map(|r| r.decision.verdict.as_str())
        .unwrap_or("none");
    let elapsed_us = txn.started.elapsed().as_micros() as u64;
    let scan_us = report.map(|r| r.elapsed_us).unwrap_or(0);
    let queue_id = txn.envelope.queue_id.as_deref().unwrap_or("-");
    if let Some(err) = &out.error {
        tracing::warn!(
            queue_id,
            sender = %txn.envelope.sender,
            recipients = txn.envelope.recipients.len(),
            size = txn.raw.len(),
            direction = direction.direction.as_str(),
            direction_reason = %direction.reason,
            verdict,
            action = out.disposition,
            rules = %rules,
            error = %err,
            elapsed_us,
            "message"
        );
    } else {
        tracing::info!(
            queue_id,
            sender = %txn.envelope.sender,
            recipients = txn.envelope.recipients.len(),
            size = txn.raw.len(),
            daemon = txn.daemon.as_deref().unwrap_or("-"),
            direction = direction.direction.as_str(),
            direction_reason = %direction.reason,
            verdict,
            action = out.disposition,
            rules = %rules,
            rewrites = %out.rewrites.join(","),
            hold_id = out.hold_id.as_deref().unwrap_or("-"),
            scan_us,
            elapsed_us,
            "message"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn() -> Txn {
        Txn {
            started: Instant::now(),
            envelope: Envelope::default(),
            daemon: None,
            source: Source::Authenticated,
            headers: vec![],
            raw: vec![],
            body_start: 0,
            oversize: false,
            max_bytes: 1 << 20,
            _in_flight: InFlight::new(&Arc::new(AtomicUsize::new(0))),
        }
    }

    #[test]
    fn headers_are_reassembled_with_crlf() {
        let mut t = txn();
        add_header(&mut t, c"Subject", c" hello\n\tworld", true);
        add_header(&mut t, c"To", c"a@b", false);
        assert_eq!(t.raw, b"Subject: hello\r\n\tworld\r\nTo: a@b\r\n");
        assert_eq!(t.headers[0].1, " hello\n\tworld");
    }

    #[test]
    fn oversize_stops_collecting() {
        let mut t = txn();
        t.max_bytes = 8;
        add_header(&mut t, c"Subject", c"x", false);
        assert!(t.oversize);
        assert!(t.raw.is_empty());
    }

    #[test]
    fn in_flight_counts_down_on_drop() {
        let c = Arc::new(AtomicUsize::new(0));
        let a = InFlight::new(&c);
        let b = InFlight::new(&c);
        assert_eq!(c.load(Ordering::SeqCst), 2);
        drop(a);
        drop(b);
        assert_eq!(c.load(Ordering::SeqCst), 0);
    }
}

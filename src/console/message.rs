//! One held message: its findings (rule, policy clause, masked evidence shown
//! in place in the sentence around it), its attachments (type sniffed from
//! the bytes, encryption verdict), its recipients by domain and its audit
//! trail; "Reveal" behind a confirmation (audited as `revealed`), and release
//! or delete with a required reason. Every look is audited (`viewed`) by the
//! quarantine service, as `quarantine show` is.

use super::auth::{CheckedForm, Signed};
use super::error::Failure;
use super::in_place::{self, InPlace};
use super::queue::{actor, user_ctx};
use super::views::{recipient_domains, short_time, subject_masked};
use super::{blocking, State};
use crate::dates::now;
use crate::quarantine::{Record, ReleaseOptions, Shown, State as RecordState};
use axum::extract::{Path, State as AxumState};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

/// A finding as the page shows it.
#[derive(Debug, Serialize)]
struct FindingView {
    rule: String,
    policy: String,
    category: String,
    location: String,
    evidence: String,
    count: usize,
    severity: String,
    confidence: String,
    fix: String,
    in_place: Option<InPlace>,
}

/// An attachment as the page shows it.
#[derive(Debug, Serialize)]
struct AttachmentView {
    name: String,
    sniffed: String,
    declared: String,
    encrypted: Option<String>,
    type_mismatch: Option<String>,
}

/// What is learnt by reading the held bytes again: the findings in place
/// and the attachments. Reading hostile bytes is the scanner's job, with
/// its limits and panic guard ([`crate::scan::Engine::scan`]).
fn analyse(
    state: &State,
    rec: &Record,
    raw: Option<&[u8]>,
    revealed: bool,
) -> (Vec<FindingView>, Vec<AttachmentView>) {
    let limits = state
        .engine
        .as_ref()
        .map(|e| e.setup().limits.clone())
        .unwrap_or_default();
    let texts: Vec<String> = raw
        .map(|r| {
            crate::message::parse(r, &limits.parse_limits())
                .bodies
                .into_iter()
                .map(|b| b.text)
                .collect()
        })
        .unwrap_or_default();
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let all_evidence: Vec<&str> = rec
        .findings
        .iter()
        .filter(|f| locatable(&f.category))
        .map(|f| f.evidence.as_str())
        .collect();
    let mut findings: Vec<FindingView> = rec
        .findings
        .iter()
        .map(|f| FindingView {
            rule: f.rule.clone(),
            policy: f.policy.clone(),
            category: f.category.replace('_', " "),
            location: if !revealed && f.location.starts_with("attachment:") {
                "an attachment (name withheld; reveal shows it)".into()
            } else {
                f.location.clone()
            },
            evidence: f.evidence.clone(),
            count: f.count,
            severity: f.severity.clone(),
            confidence: f.confidence.clone(),
            fix: f.fix.clone(),
            in_place: (f.location == "body" && locatable(&f.category))
                .then(|| in_place::locate(&text_refs, &f.evidence, &all_evidence))
                .flatten(),
        })
        .collect();
    for id in &rec.rule_ids {
        if !rec.findings.iter().any(|f| &f.rule == id) {
            findings.push(FindingView {
                rule: id.clone(),
                policy: String::new(),
                category: "unchecked attachment".into(),
                location: "an attachment".into(),
                evidence: "it could not be read, so it could not be checked".into(),
                count: 1,
                severity: rec.severity.clone().unwrap_or_default(),
                confidence: String::new(),
                fix: String::new(),
                in_place: None,
            });
        }
    }
    let attachments = match (raw, state.engine.as_ref()) {
        (Some(raw), Some(engine)) => engine
            .scan(raw, None)
            .attachments
            .into_iter()
            .enumerate()
            .map(|(i, a)| AttachmentView {
                name: if revealed {
                    a.path
                } else {
                    format!("attachment {} (name withheld)", i + 1)
                },
                sniffed: a.sniffed.to_string(),
                declared: a.declared,
                encrypted: a.encrypted,
                type_mismatch: a.type_mismatch,
            })
            .collect(),
        _ => Vec::new(),
    };
    (findings, attachments)
}

/// Findings whose evidence keeps the identifier's shape.
fn locatable(category: &str) -> bool {
    !matches!(category, "inline_password" | "exposed_recipients")
}

fn render(
    state: &State,
    session: &super::accounts::Session,
    shown: Shown,
    raw: Option<Vec<u8>>,
) -> Html<String> {
    let revealed = shown.raw.is_some();
    let rec = &shown.record;
    let (findings, attachments) = analyse(state, rec, raw.as_deref(), revealed);
    let audit: Vec<_> = shown
        .audit
        .iter()
        .map(|e| {
            minijinja::context! {
                seq => e.seq,
                at => short_time(e.at),
                event => e.event,
                actor => e.actor,
                detail => e.detail,
            }
        })
        .collect();
    let may_act = session.user.role.may_act();
    let actionable = rec.action == "hold" && rec.state == RecordState::Held && rec.has_content;
    state.views.render(
        "message.html",
        minijinja::context! {
            title => format!("Message {}", rec.id),
            active => "queue",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            r => minijinja::context! {
                id => rec.id,
                state => rec.state.as_str(),
                action => rec.action,
                held_at => short_time(rec.created_at),
                age => super::views::age(now() - rec.created_at),
                sender => if rec.sender.is_empty() { "<>".to_string() } else { rec.sender.clone() },
                auth_user => rec.auth_user,
                recipient_count => rec.recipient_count,
                recipient_domains => recipient_domains(rec),
                recipients => if revealed { rec.recipients.clone() } else { Vec::new() },
                subject => if revealed { rec.subject.clone().unwrap_or_default() } else { subject_masked(rec) },
                severity => rec.severity,
                rules => rec.rule_ids,
                size => rec.raw_size,
                has_content => rec.has_content,
                expires_at => rec.expires_at.filter(|_| rec.has_content).map(short_time),
                content_erased_at => rec.content_erased_at.map(short_time),
                changed_by => rec.state_changed_by,
                changed_at => rec.state_changed_at.map(short_time),
                reason => rec.state_reason,
                release_unconfirmed => rec.release_started_at.map(short_time),
                release_id => rec.release_id,
            },
            findings => findings,
            attachments => attachments,
            audit => audit,
            revealed => revealed,
            raw => shown.raw.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
            may_act => may_act,
            actionable => actionable && may_act,
        },
    )
}

/// The message page (masked; audited as viewed).
pub async fn page(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
    Path(id): Path<String>,
) -> Result<Html<String>, Failure> {
    let st = state.clone();
    let who = actor(&session.user);
    let (shown, raw) = blocking(move || {
        let shown = st.quarantine.show(&id, &who, false)?;
        let raw = if shown.record.has_content {
            st.quarantine.store().raw(&id)?
        } else {
            None
        };
        Ok((shown, raw))
    })
    .await?;
    let st = state.clone();
    blocking(move || Ok(render(&st, &session, shown, raw))).await
}

fn refuse_auditor(session: &super::accounts::Session, what: &str) -> Result<(), Failure> {
    if session.user.role.may_act() {
        Ok(())
    } else {
        Err(Failure::forbidden(format!(
            "your role (auditor) may read the masked record, not {what}"
        )))
    }
}

/// The confirmation before revealing.
pub async fn reveal_confirm(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
    Path(id): Path<String>,
) -> Result<Html<String>, Failure> {
    refuse_auditor(&session, "reveal it")?;
    Ok(state.views.render(
        "reveal_confirm.html",
        minijinja::context! {
            title => "Reveal the message?",
            active => "queue",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            id => id,
        },
    ))
}

/// The full message and recipients, audited as revealed by this user.
pub async fn reveal(
    AxumState(state): AxumState<State>,
    Path(id): Path<String>,
    form: CheckedForm,
) -> Result<Html<String>, Failure> {
    refuse_auditor(&form.session, "reveal it")?;
    let st = state.clone();
    let who = actor(&form.session.user);
    let shown = blocking(move || Ok(st.quarantine.show(&id, &who, true)?)).await?;
    let raw = shown.raw.clone();
    let st = state.clone();
    let session = form.session;
    blocking(move || Ok(render(&st, &session, shown, raw))).await
}

/// Release or delete from the message page.
async fn decide(state: State, id: String, form: CheckedForm, release: bool) -> Response {
    let what = if release { "release it" } else { "delete it" };
    if let Err(f) = refuse_auditor(&form.session, what) {
        return f.into_response();
    }
    let Some(reason) = form.fields.text("reason") else {
        return Failure::bad_request("a reason is required").into_response();
    };
    let st = state.clone();
    let who = actor(&form.session.user);
    let mid = id.clone();
    let outcome = blocking(move || {
        Ok(if release {
            let r = st
                .quarantine
                .release(&mid, &who, &reason, &ReleaseOptions::default())?;
            format!(
                "{mid} was released to {} recipient(s) (release id {}).",
                r.record.recipient_count, r.release_id
            )
        } else {
            st.quarantine.delete(&mid, &who, &reason)?;
            format!(
                "{mid} was deleted: its content is erased; the record and its audit trail stay."
            )
        })
    })
    .await;
    match outcome {
        Err(f) => f.into_response(),
        Ok(line) => state
            .views
            .render(
                "done.html",
                minijinja::context! {
                    title => if release { "Released" } else { "Deleted" },
                    user => user_ctx(&form.session.user),
                    csrf => form.session.csrf,
                    done => vec![line],
                    failed => Vec::<String>::new(),
                    back => format!("/holds/{id}"),
                    back_label => "Back to the message",
                },
            )
            .into_response(),
    }
}

pub async fn release(
    AxumState(state): AxumState<State>,
    Path(id): Path<String>,
    form: CheckedForm,
) -> Response {
    decide(state, id, form, true).await
}

pub async fn delete(
    AxumState(state): AxumState<State>,
    Path(id): Path<String>,
    form: CheckedForm,
) -> Response {
    decide(state, id, form, false).await
}

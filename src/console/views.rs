//! How the console looks: the templates (templates/console/, shipped in the
//! binary, each overridable by a file in `[console] templates_dir`), rendered
//! with minijinja's HTML autoescaping, and the small formatting helpers the
//! pages share (times, ages, the masked view of a record).

use super::error::ConsoleError;
use crate::dates::Zone;
use crate::notice::template_source;
use crate::quarantine::Record;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;
use std::path::Path;
use std::sync::OnceLock;

/// The shipped templates. Names ending in `.html` are autoescaped.
const SHIPPED: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/console/login.html"),
    ),
    (
        "queue.html",
        include_str!("../../templates/console/queue.html"),
    ),
    (
        "message.html",
        include_str!("../../templates/console/message.html"),
    ),
    (
        "reveal_confirm.html",
        include_str!("../../templates/console/reveal_confirm.html"),
    ),
    (
        "signed_in.html",
        include_str!("../../templates/console/signed_in.html"),
    ),
    (
        "done.html",
        include_str!("../../templates/console/done.html"),
    ),
    (
        "reports.html",
        include_str!("../../templates/console/reports.html"),
    ),
    (
        "audit.html",
        include_str!("../../templates/console/audit.html"),
    ),
    (
        "users.html",
        include_str!("../../templates/console/users.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/console/error.html"),
    ),
];

/// The stylesheet (one small file; no framework).
const CSS: &str = include_str!("../../templates/console/console.css");

/// The compiled templates.
pub struct Views {
    env: Environment<'static>,
}

impl Views {
    /// The shipped templates, each replaced by a file of the same name in
    /// `dir` if there is one that compiles (one that does not is reported
    /// and the shipped one used: a typo never takes the console down).
    pub fn load(dir: Option<&Path>) -> Result<(Views, Vec<String>), ConsoleError> {
        let mut env = Environment::new();
        // An absent value (a filter not set, an optional field) prints as
        // nothing, not as "none": otherwise an empty search box is
        // pre-filled with "none" and submitting the filters unchanged
        // searches for that word and hides every message.
        env.set_formatter(|out, state, value| {
            if value.is_none() || value.is_undefined() {
                return Ok(());
            }
            minijinja::escape_formatter(out, state, value)
        });
        let mut warnings = Vec::new();
        for (name, shipped) in SHIPPED {
            let src = template_source(dir, name, shipped, &mut warnings);
            env.add_template_owned(name.to_string(), src)
                .map_err(|e| ConsoleError::Template {
                    name: name.to_string(),
                    message: e.to_string(),
                })?;
        }
        Ok((Views { env }, warnings))
    }

    /// Renders a page; a template error is logged and shown as a plain
    /// error page (never the template source or the data).
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Html<String> {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(s) => Html(s),
            Err(e) => {
                tracing::error!(template = name, error = %e, "console template failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "this page could not be shown; the console's log has the details",
                )
            }
        }
    }
}

/// An error page from the shipped template (no state needed, so every
/// failure can be shown).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    let env = ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, src) in SHIPPED {
            if matches!(*name, "base.html" | "error.html") {
                let _ = env.add_template(name, src);
            }
        }
        env
    });
    let ctx = minijinja::context! {
        title => status.canonical_reason().unwrap_or("Error"),
        status => status.as_u16(),
        message => message,
    };
    Html(
        env.get_template("error.html")
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|_| format!("{} error", status.as_u16())),
    )
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// The organisation's time zone (`[organisation] timezone`), set once when
/// the console opens. A process-wide value rather than a field threaded
/// through every view: one console serves one organisation, and every time
/// it shows people is in that zone (stored times stay UTC).
static ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the zone pages show times in; the first call wins (one console, one
/// organisation).
pub fn set_zone(zone: Zone) {
    let _ = ZONE.set(zone);
}

/// `2026-12-07 10:04 GMT`, in the organisation's zone (Europe/London until
/// [`set_zone`] says otherwise).
pub fn short_time(unix: i64) -> String {
    ZONE.get_or_init(Zone::default).short_time(unix)
}

/// How long ago, in the largest unit that fits: `40 s`, `12 min`, `5 h`, `3 d`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// Recipients as the masked view shows them: their domains (`*@gmail.com`).
pub fn recipient_domains(r: &Record) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in &r.recipients {
        let d = a
            .rsplit_once('@')
            .map(|(_, d)| format!("*@{}", d.to_lowercase()))
            .unwrap_or_else(|| "*".into());
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The subject as the masked view shows it: withheld when a finding was
/// made in it (revealing shows it).
pub fn subject_masked(r: &Record) -> String {
    match &r.subject {
        None if r.content_erased_at.is_some() => "(erased)".into(),
        None => "(none)".into(),
        Some(_) if r.subject_has_finding() => "(withheld: it contains personal data)".into(),
        Some(s) => s.clone(),
    }
}

/// One queue row or API list entry as a template sees it.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub state: String,
    pub release_unconfirmed: bool,
    pub held_at: String,
    pub age: String,
    pub sender: String,
    pub recipient_domains: Vec<String>,
    pub recipient_count: usize,
    pub subject: String,
    pub rules: Vec<String>,
    pub severity: String,
    pub reviewed_by: Option<String>,
    pub actionable: bool,
}

impl Row {
    pub fn of(r: &Record, now: i64) -> Row {
        Row {
            id: r.id.clone(),
            state: r.state.as_str().to_string(),
            release_unconfirmed: r.release_started_at.is_some(),
            held_at: short_time(r.created_at),
            age: age(now - r.created_at),
            sender: if r.sender.is_empty() {
                "<>".into()
            } else {
                r.sender.clone()
            },
            recipient_domains: recipient_domains(r),
            recipient_count: r.recipient_count,
            subject: subject_masked(r),
            rules: r.rule_ids.clone(),
            severity: r.severity.clone().unwrap_or_default(),
            reviewed_by: r.state_changed_by.clone(),
            actionable: r.action == "hold"
                && r.state == crate::quarantine::State::Held
                && r.has_content,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_compile_and_escape() {
        let (v, w) = Views::load(None).unwrap();
        assert!(w.is_empty());
        let html = error_page(StatusCode::NOT_FOUND, "<script>alert(1)</script>").0;
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        let _ = v;
    }

    #[test]
    fn an_absent_value_prints_as_nothing() {
        let (v, _) = Views::load(None).unwrap();
        let html = v
            .render(
                "login.html",
                minijinja::context! { title => "Sign in", csrf => "t", next => None::<String>, name => None::<String> },
            )
            .0;
        assert!(html.contains(r#"name="next" value="""#), "{html}");
        assert!(!html.to_lowercase().contains("value=\"none\""), "{html}");
        // Present values are still escaped.
        let html = v
            .render(
                "login.html",
                minijinja::context! { title => "Sign in", csrf => "t", next => "/queue", name => "<b>" },
            )
            .0;
        assert!(html.contains(r#"value="&lt;b&gt;""#), "{html}");
    }

    #[test]
    fn an_override_replaces_its_template_and_a_broken_one_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("error.html"), "Oops: {{ message }}").unwrap();
        std::fs::write(dir.path().join("queue.html"), "{% if %}broken").unwrap();
        let (v, warnings) = Views::load(Some(dir.path())).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("queue.html"), "{warnings:?}");
        let html = v
            .render("error.html", minijinja::context! { message => "<b>x</b>" })
            .0;
        assert_eq!(html, "Oops: &lt;b&gt;x&lt;&#x2f;b&gt;");
        // The broken one fell back to the shipped template.
        let q = v.env.get_template("queue.html").unwrap();
        assert!(q.source().contains("Held messages"));
    }

    #[test]
    fn ages_and_times_read_as_people_say_them() {
        assert_eq!(age(5), "5 s");
        assert_eq!(age(600), "10 min");
        assert_eq!(age(7200), "2 h");
        assert_eq!(age(3 * 86_400), "3 d");
        // Europe/London (the default zone) was on British Standard Time,
        // UTC+1, all year in 1970.
        assert_eq!(short_time(0), "1970-01-01 01:00 BST");
        assert_eq!(short_time(1_784_102_400), "2026-07-15 09:00 BST"); // 08:00 UTC
        assert_eq!(short_time(1_796_601_600), "2026-12-07 00:00 GMT");
    }
}

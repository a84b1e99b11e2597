//! The DPO's digest of a period: rendered from the records created or
//! decided in it, then queued to the DPO and sent at once. What it says is
//! composed in [`crate::notice::compose`].

use super::Quarantine;
use crate::dates::{now, DAY};
use crate::notice::{self, outbox};
use crate::quarantine::store::{Filter, NewNotice};
use crate::quarantine::QuarantineError;

/// What `digest` did.
#[derive(Debug, Clone)]
pub struct DigestOutcome {
    pub rendered: notice::Rendered,
    pub items: usize,
    pub pass: Option<outbox::Pass>,
}

impl Quarantine {
    /// Renders the DPO's digest of `[since, until)`; unless `print_only`,
    /// queues it to the DPO and sends it now (queued for retry if the relay
    /// is down).
    pub fn digest(
        &self,
        since: i64,
        until: i64,
        print_only: bool,
    ) -> Result<DigestOutcome, QuarantineError> {
        // Records created in the period, and older ones decided in it.
        let records = self.store.list(&Filter {
            since: Some(
                since.saturating_sub(i64::from(self.config.retention_days.max(1)) * DAY * 2),
            ),
            until: Some(until),
            ..Filter::default()
        })?;
        let ctx = self.notices.digest_context(&records, since, until);
        let mut rendered = self.notices.templates().render("digest", &ctx)?;
        // The audit head goes into every digest, whatever the template
        // says: the DPO's mailbox is one of the places outside the database
        // that `audit verify --anchor` checks the trail against.
        let head = self.audit_head()?;
        rendered.text.push_str(&format!("\n\n{head}\n"));
        rendered.html = match rendered.html.rfind("</body>") {
            Some(i) => format!(
                "{}<p style=\"color: #666; font-size: 12px;\">{head}</p>\n{}",
                &rendered.html[..i],
                &rendered.html[i..]
            ),
            None => format!("{}<p>{head}</p>", rendered.html),
        };
        let n_items = ctx.items.len();
        if print_only {
            return Ok(DigestOutcome {
                rendered,
                items: n_items,
                pass: None,
            });
        }
        let dpo =
            self.notices.config().dpo.clone().ok_or_else(|| {
                QuarantineError::Config("no DPO address: set [notice] dpo".into())
            })?;
        let bytes = notice::build_mime(&self.notices.config().from, &dpo, &rendered)?;
        self.store.enqueue_notice(
            &NewNotice {
                kind: "dpo_digest".into(),
                reference: None,
                recipient: dpo,
                envelope_from: String::new(),
                bytes,
            },
            now(),
        )?;
        let pass = self.flush_outbox()?;
        Ok(DigestOutcome {
            rendered,
            items: n_items,
            pass: Some(pass),
        })
    }
}

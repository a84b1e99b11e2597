//! Test helper: run one detector case in the shapes real mail has.
//!
//! Postfix hands the milter CRLF bytes, and nearly every school message ends
//! in a footer (a confidentiality disclaimer, "please consider the
//! environment", a safeguarding-lead block, the school's address and phone
//! numbers). A detector case written with `\n` and no footer proves little:
//! a `\n`-only paragraph rule once let the commonest UK footer hide a
//! password above it in CRLF mail only. [`Case`] runs a body as LF and as
//! CRLF, each bare and with every footer of
//! `fixtures/footers/school-footers.txt` under it (after a blank line, and
//! the shortest one also right under the last line), and checks every
//! shape with the same expectation.
//!
//! By default the text goes through [`crate::message::normalize`], as the
//! engine does before every detector; [`Case::raw`] also feeds the
//! un-normalised text, for detectors that must be CRLF-safe on their own.
//!
//! ```ignore
//! Case::new(&PasswordDetector::new()).raw().each("Password: Rb7kQz2mWx4", |f| {
//!     expect(f.len() == 1, "one finding")
//! });
//! ```

use super::{Detector, Finding, Location, MessageContext, TextKind, TextUnit};

/// The footers, as committed data.
const FOOTERS: &str = include_str!("../../fixtures/footers/school-footers.txt");

/// The footers of the data file, in order, without comments.
pub fn footers() -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut started = false;
    for line in FOOTERS.lines() {
        if line.trim() == "%%" {
            if started && !cur.is_empty() {
                out.push(cur.join("\n"));
            }
            cur.clear();
            started = true;
        } else if started && !line.starts_with('#') {
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push(cur.join("\n"));
    }
    out
}

/// One shape of a case: a name for failure messages, and the text.
#[derive(Debug, Clone)]
pub struct Shape {
    pub name: String,
    pub text: String,
}

/// The shapes of `body`: LF and CRLF, bare and with each footer. A subject
/// has one line and no footer, so it is only itself.
pub fn shapes(body: &str, kind: TextKind) -> Vec<Shape> {
    let lf = body.replace("\r\n", "\n");
    if kind == TextKind::Subject {
        return vec![Shape {
            name: "subject".into(),
            text: lf,
        }];
    }
    let mut lf_shapes = vec![Shape {
        name: "bare".into(),
        text: lf.clone(),
    }];
    let all = footers();
    for (i, f) in all.iter().enumerate() {
        lf_shapes.push(Shape {
            name: format!("footer {}", i + 1),
            text: format!("{}\n\n{f}\n", lf.trim_end_matches('\n')),
        });
    }
    if let Some(first) = all.first() {
        lf_shapes.push(Shape {
            name: "footer 1 on the next line".into(),
            text: format!("{}\n{first}\n", lf.trim_end_matches('\n')),
        });
    }
    let mut out = Vec::with_capacity(lf_shapes.len() * 2);
    for s in lf_shapes {
        out.push(Shape {
            name: format!("CRLF, {}", s.name),
            text: s.text.replace('\n', "\r\n"),
        });
        out.push(Shape {
            name: format!("LF, {}", s.name),
            text: s.text,
        });
    }
    out
}

/// A check's verdict on one shape's findings.
pub type Check = Result<(), String>;

/// `Ok` when `cond` holds, else the message.
pub fn expect(cond: bool, what: &str) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

/// A detector case run in every shape.
pub struct Case<'a> {
    detector: &'a dyn Detector,
    kind: TextKind,
    ctx: MessageContext,
    raw: bool,
}

impl<'a> Case<'a> {
    /// A body case for `detector`, with no encrypted attachment.
    pub fn new(detector: &'a dyn Detector) -> Self {
        Case {
            detector,
            kind: TextKind::Body,
            ctx: MessageContext::default(),
            raw: false,
        }
    }

    /// Scan as this kind of unit (a subject gets no footers).
    pub fn kind(mut self, kind: TextKind) -> Self {
        self.kind = kind;
        self
    }

    /// The message carries an encrypted attachment (`report.zip`).
    pub fn encrypted(mut self) -> Self {
        self.ctx.has_encrypted_attachment = true;
        self.ctx.encrypted_attachments = vec!["report.zip".into()];
        self
    }

    /// Also scan each shape as it is, without the engine's normalisation
    /// (the detector must then handle `\r\n` itself).
    pub fn raw(mut self) -> Self {
        self.raw = true;
        self
    }

    fn location(&self) -> Location {
        if self.kind == TextKind::Subject {
            Location::Subject
        } else {
            Location::Body
        }
    }

    /// Scans one text as the engine would (normalised), or as it is.
    pub fn scan(&self, text: &str, normalise: bool) -> Vec<Finding> {
        let norm;
        let text = if normalise {
            norm = crate::message::normalize(text);
            &*norm
        } else {
            text
        };
        let mut out = Vec::new();
        self.detector.scan(
            &TextUnit {
                location: self.location(),
                kind: self.kind,
                text,
            },
            &self.ctx,
            &mut out,
        );
        out
    }

    /// Runs `check` on the findings of every shape of `body`; panics
    /// listing every shape that failed, with its text and findings.
    pub fn each(&self, body: &str, check: impl Fn(&[Finding]) -> Check) {
        let mut failures = Vec::new();
        for s in shapes(body, self.kind) {
            let mut ways = vec![(true, "normalised")];
            if self.raw {
                ways.push((false, "raw"));
            }
            for (normalise, how) in ways {
                let found = self.scan(&s.text, normalise);
                if let Err(why) = check(&found) {
                    failures.push(format!(
                        "[{} , {how}] {why}\n  text: {:?}\n  findings: {:?}",
                        s.name,
                        s.text,
                        found
                            .iter()
                            .map(|f| (&f.detector, f.confidence, &f.evidence))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} shape(s) failed for {body:?}:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footers_are_read_from_the_data_file() {
        let f = footers();
        assert!(f.len() >= 6, "{f:?}");
        assert_eq!(f[0], "This email and any attachments are confidential.");
        assert!(f.iter().all(|x| !x.contains("%%") && !x.starts_with('#')));
        assert!(f.iter().any(|x| x.contains("Safeguarding Lead")));
        assert!(f.iter().any(|x| x.contains("consider the environment")));
    }

    #[test]
    fn shapes_cover_both_line_endings_with_and_without_footers() {
        let s = shapes("Line one\nLine two", TextKind::Body);
        let n = footers().len();
        assert_eq!(s.len(), 2 * (n + 2));
        let crlf: Vec<_> = s.iter().filter(|s| s.name.starts_with("CRLF")).collect();
        assert_eq!(crlf.len(), n + 2);
        for c in &crlf {
            assert!(c.text.contains("Line one\r\nLine two"), "{c:?}");
            assert!(!c.text.replace("\r\n", "").contains('\n'), "{c:?}");
        }
        assert!(s
            .iter()
            .any(|s| s.name == "LF, bare" && s.text == "Line one\nLine two"));
        assert!(s
            .iter()
            .any(|s| s.text
                == "Line one\nLine two\nThis email and any attachments are confidential.\n"));
        assert_eq!(shapes("Subject x", TextKind::Subject).len(), 1);
    }
}

/// Every detector, through this helper: the footers alone add nothing any
/// rule acts on, and a case of each detector is found the same in every
/// shape (the helper works for the identifier, special-category and
/// password detectors alike).
mod all_detectors {
    use super::*;
    use crate::detect::{default_detectors, Confidence};

    #[test]
    fn footers_alone_add_no_finding() {
        for d in default_detectors() {
            Case::new(d.as_ref()).each("Thanks,\nJo", |f| {
                expect(
                    f.iter().all(|f| f.confidence < Confidence::Medium),
                    "a footer gave a finding",
                )
            });
        }
    }

    #[test]
    fn each_detector_finds_its_case_in_every_shape() {
        let cases = [
            (
                "Hi,\n\nNew starter, NI number JT 48 22 91 B.\n\nThanks",
                "uk_nino",
            ),
            (
                "Hi,\n\nAmira Khan, DOB: 04/02/2016.\n\nThanks",
                "date_of_birth",
            ),
            ("Hi,\n\nAmelia Jones in Year 4 has an EHCP.\n\nThanks", ""),
            ("Hi,\n\nPassword: Rb7kQz2mWx4\n\nThanks", "password"),
        ];
        for (body, id) in cases {
            let mut found_by = Vec::new();
            for d in default_detectors() {
                let base = Case::new(d.as_ref()).scan(body, true);
                if base.iter().any(|f| f.confidence >= Confidence::Medium) {
                    found_by.push(d.ids().join(","));
                }
                let want: Vec<_> = base.iter().map(|f| (f.detector, f.confidence)).collect();
                Case::new(d.as_ref()).each(body, |f| {
                    let got: Vec<_> = f.iter().map(|f| (f.detector, f.confidence)).collect();
                    expect(got == want, &format!("expected {want:?} as in the LF body"))
                });
            }
            assert!(
                found_by.iter().any(|ids| id.is_empty() || ids.contains(id)),
                "{body:?} found by {found_by:?}"
            );
            assert!(!found_by.is_empty(), "{body:?} found by nothing");
        }
    }
}

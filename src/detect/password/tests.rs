//! Tests of the password detector: the forms of a written password (with
//! confidence, masked evidence and the exact redaction text), and the talk
//! about passwords that must stay silent.

use super::*;
use crate::detect::testing::{expect, Case};
use crate::detect::{Location, TextKind};

fn scan_with(text: &str, kind: TextKind, encrypted: bool) -> Vec<Finding> {
    let d = PasswordDetector::new();
    let ctx = MessageContext {
        has_encrypted_attachment: encrypted,
        encrypted_attachments: if encrypted {
            vec!["report.zip".into()]
        } else {
            vec![]
        },
    };
    let location = if kind == TextKind::Subject {
        Location::Subject
    } else {
        Location::Body
    };
    let mut out = Vec::new();
    d.scan(
        &TextUnit {
            location,
            kind,
            text,
        },
        &ctx,
        &mut out,
    );
    out
}

fn scan(text: &str) -> Vec<Finding> {
    scan_with(text, TextKind::Body, false)
}

/// Exactly one finding; returns (confidence, evidence, redact).
fn one(text: &str) -> (Confidence, String, String) {
    one_f(scan(text), text)
}

fn one_f(f: Vec<Finding>, text: &str) -> (Confidence, String, String) {
    assert_eq!(f.len(), 1, "expected one finding in {text:?}, got {f:#?}");
    assert_eq!(f[0].detector, "password");
    assert_eq!(f[0].category, Category::InlinePassword);
    (
        f[0].confidence,
        f[0].evidence.clone(),
        f[0].redact.clone().unwrap_or_default(),
    )
}

/// Nothing a rule would act on (medium or above).
fn silent(text: &str) {
    let f: Vec<_> = scan(text)
        .into_iter()
        .filter(|f| f.confidence >= Confidence::Medium)
        .collect();
    assert!(f.is_empty(), "expected silence for {text:?}, got {f:#?}");
}

/// Nothing at all.
fn none(text: &str) {
    let f = scan(text);
    assert!(f.is_empty(), "expected nothing for {text:?}, got {f:#?}");
}

// ---- Positives ----

#[test]
fn contract_example_09_login_and_password() {
    let (c, e, r) =
        one("Hi,\nYour login is s.teacher and your password is Marigold-Kite-55.\nIT Support\n");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "username and password in the message (M*******)");
    assert_eq!(r, "Marigold-Kite-55");
}

#[test]
fn label_forms() {
    let (c, e, r) = one("Password: Kestrel42!");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(e, "password in the message (K*******)");
    assert_eq!(r, "Kestrel42!");
    assert_eq!(one("pwd = Tulip-77").2, "Tulip-77");
    assert_eq!(one("Passcode - 7Hx9q2").2, "7Hx9q2");
    assert_eq!(one("Password:\n  Kestrel42\n").2, "Kestrel42");
}

#[test]
fn the_passcode_for_the_attached_file() {
    let (c, e, r) = one("Hi, the passcode for the attached file is Tulip-77. Thanks");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(r, "Tulip-77");
    assert_eq!(e, "password in the message (T*******)");
}

#[test]
fn encrypted_attachment_raises_and_says_so() {
    let f = scan_with(
        "Please find the report attached. The password is Tulip-77.",
        TextKind::Body,
        true,
    );
    let (c, e, r) = one_f(f, "encrypted");
    assert_eq!(c, Confidence::High);
    assert_eq!(
        e,
        "password for the attached file is in the message (T*******)"
    );
    assert_eq!(r, "Tulip-77");
}

#[test]
fn login_slash_password_and_username_password() {
    let (c, e, r) = one("Your new account - login: jsmith / Summer2025");
    assert_eq!(c, Confidence::High);
    assert_eq!(r, "Summer2025");
    assert_eq!(e, "username and password in the message (S*******)");
    let (c, _, r) = one("username jsmith password Summer2025");
    assert_eq!(c, Confidence::High);
    assert_eq!(r, "Summer2025");
    let (c, _, r) = one("Login details: jsmith Summer2025");
    assert_eq!(c, Confidence::High);
    assert_eq!(r, "Summer2025");
}

#[test]
fn pins_and_codes() {
    let (c, e, r) = one("Your PIN 4821 works on the printer.");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(e, "PIN in the message (4*******)");
    assert_eq!(r, "4821");
    assert_eq!(one("The door code is 1397.").2, "1397");
    assert_eq!(one("pin number: 004821").2, "004821");
    assert_eq!(
        one("Hi all, the staffroom door code has changed to 2580#.").2,
        "2580#"
    );
    assert_eq!(one("The PIN for the safe is 0451").2, "0451");
    // Not a PIN: too short, too long, letters.
    none("PIN: 12");
    none("PIN: 1234567890123");
    none("The PIN is Tulip");
}

#[test]
fn set_to_and_will_be() {
    assert_eq!(
        one("Your password has been reset to Welcome2025").2,
        "Welcome2025"
    );
    assert_eq!(
        one("The passphrase will be Orange-Lamp-9 from Monday.").2,
        "Orange-Lamp-9"
    );
    assert_eq!(
        one("the wifi password is set to GreenLane!2025").2,
        "GreenLane!2025"
    );
}

#[test]
fn quoted_tokens() {
    let (_, _, r) = one("The password is \"Tulip 77\" (with the space).");
    assert_eq!(r, "Tulip 77");
    let (c, _, r) = one("The password is 'Kestrel'.");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(r, "Kestrel");
}

#[test]
fn bare_word_after_label_is_low() {
    let (c, _, r) = one("Password: Kestrel");
    assert_eq!(c, Confidence::Low);
    assert_eq!(r, "Kestrel");
    // ... but medium with an encrypted attachment.
    let f = scan_with("Password: Kestrel", TextKind::Body, true);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].confidence, Confidence::Medium);
}

#[test]
fn realistic_it_messages() {
    let (c, _, r) = one("Hi, the new Wi-Fi password for the staff network is GLPstaff#2025");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(r, "GLPstaff#2025");
    let (c, e, r) = one(
        "Your Arbor login: jsmith@greenlane.sch.uk\nTemporary password: Welcome123 (you will be asked to change it)",
    );
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "username and password in the message (W*******)");
    assert_eq!(r, "Welcome123");
    let (c, _, r) = one("Login details for supply staff: Username: supply1 Password: Cover!2025");
    assert_eq!(c, Confidence::High);
    assert_eq!(r, "Cover!2025");
    assert_eq!(
        one("Use password: Reading2025 for the e-books site this week.").2,
        "Reading2025"
    );
}

#[test]
fn realistic_talk_about_passwords() {
    none("The spreadsheet is encrypted. I'll send the password in a separate email.");
    none("Password to follow.");
    none("The password is the school's postcode in capitals.");
    none("Can you remind me what the password for the photocopier is?");
    none("Please remember your PIN when collecting your lunch.");
    none("Passcode: sent by text to your mobile");
    none("My password isn't working, can you help?");
    none("Your username is your email address and your password is your date of birth (DDMMYYYY).");
    none("Please log in with your usual password.");
    none("The password must contain 12 characters.");
    none("I've set the password to the usual one.");
    none("password123 is not a secure password");
    none("Set a new password: at least 8 characters, one number and one symbol.");
    none("The key for the cabinet is with Mrs Jones.");
}

#[test]
fn table_rows_of_credentials() {
    let f = scan_with(
        "username: jsmith | password: Summer2025\nusername: akhan | password: Tulip-77\n",
        TextKind::Table,
        false,
    );
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.confidence == Confidence::High));
    assert_eq!(f[0].redact.as_deref(), Some("Summer2025"));
    assert_eq!(f[1].redact.as_deref(), Some("Tulip-77"));
    // A password column that says nothing.
    assert!(scan_with(
        "username: jsmith | password: sent separately\n",
        TextKind::Table,
        false
    )
    .is_empty());
}

#[test]
fn network_key() {
    assert_eq!(one("The wifi key is GLP-guest-2025").2, "GLP-guest-2025");
}

#[test]
fn subject_is_scanned() {
    let f = scan_with("Password: Kestrel42", TextKind::Subject, false);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].location, Location::Subject);
    assert_eq!(f[0].redact.as_deref(), Some("Kestrel42"));
}

#[test]
fn two_passwords_with_one_initial_stay_apart() {
    let f = scan("Password for Amy: Kestrel42\nPassword for Ben: Kite-9876\n");
    assert_eq!(f.len(), 2);
    assert_ne!(f[0].evidence, f[1].evidence);
    assert_eq!(f[0].redact.as_deref(), Some("Kestrel42"));
    assert_eq!(f[1].redact.as_deref(), Some("Kite-9876"));
    // The same password twice (text and HTML, or repeated) is one finding.
    assert_eq!(
        scan("Password: Kestrel42. Again: password: Kestrel42").len(),
        1
    );
}

#[test]
fn unicode_around_the_password() {
    let (_, _, r) = one("Mot de passe — password: Élan-2025… merci");
    assert_eq!(r, "Élan-2025…");
    let (_, _, r) = one("password is “Tulip-77”");
    assert_eq!(r, "Tulip-77");
}

// ---- Hard negatives ----

#[test]
fn contract_example_10_password_talk() {
    none("Please don't write your password on a sticky note. If you forget it, use the self-service reset page.");
}

#[test]
fn sent_separately_and_by_text() {
    none("The attachment is password-protected; the password will be sent separately.");
    none("Password-protected attachment, password by text.");
    none("I'll phone you with the password.");
    none("I'll text you the password for the file.");
    none("The password for the file will follow by text.");
    none("Password: sent separately");
    none("Password: see below");
    none("The password is the same as last time.");
    silent("The password is in a separate email.");
    none("Password - to follow by SMS");
}

#[test]
fn it_reminders() {
    none("Reminder: reset your password before Friday. Passwords must be at least 12 characters.");
    none("Forgot your password? Visit https://reset.example.sch.uk to reset it.");
    none("To change your password: go to Settings > Account.");
    none("Your password expires in 5 days.");
    none("Passwords are case sensitive.");
    none("Never share your password: not even with IT.");
    none("A strong password: three random words, e.g. Tulip-Lamp-Kite9");
    none("Password policy: 12+ characters, no reuse.");
    none("Please enter your password when prompted.");
    none("The password is case-sensitive.");
    none("Your password is incorrect.");
    none("Login: https://portal.example.sch.uk");
    none("Please log in with your usual username and password.");
}

#[test]
fn everyday_key_and_pin_words() {
    none("Key Stage 2 results: 85% reached the expected standard.");
    none("Key dates: 12/10 parents evening, 19/10 INSET.");
    none("Key: Y = attended, N = absent");
    none("Key: EHCP1 = first annual review, EHCP2 = second");
    none("Key: KS2 - Key Stage 2");
    none("Please pin the notice to the board in room 12.");
    none("The key is in the office.");
    none("PIN: sent by text");
}

#[test]
fn quoted_replies_signatures_and_disclaimers() {
    none("Thanks, got it.\n\n> Your password is Kestrel42\n> IT");
    none("Thanks\n-- \nIT Support\nWiFi password: GuestNet-2025\n");
    none("Thanks!\n\n-----Original Message-----\nFrom: IT\nPassword: Kestrel42\n");
    none("Thanks!\n\nOn Mon, 3 Nov 2025, IT Support wrote:\nPassword: Kestrel42\n");
    none("Thanks\n\nFrom: IT Support\nSent: 03 November 2025\nPassword: Kestrel42\n");
    none(
        "See you then.\n\nThis email and any attachments are confidential and intended solely for the \
         addressee. If you are not the intended recipient, any password: Xy12abcd shown is void.",
    );
}

#[test]
fn placeholders_and_masked_values() {
    none("Password: ********");
    none("Password: <your password>");
    none("Password: [redacted]");
    none("Password: xxxxxx");
}

#[test]
fn never_panics_on_odd_text() {
    let d = PasswordDetector::new();
    let samples = [
        "",
        "password",
        "password:",
        "password: ",
        "password is",
        "PIN",
        "pin ",
        "login",
        "login:",
        "password: \"",
        "password: \"abc",
        "password: “Tulip",
        "password: é",
        "password:\n",
        "password — Ü",
        "pw=ÿÿÿÿ",
        "login: ü / ö",
        "credentials: ä ä",
        "password'",
        "password\u{301}x",
        "> password: Kestrel42",
        "--\npassword: x",
        "password: \u{1F600}\u{1F600}\u{1F600}\u{1F600}",
    ];
    for s in samples {
        let mut out = Vec::new();
        d.scan(
            &TextUnit {
                location: Location::Body,
                kind: TextKind::Body,
                text: s,
            },
            &MessageContext::default(),
            &mut out,
        );
        for f in out {
            assert!(s.contains(f.redact.as_deref().unwrap_or("")));
        }
    }
}

#[test]
fn prefilter_finds_what_the_automaton_finds() {
    let with = PasswordDetector::new();
    assert!(with.prefilter.is_some() || !cfg!(target_arch = "x86_64"));
    let mut without = PasswordDetector::new();
    without.prefilter = None;
    let text = "Password: a. PASSWORD is b; Passcode c pass code d passphrase e pwd f pw: g PW=h \
                PIN 1 pin number 2 Pin code 3 access code 4 Door Code 5 security code 6 unlock code \
                7 key 8 Network Key 9 wifi key wi-fi key encryption key DECRYPTION KEY login Log-in \
                LOGON username User Name user id userid login details log-in details login \
                credentials credentials sign-in details passwords passwd é password ü login \
                Alarm Code gate code Key Safe Code keysafe code padlock code code Pass pass \
                USER user Log in log in wifi code Wi-Fi Code wireless key WPA key wpa2 key";
    assert_eq!(with.triggers(text), without.triggers(text));
    assert!(with.triggers(text).len() > 50);
}

#[test]
fn fuzz_never_panics_and_redacts_what_is_there() {
    let d = PasswordDetector::new();
    for text in crate::detect::special::fuzz_texts_for_tests(3000) {
        for encrypted in [false, true] {
            let mut out = Vec::new();
            let ctx = MessageContext {
                has_encrypted_attachment: encrypted,
                encrypted_attachments: vec![],
            };
            d.scan(
                &TextUnit {
                    location: Location::Body,
                    kind: TextKind::Body,
                    text: &text,
                },
                &ctx,
                &mut out,
            );
            for f in out {
                let r = f.redact.as_deref().unwrap_or("");
                assert!(!r.is_empty() && text.contains(r), "{f:?} in {text:?}");
                let shown = f.evidence.rsplit('(').next().unwrap_or("");
                assert!(!shown.contains(r), "{f:?} in {text:?}");
            }
        }
    }
}

// ---- Throughput ----

#[test]
#[ignore = "throughput measurement: cargo test --release --lib -- --ignored --nocapture"]
fn throughput_password() {
    let d = PasswordDetector::new();
    let mut text = crate::detect::special::school_prose_for_bench(8 << 20);
    text.push_str("\nIT: your login is jsmith and your password is Summer2025.\n");
    let unit = TextUnit {
        location: Location::Body,
        kind: TextKind::Body,
        text: &text,
    };
    let ctx = MessageContext::default();
    let mut out = Vec::new();
    d.scan(&unit, &ctx, &mut out);
    assert_eq!(out.len(), 1);
    let rounds = 5;
    let start = crate::detect::special::CpuClockForBench::start();
    for _ in 0..rounds {
        out.clear();
        d.scan(&unit, &ctx, &mut out);
    }
    let secs = start.secs();
    let mbps = (text.len() * rounds) as f64 / secs / 1e6;
    let mut cut = 20_000;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let msg = &text[..cut];
    let n = 2000;
    let start = crate::detect::special::CpuClockForBench::start();
    for _ in 0..n {
        out.clear();
        d.scan(
            &TextUnit {
                location: Location::Body,
                kind: TextKind::Body,
                text: msg,
            },
            &ctx,
            &mut out,
        );
    }
    let per_s = n as f64 / start.secs();
    println!(
        "password: {mbps:.0} MB/s on {} MB of school prose; {per_s:.0} msgs/s of 20 KB",
        text.len() >> 20
    );
}

#[test]
fn abbreviations_p_slash_w_and_pword() {
    // M7: the spellings staff type.
    let (c, _, r) = one("spreadsheet attached, p/w Hedgehog55");
    assert_eq!((c, r.as_str()), (Confidence::Medium, "Hedgehog55"));
    let (c, _, r) = one("Pword: Aidans#Audit25");
    assert_eq!((c, r.as_str()), (Confidence::Medium, "Aidans#Audit25"));
    let (_, _, r) = one("P/W: Tulip-77 for the file");
    assert_eq!(r, "Tulip-77");
    let (_, _, r) = one("p'word is Marigold-42");
    assert_eq!(r, "Marigold-42");
    // Hard negatives: the abbreviations in talk, no token.
    none("p/w sent separately by text");
    none("the pword will follow by phone");
    silent("Send me the p/w when you can");
}

#[test]
fn reset_as_a_heading_does_not_hide_the_new_password() {
    // M6: "reset" belongs to another clause; the claim follows a label.
    let f = scan_with(
        "Arbor reset - password: Oakfield!Reset9",
        TextKind::Subject,
        false,
    );
    let (c, _, r) = one_f(f, "subject");
    assert_eq!((c, r.as_str()), (Confidence::Medium, "Oakfield!Reset9"));
    let (_, _, r) = one("I've reset your password: Oakfield!Reset9");
    assert_eq!(r, "Oakfield!Reset9");
    // Hard negatives: advice about resetting stays silent.
    none("To reset your password: click the link below.");
    none("Forgot your password? Reset your password here: https://portal.example/reset");
    silent("Never share your password: Summer2025 is an example of a weak one.");
    silent("Please change your password: it expires on Friday.");
}

#[test]
fn meeting_invitation_passcodes_are_not_secrets() {
    // F10: the passcode of a Teams or Zoom invitation travels with it.
    none("Join on your computer or mobile app\nMeeting ID: 384 221 907 615\nPasscode: qW7xB2");
    none(
        "Join Zoom Meeting\nhttps://us02web.zoom.us/j/81234567890\n\nMeeting ID: 812 3456 7890\nPasscode: 4Tq9zP",
    );
    // Hard negative: a file's password in a message about a meeting is still one.
    let (_, _, r) = one("Agenda for Tuesday's meeting attached, the password is Tulip-77");
    assert_eq!(r, "Tulip-77");
}

// ---- Every shape: LF and CRLF, bare and under each school footer ----

/// In every shape (LF/CRLF, each footer, raw and as the engine normalises):
/// exactly one finding the rule acts on (medium or above), redacting `token`.
fn held_everywhere(body: &str, token: &str) {
    held_everywhere_as(Case::new(&PasswordDetector::new()).raw(), body, token);
}

fn held_everywhere_as(case: Case<'_>, body: &str, token: &str) {
    case.each(body, |f| {
        let acted: Vec<_> = f
            .iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .collect();
        expect(acted.len() == 1, "expected one finding of medium or above")?;
        expect(
            acted[0].redact.as_deref() == Some(token),
            &format!("expected the redaction {token:?}"),
        )
    });
}

/// In every shape: nothing the rule acts on.
fn silent_everywhere(body: &str) {
    Case::new(&PasswordDetector::new()).raw().each(body, |f| {
        expect(
            f.iter().all(|f| f.confidence < Confidence::Medium),
            "expected nothing of medium or above",
        )
    });
}

#[test]
fn crlf_footer_does_not_hide_the_password_above_it() {
    // Issue 18 class 1: with CRLF, "\r\n\r\n" was no paragraph break, so
    // the footer's "this email and any attachments" marked the whole body
    // as a disclaimer. Every wording of the claim, under every footer.
    held_everywhere("Hi,\n\nPassword: Rb7kQz2mWx4\n\nThanks", "Rb7kQz2mWx4");
    held_everywhere("Hi,\n\npwd: Rb7kQz2mWx4\n\nThanks", "Rb7kQz2mWx4");
    held_everywhere(
        "Hi Sam,\n\nThe report is attached. The password is Rb7kQz2mWx4.\n\nKind regards\nJo",
        "Rb7kQz2mWx4",
    );
    held_everywhere("Password: Rb7kQz2mWx4", "Rb7kQz2mWx4");
}

#[test]
fn footer_right_under_the_password_line_does_not_hide_it() {
    // No blank line between the password and the disclaimer.
    for nl in ["\n", "\r\n"] {
        let text = format!(
            "Password: Rb7kQz2mWx4{nl}This email and any attachments are confidential.{nl}"
        );
        let (_, _, r) = one(&text);
        assert_eq!(r, "Rb7kQz2mWx4", "{text:?}");
    }
}

#[test]
fn disclaimer_mentions_stay_silent_in_crlf() {
    // A password *inside* a disclaimer paragraph is still not the writer's.
    for nl in ["\n", "\r\n"] {
        none(&format!(
            "See you then.{nl}{nl}This email and any attachments are confidential and intended \
             solely for the addressee.{nl}If you are not the intended recipient, any password: \
             Xy12abcd shown is void.{nl}"
        ));
        none(&format!(
            "Thanks{nl}{nl}> Your password is Kestrel42{nl}> IT{nl}"
        ));
        none(&format!(
            "Thanks{nl}-- {nl}IT Support{nl}WiFi password: GuestNet-2025{nl}"
        ));
        none(&format!(
            "Thanks!{nl}{nl}On Mon, 3 Nov 2025, IT Support wrote:{nl}Password: Kestrel42{nl}"
        ));
    }
}

#[test]
fn paragraph_start_treats_crlf_and_blank_space_lines_as_breaks() {
    assert_eq!(claim::paragraph_start_for_tests("a\n\nb"), 3);
    assert_eq!(claim::paragraph_start_for_tests("a\r\n\r\nb"), 5);
    assert_eq!(claim::paragraph_start_for_tests("a\n \t\nb"), 5);
    assert_eq!(claim::paragraph_start_for_tests("a\nb"), 0);
    assert_eq!(claim::paragraph_start_for_tests("\n\nb"), 2);
    assert_eq!(claim::paragraph_start_for_tests(""), 0);
    // The line holding the position is never the blank line.
    assert_eq!(claim::paragraph_start_for_tests("a\n\n"), 3);
}

#[test]
fn talk_about_passwords_is_silent_in_every_shape() {
    silent_everywhere("The spreadsheet is encrypted. I'll send the password in a separate email.");
    silent_everywhere("Reminder: reset your password before Friday.");
    silent_everywhere("Password: sent separately");
    silent_everywhere("The password is the same as last time.");
    silent_everywhere("Forgot your password? Visit https://reset.example.sch.uk to reset it.");
}

// ---- Credentials in every shape staff write them (issue 18, class 4) ----

#[test]
fn labelled_user_and_password_pairs() {
    // "user:" is a username only after a label; it makes the password high.
    let (c, e, r) = one("user: akhan pwd: Rb7kQz2mWx4");
    assert_eq!((c, r.as_str()), (Confidence::High, "Rb7kQz2mWx4"));
    assert_eq!(e, "username and password in the message (R*******)");
    for body in [
        "user: akhan pwd: Rb7kQz2mWx4",
        "Username: akhan\nPW: Rb7kQz2mWx4",
        "username - akhan, pw - Rb7kQz2mWx4",
        "Hi Sam,\n\nYour Arbor account:\nUser: akhan\nPassword: Rb7kQz2mWx4\n\nThanks",
        "login akhan pass Rb7kQz2mWx4",
        "user: akhan\npass: Rb7kQz2mWx4",
    ] {
        held_everywhere(body, "Rb7kQz2mWx4");
    }
    // Near misses: "user" and "pass" as everyday words, no secret.
    for body in [
        "User guide: see attached-document-here",
        "User: please log in with your school email.",
        "User: akhan",
        "Your bus pass: valid until July-2027",
        "Pass: Rb7kQz2mWx4",
        "login: akhan\nPass: 12 of 15 pupils met the target",
        "Username: akhan (the password will be texted to you)",
    ] {
        silent_everywhere(body);
    }
}

#[test]
fn portal_login_with_a_passphrase() {
    // Missed before: the passphrase has no digit, so it read as a word.
    let (c, _, r) = one("Portal login: akhan / maple-river-lantern");
    assert_eq!((c, r.as_str()), (Confidence::High, "maple-river-lantern"));
    held_everywhere(
        "Hi,\n\nPortal login: akhan / maple-river-lantern\n\nThanks",
        "maple-river-lantern",
    );
    held_everywhere("Log in with akhan / Rb7kQz2mWx4", "Rb7kQz2mWx4");
    // Near misses: logging in described, a URL with a user parameter.
    silent_everywhere("Please log in with your usual details.");
    silent_everywhere("Log in as normal and click Reports.");
    silent_everywhere("Log in at https://portal.example.sch.uk/login?user=akhan2");
}

#[test]
fn passphrases_of_words_joined_by_hyphens() {
    assert!(claim::passphrase("maple-river-lantern"));
    assert!(claim::passphrase("Maple.River.Lantern"));
    assert!(claim::passphrase("coffee_train_fish_lamp"));
    assert!(!claim::passphrase("up-to-date"));
    assert!(!claim::passphrase("mother-in-law"));
    assert!(!claim::passphrase("well-known"));
    assert!(!claim::passphrase("maple-river-42"));
    assert!(!claim::passphrase("first-name-surname"));
    assert!(!claim::passphrase("Pupil-First-Name"));
    silent_everywhere("Password: first-name-surname");
    silent_everywhere("Username: akhan\nPassword: pupil-first-name-dob");
    silent_everywhere("Username: akhan\nPassword: Surname");
    silent_everywhere("Username: akhan\nPassword: \"child's initials + DOB\"");
    silent_everywhere("User: akhan\nPassword: first-name-and-dob");
    silent_everywhere(
        "New starters: username is firstname.surname, password is Welcome + your start year.",
    );
    silent_everywhere("Password: Surname + DOB");
    // A real word password with a username is still one.
    held_everywhere("Username: akhan\nPassword: Lighthouse", "Lighthouse");
    held_everywhere(
        "The passphrase is maple-river-lantern",
        "maple-river-lantern",
    );
    held_everywhere("Password: maple-river-lantern", "maple-river-lantern");
    held_everywhere(
        "Your new password is: maple-river-lantern",
        "maple-river-lantern",
    );
    // Advice about passphrases, and hyphenated English, stay silent.
    silent_everywhere("A good passphrase is three random words like maple-river-lantern.");
    silent_everywhere("Password tip: three-random-words works well.");
    silent_everywhere("Password format: first-name-surname");
    silent_everywhere("Passwords should be three random words, e.g. apple-river-lantern.");
    silent_everywhere("The password is case-sensitive and must be up-to-date.");
    silent_everywhere("We passed the Ofsted inspection: well-deserved-result");
}

#[test]
fn temporary_passwords_and_pins_for_documents() {
    held_everywhere(
        "Your temporary password is Tq7-Lemon-Skate",
        "Tq7-Lemon-Skate",
    );
    held_everywhere("Temporary password: Welcome2026!", "Welcome2026!");
    held_everywhere(
        "Her temporary password is now Tq7-Lemon-Skate",
        "Tq7-Lemon-Skate",
    );
    held_everywhere("The PIN for the document is 4821", "4821");
    held_everywhere("PIN for the document: 4821", "4821");
    held_everywhere("Your passcode is 739214", "739214");
    held_everywhere("PW: Rb7kQz2mWx4", "Rb7kQz2mWx4");
    held_everywhere("The password's Rb7kQz2mWx4", "Rb7kQz2mWx4");
    // Near misses.
    silent_everywhere("Your temporary password will be emailed to you separately.");
    silent_everywhere("Please change your temporary password when you first log in.");
    silent_everywhere("The PIN for the document will be texted to you.");
    silent_everywhere("The PIN is your date of birth.");
    silent_everywhere("PIN reminder - 2026");
    silent_everywhere("Password reminder - 2026");
    silent_everywhere("The password's strength matters.");
    silent_everywhere("The password's been reset, please check your texts.");
}

#[test]
fn guest_wifi_keys() {
    held_everywhere(
        "The guest wifi password is GreenLane-Guest-26",
        "GreenLane-Guest-26",
    );
    held_everywhere("Guest WiFi key: bluebell-orchard-42", "bluebell-orchard-42");
    held_everywhere("The guest Wi-Fi code is Sunflower2026", "Sunflower2026");
    held_everywhere("WPA2 key: Sunflower2026", "Sunflower2026");
    silent_everywhere("The guest wifi password is on the noticeboard in reception.");
    silent_everywhere("The wifi code is on the board.");
    silent_everywhere("Can you send me the wifi password?");
    // "key" the adjective, before a word with digits.
    silent_everywhere("Readers will find coverage of the key Oracle9i new features.");
    silent_everywhere("Please note the key Year6 dates below.");
    held_everywhere("Key: Sunflower2026", "Sunflower2026");
    held_everywhere("The key is Sunflower2026", "Sunflower2026");
}

#[test]
fn its_username_comma_password_secret() {
    let (c, e, r) = one("It's akhan, password Rb7kQz2mWx4");
    assert_eq!((c, r.as_str()), (Confidence::High, "Rb7kQz2mWx4"));
    assert_eq!(e, "username and password in the message (R*******)");
    let (c, _, r) = one("it's j.smith and the password is Lantern-Maple-9");
    assert_eq!((c, r.as_str()), (Confidence::High, "Lantern-Maple-9"));
    held_everywhere(
        "Hi,\n\nIt's akhan, password Rb7kQz2mWx4\n\nJo",
        "Rb7kQz2mWx4",
    );
    // A sentence running on is no username: the password stays medium.
    let (c, _, _) = one("It's fine password Rb7kQz2mWx4");
    assert_eq!(c, Confidence::Medium);
    silent_everywhere("It's akhan, and I'll text the password.");
    silent_everywhere("It's fine, password to follow.");
}

#[test]
fn a_username_or_encrypted_file_raises_confidence() {
    let (c, _, _) = one("Password: Rb7kQz2mWx4");
    assert_eq!(c, Confidence::Medium);
    held_everywhere_as(
        Case::new(&PasswordDetector::new()).raw().encrypted(),
        "Report attached. Password: Rb7kQz2mWx4",
        "Rb7kQz2mWx4",
    );
    let f = scan_with(
        "Report attached. Password: Rb7kQz2mWx4",
        TextKind::Body,
        true,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].confidence, Confidence::High);
}

#[test]
fn talk_about_credentials_is_silent_in_every_shape() {
    for body in [
        "Reminder: please reset your password before the end of term.",
        "I'll send the password by text.",
        "The password must be 8 characters or more.",
        "To reset your password go to https://portal.example.sch.uk/reset",
        "Reset link: https://portal.example.sch.uk/reset?token=Ab12Cd34",
        "> Passwords must be changed every 90 days and must not be shared.",
        "The password is the same as before.",
        "Password sent separately.",
        "Your username is your email address.",
        "Your username and password are the same as for Google Classroom.",
        "Please use your usual login and password.",
        "The username is akhan; I'll text the password.",
    ] {
        silent_everywhere(body);
    }
}

// ---- Passwords in the subject line ----

fn subject(text: &str) -> Vec<Finding> {
    scan_with(text, TextKind::Subject, false)
}

#[test]
fn subject_line_passwords_and_their_negatives() {
    for (s, token) in [
        ("Password: Rb7kQz2mWx4", "Rb7kQz2mWx4"),
        ("Y6 reports - password is Rb7kQz2mWx4", "Rb7kQz2mWx4"),
        (
            "Portal login: akhan / maple-river-lantern",
            "maple-river-lantern",
        ),
        ("Guest wifi password: Sunflower2026", "Sunflower2026"),
        ("RE: report, pwd Rb7kQz2mWx4", "Rb7kQz2mWx4"),
    ] {
        let f = subject(s);
        assert_eq!(f.len(), 1, "{s:?}: {f:?}");
        assert_eq!(f[0].location, Location::Subject);
        assert!(f[0].confidence >= Confidence::Medium, "{s:?}: {f:?}");
        assert_eq!(f[0].redact.as_deref(), Some(token), "{s:?}");
    }
    for s in [
        "Password reset reminder",
        "Password reminder - 2026",
        "Re: wifi password",
        "Password for the Y6 reports to follow by text",
        "Your new password",
        "Password protected: Year 6 reports",
        "Password must be 8 characters",
        "FW: Password sent separately",
        "Reset your password: https://portal.example.sch.uk/reset",
    ] {
        let f: Vec<_> = subject(s)
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .collect();
        assert!(f.is_empty(), "{s:?}: {f:?}");
    }
}

#[test]
fn a_dash_after_the_password_does_not_hide_it() {
    // The separator search used to stop at the sentence's " - " and give up.
    let (c, _, r) = one("It's akhan, password Rb7kQz2mWx4 - let me know if it works.");
    assert_eq!((c, r.as_str()), (Confidence::High, "Rb7kQz2mWx4"));
    held_everywhere("PIN 4821 - the door by the hall", "4821");
    // Near misses: the word after the trigger is talk, not a token.
    silent_everywhere("Password sent - see below");
    silent_everywhere("Password reset - see the link below");
}

#[test]
fn letters_in_no_word_case_are_password_shaped() {
    // "PSGUBXBNYna" has no digit, but no word is written that way.
    let (c, _, r) = one("Portal login: jack.ali / PSGUBXBNYna");
    assert_eq!((c, r.as_str()), (Confidence::High, "PSGUBXBNYna"));
    held_everywhere("Password: kQzRbWxTm", "kQzRbWxTm");
    // Words in the cases words are written in stay words (low at most).
    silent_everywhere("Password: GCSEs");
    silent_everywhere("Password: Lighthouse");
    silent_everywhere("Password: LIGHTHOUSE");
}

#[test]
fn a_wifi_key_may_be_a_passphrase_but_a_bare_key_may_not() {
    held_everywhere(
        "Guest WiFi key: river-meadow-copper-pepper",
        "river-meadow-copper-pepper",
    );
    held_everywhere(
        "Network key: pebble-copper-saffron",
        "pebble-copper-saffron",
    );
    silent_everywhere("Key: first-aid-trained staff are marked in green.");
    silent_everywhere("Key: well-being-team");
}

// ---- Credentials pasted as a table ----

#[test]
fn a_password_column_pasted_from_a_spreadsheet() {
    let body = "Hi,\n\nName\tUsername\tPassword\nAmira Khan\takhan\tmaple-river-lantern\n\
                Wei Zhang\twzhang\tRb7kQz2mWx4\n\nThanks";
    Case::new(&PasswordDetector::new()).raw().each(body, |f| {
        let r: Vec<_> = f.iter().filter_map(|f| f.redact.as_deref()).collect();
        expect(
            r == ["maple-river-lantern", "Rb7kQz2mWx4"],
            "expected both passwords of the column",
        )?;
        expect(
            f.iter().all(|f| f.confidence == Confidence::High),
            "a username column makes them high",
        )
    });
    // Aligned with spaces, and an HTML table turned into text (" | ").
    let f = scan("Name          Username   Password\nAmira Khan    akhan      Tulip-77x\n");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].redact.as_deref(), Some("Tulip-77x"));
    assert_eq!(f[0].confidence, Confidence::High);
    held_everywhere(
        "Name | Password | Notes\nAmira | Rb7kQz2mWx4 | new",
        "Rb7kQz2mWx4",
    );
    held_everywhere("Username | akhan\nPassword | Rb7kQz2mWx4", "Rb7kQz2mWx4");
    let f = scan("Device\tPIN\niPad 3\t4821\niPad 4\t9134\n");
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.evidence.starts_with("PIN")));
}

#[test]
fn a_table_that_only_mentions_passwords_is_silent() {
    silent_everywhere("Name\tPassword\nAmira\tsent separately\nWei\tsent separately");
    silent_everywhere("Name\tPIN\nAmira\tYes\nWei\tNo");
    silent_everywhere("Pupil\tPassword reset\tDate\nAmira\tYes\t04/12/2026");
    silent_everywhere("Name | Password | Notes\nAmira | sent by text | new");
    silent_everywhere("Name\tPassword\nAmira\tLighthouse\nWei\tSunflower");
    // A password word inside another cell is no header.
    silent_everywhere("Task\tOwner\nReset the password on 4821\tIT");
    // The column stops at the first blank line.
    silent_everywhere("Name\tPassword\n\nRoom 12\tKestrel42");
}

#[test]
fn codes_that_open_a_file_or_a_door() {
    held_everywhere("The code to open the file is 4821", "4821");
    held_everywhere("Code for the attachment: 739214", "739214");
    held_everywhere("the code for the zip is Rb7kQz2mWx4", "Rb7kQz2mWx4");
    held_everywhere("The alarm code is 4821#", "4821#");
    held_everywhere("Key safe code: 2580", "2580");
    for body in [
        "The course code for the trip is ABC123",
        "Dress code: smart casual",
        "QR code: scan at reception 2026",
        "Please use discount code SCHOOL2026 for the uniform shop",
        "Course code: 4821",
        "Our school code is 4821",
        "DfE code: 9254821",
        "The code for the report template is in the shared drive",
        "The code to open the file will be texted to you.",
        // What it opens must be a whole word.
        "The code for safeguarding training is SG2026",
        "Use the code to navigate to module B12: NAV2026",
        "The code for your profile is AB12CD",
    ] {
        silent_everywhere(body);
    }
}

#[test]
fn the_value_on_the_line_below_its_label() {
    held_everywhere("The password is:\n\nRb7kQz2mWx4\n\nThanks", "Rb7kQz2mWx4");
    held_everywhere("Password:\n\nRb7kQz2mWx4", "Rb7kQz2mWx4");
    let (c, _, r) = one("Login details:\nakhan\nRb7kQz2mWx4");
    assert_eq!((c, r.as_str()), (Confidence::High, "Rb7kQz2mWx4"));
    held_everywhere(
        "Here are your login details:\nakhan\nmaple-river-lantern\n\nThanks",
        "maple-river-lantern",
    );
    // Near misses: the next paragraph is not the value.
    silent_everywhere("Password:\n\nPlease ask IT for it.");
    silent_everywhere("Password reminder:\n\nAll staff must change passwords.");
    silent_everywhere("Login details:\nPlease use your email address.");
    silent_everywhere("Password:\n\n\nRb7kQz2mWx4");
    silent_everywhere("Password:\n\nThe report is attached.\n\nRb7kQz2mWx4");
    // Even with an encrypted file, a word after a blank line is no password.
    let f = scan_with(
        "The file is encrypted. Password:\n\nThanks",
        TextKind::Body,
        true,
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_file_protected_with_a_password_and_a_door_code() {
    held_everywhere(
        "I've password protected it with Ashfield2026",
        "Ashfield2026",
    );
    held_everywhere(
        "The spreadsheet is password-protected with Ashfield2026",
        "Ashfield2026",
    );
    held_everywhere("Your password is now: Rb7kQz2mWx4", "Rb7kQz2mWx4");
    held_everywhere("FYI the new code for the staffroom door is 4417", "4417");
    // Near misses: what it is protected with is not written.
    silent_everywhere("The file is password protected with your date of birth.");
    silent_everywhere("I've password protected it with a strong password.");
    silent_everywhere("Password-protected with the usual one.");
    silent_everywhere("The code for the door will be texted to you.");
    silent_everywhere("The code for the door is on the board.");
}

#[test]
fn every_trigger_of_the_word_list_has_a_known_kind() {
    assert_eq!(triggers().len(), words().triggers.len());
    assert!(triggers().len() >= 50);
    assert!(triggers().contains(&("code", Trigger::Code)));
    assert!(triggers().contains(&("user", Trigger::User)));
}

#[test]
fn a_forwarded_message_is_sent_on_with_its_password() {
    for marker in [
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
        "-----Forwarded Message-----",
    ] {
        let body = format!(
            "Forwarding as discussed\n\n{marker}\nFrom: Ann Lee <ann@school.sch.uk>\nDate: Wed, 23 Nov 2026 at 14:27\nSubject: Welcome\nTo: Bo Kay <bo@school.sch.uk>\n\nHi Nigel,\n\nThe password is velvet-cobalt-maple\n\nThanks"
        );
        held_everywhere(&body, "velvet-cobalt-maple");
    }
    // A quoted original (a reply's header block, no forward marker) stays
    // the thread's history, as before; so does a reply quoted below a
    // forwarded message's own header block.
    silent_everywhere(
        "Thanks, that worked.\n\nFrom: Ann Lee <ann@school.sch.uk>\nSent: Wednesday, 23 November 2026 14:27\nTo: Bo Kay\nSubject: Welcome\n\nThe password is velvet-cobalt-maple",
    );
    silent_everywhere(
        "FYI\n\n---------- Forwarded message ---------\nFrom: Ann Lee <ann@school.sch.uk>\nDate: Wed, 23 Nov 2026\nSubject: Re: Welcome\n\nAll sorted now.\n\nFrom: Bo Kay <bo@school.sch.uk>\nSent: Tuesday, 22 November 2026 09:00\n\nThe password is velvet-cobalt-maple",
    );
}

#[test]
fn set_the_password_to_a_secret() {
    held_everywhere("I've set the password to Rb7kQz2mWx4", "Rb7kQz2mWx4");
    held_everywhere(
        "We have set your password to maple-river-lantern.",
        "maple-river-lantern",
    );
    held_everywhere("I changed the PIN to 4821 for the key safe.", "4821");
    // "to" after a trigger with no setting verb is not a separator.
    silent_everywhere("Please send the password to the office by text.");
    silent_everywhere("I've set the password to expire every term.");
    silent_everywhere("Remember to change your password to something memorable.");
}

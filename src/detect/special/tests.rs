//! Tests of the special-category detector: what it must find (with its
//! confidence and masked evidence) and, as much, what it must leave alone.

use super::*;
use crate::detect::Location;

fn scan_kind(text: &str, kind: TextKind) -> Vec<Finding> {
    let d = SpecialCategoryDetector::new();
    let location = match kind {
        TextKind::Subject => Location::Subject,
        TextKind::Body => Location::Body,
        _ => Location::Attachment("pupils.csv".into()),
    };
    let mut out = Vec::new();
    d.scan(
        &TextUnit {
            location,
            kind,
            text,
        },
        &MessageContext::default(),
        &mut out,
    );
    out
}

fn scan(text: &str) -> Vec<Finding> {
    scan_kind(text, TextKind::Body)
}

/// Exactly one finding; returns (confidence, evidence).
fn one(text: &str) -> (Confidence, String) {
    let f = scan(text);
    assert_eq!(f.len(), 1, "expected one finding in {text:?}, got {f:#?}");
    assert_eq!(f[0].detector, "special_category");
    assert_eq!(f[0].category, Category::PersonalData);
    (f[0].confidence, f[0].evidence.clone())
}

/// Nothing that a rule would hold on (medium or above).
fn silent(text: &str) {
    let f: Vec<_> = scan(text)
        .into_iter()
        .filter(|f| f.confidence >= Confidence::Medium)
        .collect();
    assert!(f.is_empty(), "expected silence for {text:?}, got {f:#?}");
}

/// Nothing at all, not even low.
fn none(text: &str) {
    let f = scan(text);
    assert!(f.is_empty(), "expected nothing for {text:?}, got {f:#?}");
}

// ---- Positives ----

#[test]
fn contract_example_11_safeguarding() {
    let (c, e) = one(
        "Hi,\nFollowing our call: Tyler Evans (Year 3) told his teacher he was left alone \
         overnight again. Logged on CPOMS.\nDSL\n",
    );
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "safeguarding term \"left alone\" about T**** E****");
}

#[test]
fn html_body_variant_gives_same_evidence() {
    // The HTML part turned into text has other line breaks: same evidence,
    // so the engine's dedupe merges the two bodies.
    let (_, e) = one(
        "Hi,\nFollowing our call: Tyler Evans (Year 3) told his teacher he was left alone overnight again. Logged on CPOMS.\nDSL",
    );
    assert_eq!(e, "safeguarding term \"left alone\" about T**** E****");
}

#[test]
fn health_terms_with_full_name_are_high() {
    let (c, e) = one("Amira Khan needs her EpiPen with her on the trip.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "health term \"epipen\" about A**** K****");
    let (c, e) = one("Just so you know, Leo Smith had a seizure at lunchtime.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "health term \"seizure\" about L**** S****");
    let (c, _) = one("Jacob Wright is diabetic and will need a snack at 10.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn sen_terms() {
    let (c, e) = one("The EHCP annual review for Oliver Brown (Y5) is on Tuesday.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "SEN term \"ehcp\" about O**** B****");
    let (c, e) = one("Sophie Turner has been placed on SEN support this term.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "SEN term \"sen support\" about S**** T****");
    // SEND is weak on its own: medium with a name in the sentence.
    let (c, _) = one("Isla Green is one of our SEND pupils in 4B.");
    assert_eq!(c, Confidence::Medium);
}

#[test]
fn title_and_surname_counts() {
    let (c, e) = one("Mr Shah has been signed off with depression until half term.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "health term \"depression\" about Mr S****");
    let (c, e) = one("We have made a LADO referral about Mr Jenkins following the allegation.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "safeguarding term \"LADO\" about Mr J****");
}

#[test]
fn looked_after_fsm_exclusion() {
    let (c, e) = one("Daniel Price is a looked-after child and his PEP is due.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "looked-after term \"looked-after\" about D**** P****");
    let (c, e) = one("Can you check whether Ella Moore is eligible for free school meals?");
    assert_eq!(c, Confidence::High);
    assert_eq!(
        e,
        "free-school-meals term \"free school meals\" about E**** M****"
    );
    let (c, e) = one("Following the incident, Kai Robinson faces a permanent exclusion.");
    assert_eq!(c, Confidence::High);
    assert_eq!(
        e,
        "exclusion term \"permanent exclusion\" about K**** R****"
    );
    let (_, e) = one("Nathan Hill (Year 9) will start a managed move on Monday.");
    assert_eq!(e, "exclusion term \"managed move\" about N**** H****");
}

#[test]
fn acronyms_match_case_sensitively() {
    let (c, e) = one("Ruby Clarke (Y2) is CLA and has a new social worker.");
    assert_eq!(c, Confidence::High);
    assert!(e.contains("about R**** C****"), "{e}");
    // "send" the verb is never SEND; "pep talk" is not a PEP.
    none("Tyler Evans, please send the forms back by Friday.");
    none("Amira Khan gave the team a pep talk.");
    none("Could Tyler Evans send me the mash recipe?");
}

#[test]
fn shouted_text_is_not_an_acronym() {
    none("TYLER EVANS PLEASE SEND YOUR FORMS TO THE OFFICE.");
}

#[test]
fn given_name_alone_is_medium_with_strong_term() {
    let (c, e) = one("Amira's EpiPen is in the office cupboard.");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(e, "health term \"epipen\" about A****");
    // With a class reference it is as good as a full name.
    let (c, _) = one("Amira (Year 3) has a nut allergy.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn paragraph_proximity_is_medium() {
    let (c, e) = one(
        "I met with Oliver Brown's mum this morning. She is worried about the move.\n\
         The EHCP paperwork still hasn't arrived from the LA.",
    );
    assert_eq!(c, Confidence::Medium);
    assert_eq!(e, "SEN term \"ehcp\" about O**** B****");
}

#[test]
fn subject_is_one_sentence() {
    let f = scan_kind("Tyler Evans - CP plan review", TextKind::Subject);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].location, Location::Subject);
    assert_eq!(f[0].confidence, Confidence::High);
}

#[test]
fn two_people_two_findings_many_people_one() {
    let f = scan("Leo Smith and Amira Khan both have asthma inhalers in the medical room.");
    assert_eq!(f.len(), 2);
    let mut text = String::new();
    for n in [
        "Leo Smith",
        "Amira Khan",
        "Oscar Hall",
        "Ella Moore",
        "Jack Reid",
    ] {
        text.push_str(&format!("{n} has an EHCP.\n\n"));
    }
    let f = scan(&text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 5);
    assert_eq!(
        f[0].evidence,
        "SEN term \"ehcp\" about L**** S**** and 4 other people"
    );
}

#[test]
fn staff_member_with_role_term_but_pupil_still_found() {
    // Mrs Evans is the SENCo; Leo is the subject.
    let (_, e) = one("Mrs Evans, our SENCo, has started the EHC needs assessment for Leo Smith.");
    assert_eq!(e, "SEN term \"ehc needs assessment\" about L**** S****");
}

#[test]
fn disclosure_from_a_pupil_keeps_the_pupil() {
    let (c, e) =
        one("A disclosure was made by Tyler Evans this morning about bruising on his arm.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "safeguarding term \"bruising\" about T**** E****");
}

#[test]
fn realistic_pupil_messages() {
    let (c, e) =
        one("Hi Emma,\nJust a reminder that Jack's inhaler is in the medical room.\nThanks\nLaura");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(e, "health term \"inhaler\" about J****");
    let (c, _) = one(
        "Olivia Smith in 5C was very upset today and disclosed that her dad hit her mum. \
         I've logged it on CPOMS and spoken to Mrs Jones (DSL).",
    );
    assert!(c >= Confidence::Medium);
    let (c, _) =
        one("Noah Williams has been diagnosed with type 1 diabetes; his care plan is attached.");
    assert_eq!(c, Confidence::High);
    let (c, _) = one("Can you check whether Oscar Green is on the child protection register?");
    assert_eq!(c, Confidence::High);
    let (c, _) = one("Please send me the EHCP paperwork for Ethan Clarke by Friday.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn general_use_is_weak_but_still_about_someone() {
    // "pupil premium funding" is general, yet Zara is named: low, not silent.
    let (c, _) =
        one("I can confirm that Zara Khan has been awarded pupil premium funding for the trip.");
    assert_eq!(c, Confidence::Medium);
    let (c, _) = one("I can confirm that Zara has pupil premium funding for the trip.");
    assert_eq!(c, Confidence::Low);
}

#[test]
fn charities_and_celebrations() {
    none("Well done to Ava Jones for raising 200 pounds for Diabetes UK!");
    none("Leo Smith ran the Epilepsy Action fun run on Saturday.");
    none("Congratulations to Lily Taylor who won the Young Writers award!");
    none("Amira Khan is one of our new Mental Health Ambassadors.");
    none("It is World Autism Awareness Day: Isla Green will read a poem in assembly.");
}

#[test]
fn exclusion_words_need_a_school_context() {
    none("Tom Baker was excluded from the team photo because his form was late.");
    none("Ella Moore's swimming club membership is suspended until she pays.");
    let (c, _) = one("Kai Robinson was suspended from school for fighting.");
    assert_eq!(c, Confidence::Medium);
    none("Well done to Ruby Clarke for organising the Diabetes bake sale!");
}

#[test]
fn titles_with_pupil_data() {
    silent("Mrs Evans will be out on Thursday for an EHCP annual review meeting.");
    none("Mrs Evans is supporting the EHCP applications this term.");
    // A parent applying for free school meals: still about her family.
    let (c, e) = one("Mrs Khan has applied for free school meals.");
    assert_eq!(c, Confidence::Medium);
    assert_eq!(
        e,
        "free-school-meals term \"free school meals\" about Mrs K****"
    );
    let (c, _) = one("Sam in Year 4 has been referred to CAMHS.");
    assert_eq!(c, Confidence::High);
    let (c, _) = one("Mia Thompson - EpiPen expired, please send a new one.");
    assert_eq!(c, Confidence::High);
    none("Our new SENCo is Mrs Evans, who joins us from St Mary's.");
    none("Mr Shah (DSL) has asked me to remind all staff to log concerns on CPOMS.");
}

#[test]
fn staff_cover_and_general_notices() {
    silent("Mrs Hughes is off sick today so Year 3 will be covered by Mr Patel.");
    silent("Hi Sarah, can you cover Mr Brown's class on Tuesday? He has a hospital appointment.");
    none("Please can all staff read Keeping Children Safe in Education. Mrs Jones is our DSL and Mr Ali is deputy DSL.");
    none("Jessica Brown, the SEND governor, will visit on Tuesday to look at provision.");
    none("Thanks Amelia for organising the mental health awareness assembly.");
    none("From: Amy Wilson\nSent: Monday\nSubject: EHCP review\n\nHi, the EHCP review is booked.");
}

// ---- Tables ----

#[test]
fn table_rows_with_terms_and_flags() {
    let f = scan_kind("name: Amira Khan | sen: EHCP\n", TextKind::Table);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].confidence, Confidence::High);
    assert_eq!(f[0].evidence, "SEN term \"ehcp\" about A**** K****");

    let f = scan_kind("name: Khan, Amira | fsm: Y | sen: N\n", TextKind::Table);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence,
        "free-school-meals term \"fsm\" about K**** A****"
    );

    let f = scan_kind("forename: Leo | surname: Smith | sen: K\n", TextKind::Table);
    assert_eq!(f.len(), 1);
    assert!(f[0].evidence.starts_with("SEN term \"sen\""));

    // MIS export headers.
    let f = scan_kind(
        "Legal Forename: Leo | Legal Surname: Smith | SEN Status: K | Pupil Premium Indicator: T\n",
        TextKind::Table,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].confidence, Confidence::High);
    let f = scan_kind(
        "name: Amira Khan | medical conditions: Asthma (inhaler in class)\n",
        TextKind::Table,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence, "health term \"asthma\" about A**** K****");
}

#[test]
fn table_negative_flags_and_no_names_are_silent() {
    assert!(scan_kind(
        "name: Amira Khan | fsm: N | sen: N | lac: No\n",
        TextKind::Table
    )
    .is_empty());
    assert!(scan_kind("name: Amira Khan | allergies: None\n", TextKind::Table).is_empty());
    assert!(scan_kind(
        "Forename: Amira | Surname: Khan | FSM Eligible: Not eligible | Medical: No known allergies\n",
        TextKind::Table
    )
    .is_empty());
    // A staff list is not a pupil list: no flag, no term.
    assert!(scan_kind(
        "name: Sarah Jones | role: Class teacher | room: 4B\n",
        TextKind::Table
    )
    .is_empty());
    assert!(scan_kind("year: 3 | sen: K | fsm: Y\n", TextKind::Table).is_empty());
}

#[test]
fn big_register_is_one_finding() {
    let mut t = String::new();
    for i in 0..100 {
        t.push_str(&format!("name: Pupil Number{i} | medical: asthma\n"));
        t.push_str("name: Amira Khan | sen: EHCP\n");
    }
    let f = scan_kind(&t, TextKind::Table);
    assert_eq!(f.len(), 1);
    assert!(f[0].count >= 2);
}

// ---- Hard negatives ----

#[test]
fn contract_example_12_send_report() {
    none("Governors, the updated SEND information report is now on the website for the meeting.");
}

#[test]
fn newsletters_and_policies() {
    none("Our SEND policy has been updated and is available on the school website.");
    none("It is Diabetes Awareness Week: we will be raising money in our Friday assembly.");
    none("The pupil premium strategy statement for 2025-26 has been published.");
    none("All staff must complete child protection training before September.");
    none("Please read the updated Child Protection and Safeguarding Policy.");
    none("We are a nut-free school because some pupils have severe allergies.");
    none("Our school nurse will be in on Tuesday to check inhalers and EpiPens are in date.");
    none("Parents can apply for free school meals online at the council website.");
}

#[test]
fn named_staff_doing_generic_things() {
    silent("Mrs Patel will lead child protection training for all staff on Monday.");
    silent("Mrs Patel will lead on child protection this year.");
    silent("Please contact Mrs Evans, our SENCo, with any questions about SEND.");
    silent("Our DSL is Mr Shah; in his absence speak to Mrs Patel about safeguarding.");
    silent("Mr Shah is our Designated Safeguarding Lead.");
    silent("Sarah Jones (SENCo) is leading the SEND review.");
    silent("Thanks to Mrs Patel for running the mental health workshop.");
}

#[test]
fn greetings_and_sign_offs_are_not_the_subject() {
    silent("Dear Mrs Evans,\n\nPlease find the SEND information attached.\n\nKind regards,\nSarah Jones\nSENCo");
    silent("Hi Tom,\nCan we talk about safeguarding at the next meeting?\nThanks,\nAmira");
    silent("Kind regards,\n\nMr Shah\nDesignated Safeguarding Lead\nGreenlane Primary");
    none("Please see the attached safeguarding update.\nSarah Jones\nSENCo and DSL\nGreenlane Primary");
}

#[test]
fn no_person_no_finding() {
    none("A pupil in Year 3 was left alone overnight; this has been logged on CPOMS.");
    none("One child has an EpiPen; please make sure it goes on the trip.");
}

#[test]
fn words_that_look_like_names() {
    none("Will you send me the EHCP paperwork?");
    none("The Summer Term EHCP reviews start in June.");
    none("Grace and courtesy: our behaviour policy on exclusions.");
}

#[test]
fn denied_terms() {
    none("Amira Khan has no known allergies.");
    none("Leo Smith is not diabetic, it was a sugar low after PE.");
    // Saying a named pupil has no plan is still about their SEN status.
    assert_eq!(scan("Tyler Evans does not have an EHCP yet.").len(), 1);
}

#[test]
fn looked_after_the_class_is_not_looked_after() {
    none("Mrs Evans looked after the class while I was at the hospital appointment.");
}

#[test]
fn never_panics_on_odd_text() {
    let d = SpecialCategoryDetector::new();
    let samples = [
        "",
        "EHCP",
        "é EHCP é",
        "Tyler\u{301} Evans EHCP",
        "Mrs\nEHCP",
        "name: | sen: K",
        "name: Ä | sen: EHCP\n\n\n",
        "…CPOMS…Tyler Évans’s ÉHCP",
        "Amira (Year",
        "CPOMS.",
        ". CPOMS",
        "\u{2022} Tyler Evans EpiPen",
    ];
    for s in samples {
        for kind in [
            TextKind::Body,
            TextKind::Subject,
            TextKind::Table,
            TextKind::Attachment,
        ] {
            let mut out = Vec::new();
            d.scan(
                &TextUnit {
                    location: Location::Body,
                    kind,
                    text: s,
                },
                &MessageContext::default(),
                &mut out,
            );
        }
    }
}

/// Pseudo-random text from pieces that exercise every path (names, titles,
/// terms, separators, table cells, multi-byte characters at odd places):
/// nothing may panic, and findings must stay masked.
pub(crate) fn fuzz_texts(n: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "Tyler",
        "Evans",
        "Mrs",
        "Mr.",
        "Amira",
        "Khan's",
        "(Year 3)",
        "Y6",
        "in 4B",
        "EHCP",
        "SEND",
        "send",
        "CPOMS",
        "left alone",
        "EpiPen",
        "allergies",
        "DSL",
        "SENCo",
        "policy",
        "training",
        "no",
        "not",
        " ",
        "  ",
        "\n",
        "\n\n",
        ".",
        ",",
        ":",
        " | ",
        "name: ",
        "sen: ",
        "K",
        "N",
        "é",
        "’",
        "–",
        "…",
        "\u{1F600}",
        "É",
        "ß",
        "\u{301}",
        "Dear",
        "Thanks,",
        "--",
        ">",
        "password",
        "Password:",
        "PIN",
        "is",
        "4821",
        "Kestrel42!",
        "login",
        "jsmith",
        "/",
        "\"",
        "'",
        "“",
        "”",
        "key",
        "door code",
        "will be",
        "set to",
        "-",
        "=",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 1 + (state % 60) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            if state.is_multiple_of(3) {
                s.push(' ');
            }
        }
        out.push(s);
    }
    out
}

#[test]
fn fuzz_never_panics_and_masks() {
    let d = SpecialCategoryDetector::new();
    for text in fuzz_texts(3000) {
        for kind in [TextKind::Body, TextKind::Subject, TextKind::Table] {
            let mut out = Vec::new();
            d.scan(
                &TextUnit {
                    location: Location::Body,
                    kind,
                    text: &text,
                },
                &MessageContext::default(),
                &mut out,
            );
            for f in out {
                assert!(!f.evidence.contains("Tyler"), "{f:?}");
                assert!(!f.evidence.contains("Evans"), "{f:?}");
                assert!(!f.evidence.contains("Amira"), "{f:?}");
            }
        }
    }
}

// ---- Throughput ----

/// Everyday school mail with no special-category content.
const EVERYDAY: &[&str] = &[
    "Dear Parents and Carers,\n\nWhat a busy half term it has been! Year 4 enjoyed their trip to the \
     museum and Year 6 have been working hard on their SATs revision. Please remember to send in \
     reply slips for the residential by Friday.\n\n",
    "Hi Sarah,\nCould you send me the updated seating plan for 5B and the reading group lists? \
     I will print them before the lesson tomorrow morning.\nThanks,\nTom\n\n",
    "Lunch menu: the kitchen will be serving roast chicken on Wednesday and fish on Friday. \
     Please make sure your child's account is topped up on ParentPay before the weekend.\n\n",
    "The football team won 3-1 against St Mary's on Thursday. Well done to everyone who played and \
     thank you to the parents who came to support. Training resumes next week at 3.15pm.\n\n",
    "Reminder that the school will be closed on Monday 3rd November for staff training. Breakfast \
     club will not run that day. Normal timings resume on Tuesday.\n\n",
    "Hi all, the minibus is booked for the Year 5 swimming lessons from next half term. Can the \
     class teachers please confirm numbers by Wednesday so I can arrange cover for the second adult.\n\n",
    "Please find attached the agenda for Thursday's curriculum meeting. We will look at the new \
     phonics scheme, the maths mastery resources and the timetable for spring assessments.\n\n",
    "Dear Mr Ahmed,\nThank you for your email about the uniform. The jumpers are available from the \
     school office at twelve pounds each, or from the supplier's website.\nKind regards,\nSchool Office\n\n",
    "The PTA summer fair raised over two thousand pounds! Thank you to everyone who baked, ran a \
     stall or simply came along. The money will go towards new playground equipment.\n\n",
    "Homework this week: Year 3 spelling list 12, times tables practice on the usual website, and \
     a short piece of writing about a favourite place. Books are due back on Monday.\n\n",
    "Could whoever borrowed the projector from room 14 please return it to the IT office? The \
     Year 2 team need it for their assembly rehearsal on Friday afternoon.\n\n",
    "Well done to the Year 6 pupils who passed their cycling proficiency. Key Stage 2 parents: please \
     check the postcode on the trip form. The design and technology users group meets on Friday; \
     the login page for the new blog is on the school website.\n\n",
    "Governors: the finance committee meets on the 14th at 6pm in the library. Papers will be \
     circulated a week before. Please let the clerk know if you cannot attend.\n\n",
];

/// Mail that mentions the vocabulary: newsletters, notices, and a few
/// messages about a named pupil.
const SENSITIVE: &[&str] = &[
    "Our SEND information report and the updated Safeguarding Policy are on the website. If you have \
     any concerns about your child, please speak to the class teacher or our SENCo, Mrs Evans.\n\n",
    "Staff reminder: child protection training is on Monday after school in the hall. Mrs Patel will \
     lead the session. Please also complete the online Prevent module by the end of the month.\n\n",
    "Following our call: Tyler Evans (Year 3) told his teacher he was left alone overnight again. \
     Logged on CPOMS.\n\n",
    "Pupils with allergies should speak to the office before the trip. Free school meals \
     applications are open on the council website.\n\n",
];

/// Realistic school prose: mostly everyday mail, one paragraph in four
/// touching the vocabulary (already more than most school mail).
pub(crate) fn school_prose(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1024);
    let mut i = 0;
    while s.len() < bytes {
        if i % 4 == 3 {
            s.push_str(SENSITIVE[(i / 4) % SENSITIVE.len()]);
        } else {
            s.push_str(EVERYDAY[i % EVERYDAY.len()]);
        }
        i += 1;
    }
    s
}

/// Worst case: every paragraph touches the vocabulary.
fn dense_prose(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1024);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(SENSITIVE[i % SENSITIVE.len()]);
        i += 1;
    }
    s
}

/// CPU time of this thread (from /proc/thread-self/schedstat), so a
/// measurement on a shared, busy machine counts only our own work; falls
/// back to wall time where that file does not exist.
pub(crate) struct CpuClock {
    wall: std::time::Instant,
    cpu_ns: Option<u64>,
}

impl CpuClock {
    fn cpu_ns() -> Option<u64> {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    pub(crate) fn start() -> CpuClock {
        CpuClock {
            wall: std::time::Instant::now(),
            cpu_ns: Self::cpu_ns(),
        }
    }

    pub(crate) fn secs(&self) -> f64 {
        match (self.cpu_ns, Self::cpu_ns()) {
            (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

/// (MB/s over one big unit, 20 KB messages per second).
fn measure(d: &SpecialCategoryDetector, text: &str) -> (f64, f64) {
    let unit = TextUnit {
        location: Location::Body,
        kind: TextKind::Body,
        text,
    };
    let ctx = MessageContext::default();
    let mut out = Vec::new();
    d.scan(&unit, &ctx, &mut out); // warm up
    let rounds = 5;
    let start = CpuClock::start();
    for _ in 0..rounds {
        out.clear();
        d.scan(&unit, &ctx, &mut out);
    }
    let mbps = (text.len() * rounds) as f64 / start.secs() / 1e6;
    let msg = &text[..floor_boundary(text, 20_000)];
    let n = 2000;
    let start = CpuClock::start();
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
    (mbps, n as f64 / start.secs())
}

#[test]
#[ignore = "throughput measurement: cargo test --release --lib -- --ignored --nocapture"]
fn throughput_special() {
    let d = SpecialCategoryDetector::new();
    let text = school_prose(8 << 20);
    let (mbps, per_s) = measure(&d, &text);
    println!(
        "special_category: {mbps:.0} MB/s on 8 MB of school prose; {per_s:.0} msgs/s of 20 KB"
    );
    let text = dense_prose(8 << 20);
    let (mbps, per_s) = measure(&d, &text);
    println!(
        "special_category (worst case, every paragraph sensitive): {mbps:.0} MB/s; {per_s:.0} msgs/s of 20 KB"
    );
}

// ---- Evaluation-corpus fixes (fixtures/eval/FINDINGS.md) ----

#[test]
fn a_name_after_saint_is_a_place() {
    // F1.
    none(
        "Paediatric First Aid course (covers anaphylaxis, asthma, seizures) on 21-22 January \
         at St Aidan's.",
    );
    // The same name as a person still counts.
    let (c, e) = one("Aidan's EpiPen is in the office cupboard.");
    assert_eq!(
        (c, e.as_str()),
        (Confidence::Medium, "health term \"epipen\" about A****")
    );
}

#[test]
fn a_term_does_not_borrow_a_name_from_another_sentence_without_a_pronoun() {
    // F2: statistics in one sentence, a governor in the next.
    silent(
        "Safeguarding: the DSL reported 14 new concerns logged on CPOMS this half term, 2 \
         referrals to children's social care and no LADO referrals. Single central record \
         checked by Dr Whitfield on 3/11.",
    );
    // A pronoun ties the term to the named child: still medium.
    let (c, e) = one(
        "Oliver Brown moved to us in September. His EHCP paperwork still hasn't arrived from \
         the LA.",
    );
    assert_eq!(
        (c, e.as_str()),
        (Confidence::Medium, "SEN term \"ehcp\" about O**** B****")
    );
}

#[test]
fn wider_roles_plurals_and_coordinated_staff() {
    // F3: "link governor".
    silent("Dr Whitfield, as safeguarding link governor, is asked to attend the training.");
    // F5: plural roles, and the role shared by two coordinated names.
    silent(
        "Please speak to our Designated Safeguarding Lead, Mr Gareth Lowe, or one of our \
         deputies (Mrs Denholm and Miss Shah).",
    );
    silent("Mrs Denholm and Miss Shah, our deputy DSLs, will be in the hall for safeguarding.");
    silent("Mr Sam Pryce joins as Attendance Officer and will follow up CPOMS logs.");
    // Hard negative: a pupil next to a titled DSL is still the subject.
    let (c, e) = one("DSL Mr Shah and Tyler Evans met about the bruising on his arm.");
    assert_eq!(c, Confidence::High);
    assert_eq!(e, "safeguarding term \"bruising\" about T**** E****");
}

#[test]
fn a_heading_on_its_own_line_is_its_own_sentence() {
    // F5: "SAFEGUARDING" does not join the sentence under it.
    silent(
        "SAFEGUARDING\nIf you are ever worried about a child, please tell the office or \
         Mrs Denholm in Year 4.",
    );
    // A child named under a heading is still found.
    let (c, _) = one("SAFEGUARDING\nTyler Evans disclosed bruising on his arm today.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn a_first_name_opening_the_message_is_the_reader() {
    // F4.
    silent(
        "Rachel, the first aid room needs plasters, and the spare EpiPens in the office \
         expire 03/2026 so need replacing.",
    );
    // Not at the start, or not followed by a comma: still the subject.
    let (c, _) = one("Rachel has her EpiPen in the office.");
    assert_eq!(c, Confidence::Medium);
    let (_, e) = one("Rachel, Tyler Evans has an EpiPen in the office now.");
    assert_eq!(e, "health term \"epipen\" about T**** E****");
    let (c, _) = one("Tyler Evans, in Year 4, has an EpiPen in the office now.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn a_title_takes_two_capitalised_words() {
    // F6: "Bev" is now a name, but any two words after a title are one name.
    silent("Mrs Bev Holroyd, our Pastoral Lead and Mental Health Lead, will lead Early Help.");
    silent("Mrs Zelda Holroyd, our Pastoral Lead, will lead Early Help support for families.");
    let (c, e) = one("Mrs Bev Holroyd has been signed off with depression.");
    assert_eq!(
        (c, e.as_str()),
        (
            Confidence::High,
            "health term \"depression\" about Mrs B**** H****"
        )
    );
}

#[test]
fn staff_doing_routine_tasks() {
    // F7.
    silent("Mr Osei to complete SEN support plans for his class by Friday.");
    silent("Mr Lowe reminded everyone that all concerns go on CPOMS the same day.");
    silent("Miss Shah has checked every EpiPen and inhaler in school.");
    // A pupil doing them to their own things stays the subject.
    let (c, _) = one("Tyler Evans checked his inhaler was in his bag before PE.");
    assert_eq!(c, Confidence::High);
}

#[test]
fn more_given_names() {
    // M1, M3.
    let f = scan_kind("Permanent exclusion - Reece Hanson Y10", TextKind::Subject);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].confidence, Confidence::High);
    let (c, e) = one("Skye Reilly is a looked after child (CLA), placed in Harrogate.");
    assert_eq!(
        (c, e.as_str()),
        (
            Confidence::High,
            "looked-after term \"looked after child\" about S**** R****"
        )
    );
    // Short forms that are words stay words on their own.
    none("Will you sue the supplier? Grant applications for asthma research close in Jan.");
}

#[test]
fn a_place_word_after_a_given_name_can_be_a_surname() {
    // M2.
    let (c, e) = one("Callum Ward has been suspended for 3 days for assaulting another student.");
    assert!(c >= Confidence::Medium, "{c:?}");
    assert_eq!(e, "exclusion term \"suspended\" about C**** W****");
    // Hard negatives: the places.
    silent("The asthma clinic at Elizabeth House is open on Monday.");
    silent("Children with asthma: the Victoria Hall Road entrance is closed.");
}

#[test]
fn names_in_lower_case_need_a_verb_and_a_strong_term() {
    // M4 (and the misspelling "alergy").
    let f = scan(
        "hi, for tomorow in class 1 - ruby clegg has a nut alergy (epipen in the red bag on \
         the wall), and freya moss has asthma, inhaler in the drawer. thanks!!",
    );
    assert!(
        f.iter()
            .any(|x| x.confidence == Confidence::High && x.evidence.ends_with("about f**** m****")),
        "{f:#?}"
    );
    let (c, _) = one("reminder: freya moss has a nut alergy, no nuts in her lunchbox please");
    assert_eq!(c, Confidence::High);
    // Hard negatives: an ambiguous name, no verb, or the term in another clause.
    none("will smith has asthma");
    none("the inhaler stock has arrived, freya moss has gone home");
    none("please order more asthma inhalers for the first aid room");
}

#[test]
fn flag_headers_in_snake_and_kebab_case() {
    // M8: `sen_status`, `ehcp_flag`, `SEN-status` are flag columns.
    for header in ["sen_status", "SEN-status", "ehcp_flag", "FSM_Eligible"] {
        let row = format!("forename: Bella | surname: Whitworth | year_group: 6 | {header}: E");
        let f = scan_kind(&row, TextKind::Table);
        assert_eq!(f.len(), 1, "{header}: {f:#?}");
        assert_eq!(f[0].confidence, Confidence::High);
    }
    // Hard negatives: a "no" value, or a column that is not a flag.
    let f = scan_kind(
        "forename: Bella | surname: Whitworth | sen_status: N\n\
         forename: Zain | surname: Akhtar | year_group: 6 | house_colour: K",
        TextKind::Table,
    );
    assert!(f.is_empty(), "{f:#?}");
}

// ---- Issue 18, class 2: people of every name; class 3: the subject ----

/// Typical school footers appended to a body (safeguarding contact block,
/// confidentiality disclaimer, address and phone numbers).
const FOOTERS: &[&str] = &[
    "\n\nKind regards,\nSarah Jones\nSENCo | Greenlane Primary School\n\nThis email and any \
     attachments are confidential. If you are not the intended recipient please delete it.\n\
     Please consider the environment before printing this email.\n",
    "\n\n--\nMr D. Okafor\nDesignated Safeguarding Lead\nOakfield Academy, 12 Mill Lane, \
     Leeds LS6 2QT | Tel: 0113 496 0000\nIf you have a safeguarding concern about a child, \
     contact our DSL, Mrs Patel, on 0113 496 0001.\n",
];

/// The four shapes every special-category body test runs in: LF, CRLF, and
/// each with a school footer appended. Returns the findings of each shape.
fn shapes(body: &str) -> Vec<(String, Vec<Finding>)> {
    let mut out = Vec::new();
    for footer in std::iter::once("").chain(FOOTERS.iter().copied()) {
        let lf = format!("{body}{footer}");
        let crlf = lf.replace('\n', "\r\n");
        for t in [lf, crlf] {
            let f = scan(&t);
            out.push((t, f));
        }
    }
    out
}

/// In every shape: exactly one finding at `min` or above, whose evidence
/// ends with `about`.
fn held_in_every_shape(body: &str, min: Confidence, about: &str) {
    for (t, f) in shapes(body) {
        let f: Vec<_> = f.into_iter().filter(|x| x.confidence >= min).collect();
        assert_eq!(f.len(), 1, "expected one finding in {t:?}, got {f:#?}");
        assert!(
            f[0].evidence.ends_with(about),
            "{t:?}: evidence {:?} not about {about}",
            f[0].evidence
        );
    }
}

/// In every shape: nothing a rule would hold on.
fn silent_in_every_shape(body: &str) {
    for (t, f) in shapes(body) {
        let f: Vec<_> = f
            .into_iter()
            .filter(|x| x.confidence >= Confidence::Medium)
            .collect();
        assert!(f.is_empty(), "expected silence for {t:?}, got {f:#?}");
    }
}

#[test]
fn names_of_every_culture_with_a_pupil_reference() {
    for (body, about) in [
        (
            "Lesley-Ann Mensah in Year 4 has an EHCP.",
            "about L**** M****",
        ),
        (
            "Glenys Pritchard in Year 4 has an EHCP.",
            "about G**** P****",
        ),
        (
            "Oluwaseun Adeyemi in Year 4 has an EHCP.",
            "about O**** A****",
        ),
        (
            "Wei Zhang in Year 5 has been referred to CAMHS.",
            "about W**** Z****",
        ),
        (
            "Just to let you know Chidi Okonkwo (Y3) has a nut allergy.",
            "about C**** O****",
        ),
        (
            "Abdirahman Warsame (Yr 10) is on the child protection register.",
            "about A**** W****",
        ),
        (
            "Nusrat Begum in 4B uses an inhaler at lunch.",
            "about N**** B****",
        ),
        (
            "Wojciech Kowalczyk in Reception has epilepsy.",
            "about W**** K****",
        ),
        (
            "Ioana Dumitrescu, Year 2, has type 1 diabetes.",
            "about I**** D****",
        ),
        (
            "Aoife Ní Bhriain (Y6) has a social worker.",
            "about A**** N**** B****",
        ),
    ] {
        held_in_every_shape(body, Confidence::Medium, about);
    }
}

#[test]
fn names_of_every_culture_from_the_larger_lists() {
    // No pupil reference: the given-name and surname lists carry it.
    for (body, about) in [
        (
            "Oluwaseun Adeyemi has been diagnosed with epilepsy.",
            "about O**** A****",
        ),
        (
            "Bogdan Popescu has an EHCP and 1:1 support.",
            "about B**** P****",
        ),
        (
            "We are worried that Siobhan Gallagher may be self-harming.",
            "about S**** G****",
        ),
        (
            "Mohamud Farah has been prescribed an EpiPen.",
            "about M**** F****",
        ),
    ] {
        held_in_every_shape(body, Confidence::Medium, about);
    }
}

#[test]
fn context_makes_an_unlisted_name_a_person() {
    // Unlisted given names and surnames: the evidence is the context.
    for (body, about) in [
        (
            "Our pupil Zorawar Thandi-Okpara has a CP plan.",
            "about Z**** T****",
        ),
        (
            "Her son Ilkay Vrbanic was diagnosed with autism in May.",
            "about I**** V****",
        ),
        (
            "A note about Tsegaye Wolde: he has been self-harming again.",
            "about T**** W****",
        ),
        (
            "Tsegaye Wolde (DOB 04/05/2016) has a nut allergy.",
            "about T**** W****",
        ),
        (
            "Our pupil, Zorawar Thandi-Okpara, has a CP plan.",
            "about Z**** T****",
        ),
        ("Tsegaye (Y4) has been referred to CAMHS.", "about T****"),
    ] {
        held_in_every_shape(body, Confidence::Medium, about);
    }
    // A possessive of a listed given name before a strong term, or the
    // name as the subject of a verb.
    let (c, e) = one("Glenys's EHCP review is on Friday.");
    assert!(c >= Confidence::Medium);
    assert_eq!(e, "SEN term \"ehcp\" about G****");
    let (c, e) = one("Oluwaseun has been diagnosed with epilepsy.");
    assert!(c >= Confidence::Medium);
    assert_eq!(e, "health term \"diagnosed\" about O****");
    // Places and surnames are not given names alone.
    silent("Kent's foster care placements are full this term.");
    silent("London has a shortage of foster carers.");
}

#[test]
fn names_with_diacritics_fold_to_the_lists() {
    for (body, about) in [
        ("Łukasz Wiśniewski has an EHCP.", "about Ł**** W****"),
        ("Zoë Müller has a nut allergy.", "about Z**** M****"),
        (
            "Siân Prichard was diagnosed with diabetes in May.",
            "about S**** P****",
        ),
    ] {
        held_in_every_shape(body, Confidence::Medium, about);
    }
}

#[test]
fn capitalised_words_that_are_not_people_stay_silent() {
    for body in [
        // Ordinary words, programmes and organisations before a pupil reference.
        "Phonics Screening in Year 1 will include pupils with SEN support.",
        "Phonics (Y1) and Maths (Y2) groups include pupils on the SEN register.",
        "Dear parents, Zorawar Thandi-Okpara from the council will explain the CP procedures.",
        "Reading Recovery in Year 2 is offered to children on the SEN register.",
        "Young Minds for Year 9: a talk on anxiety and mental health.",
        "We raised £400 for Diabetes UK and Young Minds this term.",
        "Forest School in Reception: children with asthma must bring their inhaler.",
        "The Ward 5 team at St Mary's cares for children with diabetes.",
        "Kent's foster care service will run a session for carers.",
        "Please read the SEND policy for Year 7 and the EHCP guidance for governors.",
        // A salutation and a signature are not the person the data is about.
        "Dear Oluwaseun Adeyemi,\nThe EHCP annual review paperwork is attached for your records.",
        "Hi Wei,\nCould you send the medication consent forms for the trip?\n\nThanks,\nBogdan Popescu",
        // Staff named with their role.
        "Mrs Adeyemi, our SENCo, will run the EHCP training for Year 4 staff.",
        "Please contact Siobhan Gallagher, our DSL, with any safeguarding concern.",
        // The writer of a quoted message.
        "Thanks, I'll update the tracker.\n\nOn Mon, 7 Dec 2026 at 09:12, Oluwaseun Adeyemi \
         <oa@northshire.gov.uk> wrote:\n> The EHCP annual review paperwork template is attached.",
        // Visitors, and names of places, events and institutions.
        "Our visitor Kwame Mensah from Young Minds will talk to Year 9 about anxiety and self-harm.",
        "Author Malorie Blackman visits Year 6 on Friday; children with allergies have a separate snack.",
        "Lincoln Castle trip: pupils with medication hand it to the trip leader.",
        "Harry Potter Day for Year 3: children with nut allergies will have their own snacks.",
        "Florence Nightingale Hospital has a new CAMHS unit for Year 11 leavers.",
        "Priya Sharma (parent governor) chairs the SEND committee; the EHCP data for Year 4 is on the agenda.",
    ] {
        silent_in_every_shape(body);
    }
}

#[test]
fn weak_discipline_words_need_a_person_and_a_pupil_reference() {
    held_in_every_shape(
        "Bogdan Popescu in 9R was excluded yesterday after the fight.",
        Confidence::Medium,
        "about B**** P****",
    );
    held_in_every_shape(
        "There was an incident at lunch involving Kacper Nowak (Y8) and two others.",
        Confidence::Medium,
        "about K**** N****",
    );
    // Near misses: no pupil reference, or no person.
    silent_in_every_shape("There was an incident at the gate this morning; parents were informed.");
    silent_in_every_shape("Bogdan Popescu reported an incident with the photocopier.");
    silent_in_every_shape("Year 9 were excluded from the hall while the floor dried.");
    silent_in_every_shape("The behaviour log template for Year 8 is on the shared drive.");
}

fn subject(s: &str) -> Vec<Finding> {
    scan_kind(s, TextKind::Subject)
        .into_iter()
        .filter(|f| f.confidence >= Confidence::Medium)
        .collect()
}

#[test]
fn subject_person_and_school_term() {
    for (s, about) in [
        ("CP concern - Chidi Okonkwo (Y3)", "about C**** O****"),
        ("Suspension letter for Wei Zhang", "about W**** Z****"),
        ("Amelia Jones - incident report", "about A**** J****"),
        ("CiN meeting: Oluwaseun Adeyemi", "about O**** A****"),
        ("CLA review - Lesley-Ann Mensah Y4", "about L**** M****"),
        ("LAC PEP for Bogdan Popescu", "about B**** P****"),
        ("EHCP draft - Glenys Pritchard", "about G**** P****"),
        ("SEN support plan: Nusrat Begum 4B", "about N**** B****"),
        (
            "IHP update - Wojciech Kowalczyk (Reception)",
            "about W**** K****",
        ),
        ("MASH referral re Tsegaye Wolde", "about T**** W****"),
        ("TAC meeting Thursday - Kacper Nowak", "about K**** N****"),
        ("EHA for Abdirahman Warsame", "about A**** W****"),
        ("Exclusion letter - Reece Hanson", "about R**** H****"),
        (
            "Behaviour log: Siobhan Gallagher (Yr 9)",
            "about S**** G****",
        ),
        ("Managed move - Ioana Dumitrescu", "about I**** D****"),
        ("Re: Leo Smith excluded", "about L**** S****"),
        ("CiN meeting - Tsegaye Kazlauskas", "about T**** K****"),
        (
            "URGENT - MASH referral - Hodan Warsame",
            "about H**** W****",
        ),
        ("FW: EHCP draft: Ewa Mensah", "about E**** M****"),
        ("Nusrat Hussain - medical needs", "about N**** H****"),
    ] {
        let f = subject(s);
        assert_eq!(f.len(), 1, "{s:?}: {f:#?}");
        assert!(f[0].evidence.ends_with(about), "{s:?}: {:?}", f[0].evidence);
        assert_eq!(f[0].location, Location::Subject);
    }
}

#[test]
fn subject_without_a_person_or_without_a_term_is_silent() {
    for s in [
        "CP training - Tuesday 4pm",
        "SEN register deadline",
        "Incident report template",
        "Exclusion letter template (updated)",
        "Chidi Okonkwo - parents evening",
        "Wei Zhang - trip permission",
        "Re: Year 4 EHCP reviews",
        "Young Minds webinar on anxiety",
        "Managed move protocol - draft for governors",
        "TAC meeting room change",
        "Diabetes UK fundraiser",
        "Mental Health Awareness Week",
        "CP concern - Northshire Council referral form",
        "EHCP Annual Review Paperwork",
        "SEN Support: Young Hall Primary",
        "MASH Referral Form (Blank)",
        "CP Ltd invoice 4471 - Hodan Warsame",
        "Incident report forms - Lincoln Castle trip",
        "EHCP panel dates for Leeds Beckett",
    ] {
        let f = subject(s);
        assert!(f.is_empty(), "{s:?}: {f:#?}");
    }
}

#[test]
fn name_resources_are_large_but_bounded() {
    let n = person::Names::new();
    assert!(n.given_any("Oluwaseun").is_some());
    assert!(n.given_any("Wei").is_some());
    assert!(n.surname("Okonkwo").is_some());
    assert!(n.surname("Zhang").is_some());
    assert_eq!(n.surname("Hall"), Some(person::Listed::Ambiguous));
    assert!(n.is_word("Screening"));
    assert!(!n.is_word("Oluwaseun"));
    assert!(n.given_any("Screening").is_none());
}

#[test]
fn the_writer_of_a_quoted_reply_is_not_the_subject() {
    let body = "Thanks, I'll update the tracker.\n\nOn Mon, 7 Dec 2026 at 09:12, Oluwaseun Adeyemi \
                <oa@northshire.gov.uk> wrote:\n> The EHCP annual review paperwork template is attached.";
    for (t, f) in shapes(body) {
        assert!(f.is_empty(), "expected nothing for {t:?}, got {f:#?}");
    }
    // Near miss: a pupil named in the quoted text itself still counts.
    let body = "Noted.\n\nOn Mon, 7 Dec 2026 at 09:12, Mrs Hughes wrote:\n> Oluwaseun Adeyemi in \
                Year 4 has an EHCP.";
    held_in_every_shape(body, Confidence::Medium, "about O**** A****");
}

#[test]
fn a_signature_whose_given_name_is_not_listed_is_still_the_writer() {
    // Only the surname is in the lists: the name still opens the line under
    // the sign-off, with the writer's role below it.
    silent(
        "Hello,\n\nThe Yr 9 sports day will be on Friday the 23rd.\n\nBest wishes,\nShahidul Henry\n\
         SENCo and Designated Safeguarding Lead (CP, CLA and EHCP enquiries)\nFerncliffe Academy\n",
    );
    // A pupil named in a sentence is still found.
    assert_eq!(
        one("Shahidul Henry in Yr 9 is CLA and moves placement next week.").1,
        "looked-after term \"CLA\" about S**** H****"
    );
}

#[test]
fn a_possessive_before_a_sensitive_term_makes_any_name_a_person() {
    for name in ["Trung", "Tao", "Glenys", "Oluwaseun", "Bogdan"] {
        let body = format!(
            "Dear Mrs Nguyen,\n\nFollowing our conversation, {name}'s EHCP annual review will be on Monday.\n\nThanks"
        );
        let (_, evidence) = one(&body);
        assert!(
            evidence.contains("EHCP") || evidence.contains("ehcp"),
            "{evidence}"
        );
    }
    // Ordinary words, places and saints are no one.
    silent("The school's EHCP policy is on the website.");
    silent("St Mary's SEN unit has moved to the new building.");
    silent("Northshire's EHCP panel meets on Monday.");
    silent("Leeds's SEND team will visit in June.");
    silent("Kent's EHCP process has changed.");
    silent("Please read Ofsted's SEND report before the meeting.");
}

#[test]
fn a_named_person_who_was_excluded_is_the_subject_of_the_exclusion() {
    for body in [
        "I'm sorry to let you know that Hanh has been given a one-day suspension for her behaviour at lunchtime today.",
        "Leo Brown was excluded for two days after the fight.",
        "Just to let you know Amir will be suspended from school until Monday.",
    ] {
        let (c, _) = one(body);
        assert!(c >= Confidence::Medium, "{body}");
    }
    // A pronoun carries the pupil named just before into the sentence.
    for body in [
        "A quick update on Akosua Addo, Yr 4. She has been suspended for two days after the incident on the bus.",
        "I'm writing about Iwan Prosser in Year 11. He has been suspended for two days after the incident.",
    ] {
        let (c, _) = one(body);
        assert!(c >= Confidence::Medium, "{body}");
    }
    // Not when the name is a member of staff, or two sentences away.
    silent("Mrs Patel in Year 4 is away. She has been suspended from the rota for two days.");
    silent("Akosua Addo, Yr 4, won the race. It was windy. She has been suspended for two days.");
    // No one undergoes it: a trip, a policy, a name elsewhere in the sentence.
    silent("The trip has been suspended because of the weather.");
    silent("Mrs Patel was asked about the suspension policy by governors.");
    silent("Leo Brown wrote about the exclusion of women from the vote.");
}

#[test]
fn a_reader_addressed_on_their_own_line_is_not_the_subject() {
    // Opening a forwarded message, below its header block.
    silent(
        "See below\n\n---------- Forwarded message ---------\nFrom: Trang Pham <tp@school.sch.uk>\n\
         Date: Thu, 22 Nov 2026\nSubject: Re: the file\nTo: Tanvir Bhuiyan <tb@school.sch.uk>\n\n\
         Derek,\n\nPassword reset requests for CPOMS now go through the IT helpdesk.\n\nCheers",
    );
    silent("Thanks for this.\n\nMrs Evans,\n\nThe CPOMS training is on Monday.");
    // A pupil named in a sentence below it is still found.
    let (c, _) = one("Derek,\n\nAmelia Jones in Year 4 has a new CPOMS concern logged today.");
    assert!(c >= Confidence::Medium);
}

#[test]
fn a_subject_acronym_in_lower_case_counts_beside_a_name_and_a_class() {
    for subject in [
        "cp - Amelia Jones 10C",
        "RE: cp concern - Chidi Okonkwo (Y3)",
        "ehcp review Tsegaye Kazlauskas (Y4)",
    ] {
        let f = scan_kind(subject, TextKind::Subject);
        assert!(
            f.iter().any(|f| f.confidence >= Confidence::Medium),
            "{subject}: {f:#?}"
        );
    }
    // Without a class the lower-case word is a word ("mash", "pep", "cin").
    for subject in [
        "mash for the harvest lunch - Amelia Jones",
        "pep talk for Amelia Jones",
        "cp - Amelia Jones",
    ] {
        let f = scan_kind(subject, TextKind::Subject);
        assert!(
            f.iter().all(|f| f.confidence < Confidence::Medium),
            "{subject}: {f:#?}"
        );
    }
}

//! The special-category vocabulary of school mail: each term with the kind of
//! data it reveals, how strongly it does so, and whether it must match in
//! upper case (so the verb "send" never reads as SEND).
//!
//! Why these terms: DfE census codes (SEN provision E/K, CIN, CPP, CLA), the
//! ICO's email guidance (EHCP information, allergy information), and the
//! systems and roles that only appear when a particular child is discussed
//! (CPOMS, MyConcern, LADO, MASH, a PEP). Staff roles (DSL, SENCo) are not
//! terms: a name next to one is the role-holder (see `person.rs`).

/// The kind of special-category data a term reveals; named in evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Health,
    Sen,
    Safeguarding,
    LookedAfter,
    FreeSchoolMeals,
    Exclusion,
    /// Incidents and behaviour records: about a pupil only with a pupil
    /// reference, or in a subject line.
    Behaviour,
}

impl Kind {
    /// How evidence names the kind: `safeguarding term "CPOMS" about ...`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Health => "health",
            Kind::Sen => "SEN",
            Kind::Safeguarding => "safeguarding",
            Kind::LookedAfter => "looked-after",
            Kind::FreeSchoolMeals => "free-school-meals",
            Kind::Exclusion => "exclusion",
            Kind::Behaviour => "behaviour",
        }
    }
}

/// One term of the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// The pattern, ASCII; also the term as evidence names it.
    pub text: &'static str,
    pub kind: Kind,
    /// A strong term says something about the person by itself ("EpiPen",
    /// "CPOMS"); a weak one often appears in passing ("SEND", "hospital").
    pub strong: bool,
    /// Must match exactly as written (upper-case acronyms, "Early Help").
    pub exact_case: bool,
}

const fn t(text: &'static str, kind: Kind, strong: bool) -> Term {
    Term {
        text,
        kind,
        strong,
        exact_case: false,
    }
}

/// Upper-case (or otherwise case-exact) term.
const fn x(text: &'static str, kind: Kind, strong: bool) -> Term {
    Term {
        text,
        kind,
        strong,
        exact_case: true,
    }
}

use Kind::*;

/// The vocabulary. Matching is ASCII case-insensitive unless `exact_case`,
/// on whole words (a trailing plural `s` or possessive `'s` is allowed).
pub const TERMS: &[Term] = &[
    // Health.
    t("epipen", Health, true),
    t("epi-pen", Health, true),
    t("epi pen", Health, true),
    t("jext", Health, true),
    t("auto-injector", Health, true),
    t("anaphylaxis", Health, true),
    t("anaphylactic", Health, true),
    t("allergy", Health, true),
    t("allergies", Health, true),
    t("allergic", Health, true),
    t("epilepsy", Health, true),
    t("epileptic", Health, true),
    t("seizure", Health, true),
    t("diabetes", Health, true),
    t("diabetic", Health, true),
    t("insulin", Health, true),
    t("blood sugar", Health, true),
    t("asthma", Health, true),
    // Common misspellings in quick notes ("nut alergy", "has astma").
    t("astma", Health, true),
    t("alergy", Health, true),
    t("alergies", Health, true),
    t("allergie", Health, true),
    t("allergys", Health, true),
    t("asthmatic", Health, true),
    t("inhaler", Health, true),
    t("individual healthcare plan", Health, true),
    t("healthcare plan", Health, true),
    t("health care plan", Health, true),
    x("IHCP", Health, true),
    x("IHP", Health, true),
    t("medical condition", Health, true),
    t("medical needs", Health, false),
    t("medication", Health, true),
    t("diagnosed", Health, true),
    t("diagnosis", Health, true),
    x("ADHD", Health, true),
    x("ASD", Health, true),
    x("OCD", Health, true),
    x("PTSD", Health, true),
    x("HIV", Health, true),
    t("autism", Health, true),
    t("autistic", Health, true),
    t("cerebral palsy", Health, true),
    t("cystic fibrosis", Health, true),
    t("sickle cell", Health, true),
    t("down syndrome", Health, true),
    t("down's syndrome", Health, true),
    t("cancer", Health, true),
    t("chemotherapy", Health, true),
    t("leukaemia", Health, true),
    t("depression", Health, true),
    t("self-harm", Health, true),
    t("self harm", Health, true),
    t("self-harming", Health, true),
    t("suicidal", Health, true),
    t("eating disorder", Health, true),
    t("anorexia", Health, true),
    t("bulimia", Health, true),
    t("camhs", Health, true),
    t("pregnant", Health, true),
    t("pregnancy", Health, true),
    t("mental health", Health, false),
    t("anxiety", Health, false),
    t("eczema", Health, false),
    t("hospitalised", Health, true),
    t("counselling", Health, false),
    // SEN / SEND.
    t("ehcp", Sen, true),
    t("ehc plan", Sen, true),
    t("ehc needs assessment", Sen, true),
    t("education, health and care plan", Sen, true),
    t("education health and care plan", Sen, true),
    t("sen support", Sen, true),
    t("sen register", Sen, true),
    t("statement of special educational needs", Sen, true),
    t("special educational needs", Sen, false),
    x("SEN", Sen, false),
    x("SEND", Sen, false),
    x("IEP", Sen, true),
    t("individual education plan", Sen, true),
    t("dyslexia", Sen, true),
    t("dyslexic", Sen, true),
    t("dyspraxia", Sen, true),
    t("dyscalculia", Sen, true),
    t("speech and language therapy", Sen, true),
    t("one-to-one support", Sen, false),
    t("1:1 support", Sen, false),
    t("educational psychologist", Sen, false),
    t("senco referral", Sen, true),
    // Safeguarding / child protection.
    t("cpoms", Safeguarding, true),
    t("myconcern", Safeguarding, true),
    t("my concern", Safeguarding, false),
    t("child protection", Safeguarding, true),
    t("child protection plan", Safeguarding, true),
    t("cp plan", Safeguarding, true),
    t("cp conference", Safeguarding, true),
    x("CPP", Safeguarding, true),
    t("child in need", Safeguarding, true),
    x("CIN", Safeguarding, true),
    x("CiN", Safeguarding, true),
    // "CP concern", "CP referral": alone it can be other things, so weak.
    x("CP", Safeguarding, false),
    x("TAC", Safeguarding, false),
    t("team around the child", Safeguarding, true),
    t("team around the family", Safeguarding, true),
    x("EHA", Safeguarding, true),
    t("section 47", Safeguarding, true),
    x("S47", Safeguarding, true),
    t("strategy meeting", Safeguarding, true),
    t("strategy discussion", Safeguarding, true),
    x("MASH", Safeguarding, true),
    x("Early Help", Safeguarding, true),
    t("early help assessment", Safeguarding, true),
    t("safeguarding concern", Safeguarding, true),
    t("welfare concern", Safeguarding, true),
    t("safeguarding", Safeguarding, false),
    t("disclosure", Safeguarding, false),
    t("disclosed", Safeguarding, false),
    t("neglect", Safeguarding, true),
    t("neglected", Safeguarding, true),
    t("left alone", Safeguarding, true),
    t("bruising", Safeguarding, true),
    t("bruise", Safeguarding, true),
    t("bruised", Safeguarding, true),
    t("domestic abuse", Safeguarding, true),
    t("domestic violence", Safeguarding, true),
    t("sexual abuse", Safeguarding, true),
    t("physical abuse", Safeguarding, true),
    t("emotional abuse", Safeguarding, true),
    x("FGM", Safeguarding, true),
    t("county lines", Safeguarding, true),
    t("prevent referral", Safeguarding, true),
    t("channel referral", Safeguarding, true),
    t("social worker", Safeguarding, true),
    t("social care", Safeguarding, false),
    x("LADO", Safeguarding, true),
    // Looked-after and previously looked-after children.
    t("looked-after", LookedAfter, true),
    t("looked after child", LookedAfter, true),
    t("looked after children", LookedAfter, true),
    t("previously looked after", LookedAfter, true),
    x("LAC", LookedAfter, true),
    x("CLA", LookedAfter, true),
    x("PLAC", LookedAfter, true),
    x("PEP", LookedAfter, true),
    t("personal education plan", LookedAfter, true),
    t("virtual school", LookedAfter, false),
    t("foster carer", LookedAfter, true),
    t("foster care", LookedAfter, true),
    t("foster placement", LookedAfter, true),
    t("special guardianship", LookedAfter, true),
    x("SGO", LookedAfter, true),
    t("kinship care", LookedAfter, true),
    t("care leaver", LookedAfter, true),
    // Free school meals / pupil premium.
    t("free school meals", FreeSchoolMeals, true),
    x("FSM", FreeSchoolMeals, true),
    t("pupil premium", FreeSchoolMeals, true),
    // Exclusions.
    t("permanent exclusion", Exclusion, true),
    t("permanently excluded", Exclusion, true),
    t("fixed-term exclusion", Exclusion, true),
    t("fixed term exclusion", Exclusion, true),
    t("internal exclusion", Exclusion, false),
    t("exclusion", Exclusion, false),
    t("excluded", Exclusion, false),
    t("suspension", Exclusion, false),
    t("suspended", Exclusion, false),
    t("managed move", Exclusion, true),
    t("exclusion letter", Exclusion, true),
    t("suspension letter", Exclusion, true),
    t("exclusion meeting", Exclusion, true),
    t("reintegration meeting", Exclusion, true),
    // Behaviour and incidents: weak, so a pupil reference or a subject line
    // is needed ("Bogdan Popescu in 9R ... incident", "Amelia Jones -
    // incident report"); "the incident at the gate" names no one.
    t("incident report", Behaviour, false),
    t("incident form", Behaviour, false),
    t("incident", Behaviour, false),
    t("behaviour log", Behaviour, false),
    t("behaviour report", Behaviour, false),
    t("behaviour plan", Behaviour, false),
    t("behaviour incident", Behaviour, false),
];

/// Words that, right after a term, make it a topic rather than a fact about
/// someone: "SEND *policy*", "child protection *training*", "Diabetes
/// *awareness* week", "pupil premium *strategy* statement", "Diabetes *UK*"
/// (a charity a pupil raised money for).
pub const TOPIC_SUFFIXES: &[&str] = &[
    "policy",
    "policies",
    "procedure",
    "procedures",
    "training",
    "trained",
    "awareness",
    "week",
    "month",
    "strategy",
    "statement",
    "information",
    "offer",
    "course",
    "courses",
    "module",
    "webinar",
    "inset",
    "team",
    "department",
    "lead",
    "leads",
    "officer",
    "governor",
    "coordinator",
    "co-ordinator",
    "champion",
    "champions",
    "ambassador",
    "ambassadors",
    "network",
    "forum",
    "newsletter",
    "audit",
    "toolkit",
    "guidance",
    "framework",
    "legislation",
    "code",
    "hub",
    "charity",
    "website",
    "page",
    "leaflet",
    "poster",
    "quiz",
    "assembly",
    "certificate",
    "refresher",
    "board",
    "partners",
    "partnership",
    "day",
    "uk",
    "action",
    "campaign",
    "society",
    "foundation",
    "association",
    "research",
    "walk",
    "fundraiser",
    "fundraising",
    "appeal",
    "raffle",
    "challenge",
    "workshop",
    "workshops",
    "session",
    "sessions",
    "briefing",
    "conference",
    "bake",
    "sponsored",
    "donation",
    "donations",
];

/// Words after a term that make it general but can still be about someone
/// ("pupil premium *funding* for Zara's trip"): the term counts as weak.
pub const SOFT_TOPIC_SUFFIXES: &[&str] = &[
    "funding",
    "grant",
    "allocation",
    "spending",
    "budget",
    "provision",
    "arrangements",
    "update",
    "updates",
    "service",
    "services",
];

/// Words that, right before a term, make it a topic: "our SEND policy" is
/// caught by the suffix, but "whole-school safeguarding", "statutory
/// safeguarding" or "national Diabetes week" by these.
pub const TOPIC_PREFIXES: &[&str] = &[
    "whole-school",
    "whole",
    "statutory",
    "national",
    "annual",
    "basic",
    "level",
    "online",
    "trust-wide",
    "keeping",
    "effective",
    "contextual",
    "world",
    "international",
];

/// Words of a table column header that make it a flag column (`fsm: Y`,
/// `sen status: K`, `Pupil Premium Indicator: T`): the header names the
/// kind, the value says yes or no. Matched on whole header words.
pub const FLAG_WORDS: &[(&str, Kind)] = &[
    ("sen", Sen),
    ("send", Sen),
    ("ehcp", Sen),
    ("fsm", FreeSchoolMeals),
    ("fsm6", FreeSchoolMeals),
    ("pp", FreeSchoolMeals),
    ("lac", LookedAfter),
    ("cla", LookedAfter),
    ("plac", LookedAfter),
    ("cin", Safeguarding),
    ("cp", Safeguarding),
    ("cpp", Safeguarding),
    ("medical", Health),
    ("allergies", Health),
    ("allergy", Health),
    ("medication", Health),
];

/// Header phrases that make a flag column.
pub const FLAG_PHRASES: &[(&str, Kind)] = &[
    ("pupil premium", FreeSchoolMeals),
    ("free school meals", FreeSchoolMeals),
    ("looked after", LookedAfter),
    ("child protection", Safeguarding),
    ("child in need", Safeguarding),
    ("special educational needs", Sen),
];

/// The kind a column header flags, if it is a flag column.
pub fn flag_kind(header: &str) -> Option<Kind> {
    let h = header.trim().to_ascii_lowercase();
    if let Some(&(_, k)) = FLAG_PHRASES.iter().find(|(p, _)| h.contains(p)) {
        return Some(k);
    }
    h.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|w| FLAG_WORDS.iter().find(|(f, _)| *f == w).map(|&(_, k)| k))
}

/// Cell values that mean "no" / "none" in a flag column.
pub const NEGATIVE_VALUES: &[&str] = &[
    "n",
    "no",
    "none",
    "false",
    "f",
    "0",
    "-",
    "n/a",
    "na",
    "nil",
    "nkda",
    "not known",
    "unknown",
    "not eligible",
    "not applicable",
    "no known allergies",
    "none known",
];

/// Is a flag cell's value a "no"?
pub fn negative_value(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.is_empty()
        || NEGATIVE_VALUES.contains(&v.as_str())
        || v.starts_with("no ")
        || v.starts_with("not ")
}

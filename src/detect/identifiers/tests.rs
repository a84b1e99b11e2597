//! Detector-level tests: precise positives (detector id, confidence, masked
//! evidence) and the hard negatives a school's outbound mail is full of.

use super::*;
use crate::detect::testing::{expect, Case};
use crate::detect::Confidence::{High, Low, Medium};

fn scan_kind(kind: TextKind, text: &str) -> Vec<(&'static str, Confidence, String)> {
    let det = IdentifierDetector::new();
    let location = match kind {
        TextKind::Subject => Location::Subject,
        TextKind::Body => Location::Body,
        _ => Location::Attachment("t.csv".into()),
    };
    let unit = TextUnit {
        location,
        kind,
        text,
    };
    let mut out = Vec::new();
    det.scan(&unit, &MessageContext::default(), &mut out);
    out.into_iter()
        .map(|f| (f.detector, f.confidence, f.evidence))
        .collect()
}

/// Findings as (detector, confidence, masked evidence).
type Found = Vec<(&'static str, Confidence, String)>;

/// The body's findings, checked to be the same in every shape real mail
/// gives it (LF and CRLF, bare and under each school footer, as the engine
/// normalises it and raw): a footer neither hides an identifier above it
/// nor adds one of its own (phone numbers, company numbers, postcodes).
fn body(text: &str) -> Found {
    let want = scan_kind(TextKind::Body, text);
    // Normalised shapes mask normalised text ("40* *** **37" where the raw
    // text had no-break spaces): compare evidence as the engine would see it.
    let same = |f: &Found| -> Found {
        f.iter()
            .map(|(d, c, e)| (*d, *c, crate::message::normalize(e).into_owned()))
            .collect()
    };
    let det = IdentifierDetector::new();
    Case::new(&det).raw().each(text, |f| {
        let got: Found = f
            .iter()
            .map(|f| (f.detector, f.confidence, f.evidence.clone()))
            .collect();
        expect(
            same(&got) == same(&want),
            &format!("expected {want:?} as in the LF body"),
        )
    });
    want
}

fn one(id: &'static str, c: Confidence, ev: &str) -> Vec<(&'static str, Confidence, String)> {
    vec![(id, c, ev.to_string())]
}

#[track_caller]
fn silent(text: &str) {
    let f = body(text);
    assert!(f.is_empty(), "expected nothing in {text:?}, got {f:?}");
}

#[test]
fn pattern_compiles() {
    assert!(Regex::new(&candidate_pattern()).is_ok());
    assert!((2025..2200).contains(&current_year()));
}

// ---- NI numbers ----

#[test]
fn nino_with_keyword_is_high() {
    assert_eq!(
        body("Starter: Priya Shah, NI no. JT 48 22 91 B, start date 3 November."),
        one(UK_NINO, High, "JT ** ** ** B")
    );
    assert_eq!(
        body("National Insurance number: JT482291B"),
        one(UK_NINO, High, "JT******B")
    );
}

#[test]
fn nino_alone_is_medium_lowercase_low() {
    assert_eq!(
        body("Her details: JT 482291 B thanks"),
        one(UK_NINO, Medium, "JT ****** B")
    );
    assert_eq!(body("it is jt482291b"), one(UK_NINO, Low, "jt******b"));
}

#[test]
fn nino_negatives() {
    silent("Our reference with you is QQ123456Z according to the last statement.");
    silent("Number QQ 12 34 56 A"); // Q never used
    silent("GB 12 34 56 A and ZZ123456B are not allocated");
    silent("JT482291E"); // suffix beyond D
    silent("TRN 11 A1 11 11"); // temporary reference number
    silent("XJT482291B and JT482291B2"); // glued to other characters
}

#[test]
fn nino_shaped_part_numbers_in_a_price_list_are_low() {
    // Seagate model numbers in a hardware price list (CRLF, as Postfix hands it over).
    let list = "Hard disks:\r\n\
        Seagate U7 ST320014A  20.4GB/UDMA 100/2M/5400rpm/IDE/3.5\"  200\r\n\
        U6 ST340810A  40GB/UDMA 100/2M/5400rpm/IDE/3.5\"  280\r\n\
        Maxtor 2F020J0  20G/UDMA 133/5400rpm/2M/IDE 230\r\n";
    let f = body(list);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f.iter().all(|(id, c, _)| *id == UK_NINO && *c == Low),
        "{f:?}"
    );
    // A part-number column in a supplier's quote.
    let quote = "Item      Part no     Qty  Price\n\
        Drive     WD400EB     2    45.00\n\
        Drive     AB340810C   1    42.00\n\
        Memory    KVR400X64   4    20.00\n";
    assert_eq!(body(quote), one(UK_NINO, Low, "AB******C"));
}

#[test]
fn a_single_model_number_named_as_one_is_low() {
    assert_eq!(
        body("Hi, the replacement drive is model ST340810A, can you order it?\r\n"),
        one(UK_NINO, Low, "ST******A")
    );
    assert_eq!(
        body("Part no: AB123456C (laminator pouches)"),
        one(UK_NINO, Low, "AB******C")
    );
    // "NI" nearer than the product word still wins.
    assert_eq!(
        body("Laptop model T480S for Priya, NI JT482291B"),
        one(UK_NINO, High, "JT******B")
    );
}

#[test]
fn ninos_among_part_numbers_keep_their_grade_with_ni_context() {
    // In a sentence with "NI number", whatever surrounds it.
    assert_eq!(
        body("Order WD400EB and KVR400X64 for Priya; her NI number is JT482291B."),
        one(UK_NINO, High, "JT******B")
    );
    // Spaced, the way a NINO is written and a part number never is.
    assert_eq!(
        body("WD400EB 40GB UDMA100 drive for JT 48 22 91 B"),
        one(UK_NINO, Medium, "JT ** ** ** B")
    );
    // In a table column headed NI.
    assert_eq!(
        scan_kind(
            TextKind::Table,
            "name: Priya Shah | ni: JT482291B | laptop: WD400EB KVR400X64"
        ),
        one(UK_NINO, High, "JT******B")
    );
    // Unspaced in prose with times, ordinals, a year group and a postcode: still Medium.
    assert_eq!(
        body("Priya (Yr10) starts on the 12th at 10am, LS12 3AB, JT482291B thanks"),
        one(UK_NINO, Medium, "JT******B")
    );
    // A payroll list of NINOs with tax codes and no header.
    let f = body("Priya Shah JT482291B 1257L\r\nAmir Khan AB123456C 1257L\r\n");
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|(_, c, _)| *c == Medium), "{f:?}");
}

// ---- NHS numbers ----

#[test]
fn nhs_in_subject_with_keyword() {
    assert_eq!(
        scan_kind(TextKind::Subject, "Medication form NHS 401 023 2137"),
        one(NHS_NUMBER, High, "40* *** **37")
    );
}

#[test]
fn nhs_forms_with_keyword() {
    assert_eq!(
        body("NHS number: 401-023-2137"),
        one(NHS_NUMBER, High, "40*-***-**37")
    );
    assert_eq!(
        body("patient 4010232137 seen today"),
        one(NHS_NUMBER, High, "40******37")
    );
    assert_eq!(
        body("NHS 4010232137, phone 01632 960001"),
        one(NHS_NUMBER, High, "40******37")
    );
    assert_eq!(
        body("Number 4010232137 (NHS)"),
        one(NHS_NUMBER, High, "40******37")
    );
}

#[test]
fn bare_nhs_checksum_is_low() {
    assert_eq!(
        body("Number 4010232137."),
        one(NHS_NUMBER, Low, "40******37")
    );
    assert_eq!(
        body("See 401 023 2137"),
        one(NHS_NUMBER, Low, "40* *** **37")
    );
}

#[test]
fn nhs_negatives() {
    silent("Purchase order 401 023 2138 for exercise books.");
    silent("Purchase order 401 023 2137 for exercise books.");
    silent("Invoice 4010232137 attached");
    silent("NHS number 401 023 2138"); // failing checksum, even with keyword
    silent("Random 1234567890 here"); // fails both NHS and ULN
    silent("Test patient 943 476 5919"); // synthetic 9xx range
    silent("Phone 4010232137");
    silent("call me on 401 023 2137");
}

// ---- UPN and ULN ----

#[test]
fn upn() {
    assert_eq!(
        body("UPN P801200216001"),
        one(UK_UPN, High, "P**********01")
    );
    assert_eq!(
        body("Pupil P801200216001"),
        one(UK_UPN, Medium, "P**********01")
    );
    assert_eq!(
        body("Temp K93020001234A"),
        one(UK_UPN, Medium, "K**********4A")
    );
    // The published worked example's check letter is P, not Q.
    assert_eq!(body("P207000016049"), one(UK_UPN, Medium, "P**********49"));
    silent("Q207000016049");
    silent("UPN A801200216001");
}

#[test]
fn uln() {
    assert_eq!(body("ULN: 4857773456"), one(UK_ULN, High, "48******56"));
    assert_eq!(
        scan_kind(TextKind::Table, "name: A | uln: 4857773456\n"),
        one(UK_ULN, High, "48******56")
    );
    silent("Number 4857773456");
    silent("ULN 4857773455");
}

// ---- Payment cards ----

#[test]
fn cards() {
    assert_eq!(
        body("Card number 4111 1111 1111 1111 exp 12/27"),
        one(PAYMENT_CARD, High, "4111 **** **** 1111")
    );
    assert_eq!(
        body("use 5555-5555-5555-4444 please"),
        one(PAYMENT_CARD, Medium, "5555-****-****-4444")
    );
    assert_eq!(
        body("Mastercard 2221 0000 0000 0009"),
        one(PAYMENT_CARD, High, "2221 **** **** 0009")
    );
    assert_eq!(
        body("Amex 3782 822463 10005"),
        one(PAYMENT_CARD, High, "3782 ****** *0005")
    );
    assert_eq!(
        body("Maestro 6759 6498 2643 8453"),
        one(PAYMENT_CARD, High, "6759 **** **** 8453")
    );
    assert_eq!(
        body("number 4111111111111111"),
        one(PAYMENT_CARD, Low, "4111********1111")
    );
}

#[test]
fn numbers_inside_longer_lists_need_their_keyword() {
    assert_eq!(
        body("Card: 4111 1111 1111 1111 12/27"),
        one(PAYMENT_CARD, High, "4111 **** **** 1111")
    );
    silent("4111 1111 1111 1111 12/27");
    silent("Budget 4000 4100 4200 4300 4400 4500 4600");
    assert_eq!(
        body("NHS 401 023 2137 04/02/2016"),
        one(NHS_NUMBER, High, "40* *** **37")
    );
    silent("1 401 023 2137");
}

#[test]
fn card_negatives() {
    silent("4111 1111 1111 1112"); // Luhn fails
    silent("1234 5678 9012 3456");
    silent("Order number 4111111111111111");
    silent("1234 5678 1234 5670"); // Luhn passes, no issuer starts with 1
    silent("2015 2016 2017 2018");
}

// ---- IBAN and UK bank details ----

#[test]
fn iban() {
    assert_eq!(
        body("IBAN GB82 WEST 1234 5698 7654 32 please"),
        one(IBAN, High, "GB82 **** **** **** **54 32")
    );
    assert_eq!(
        body("pay GB82WEST12345698765432."),
        one(IBAN, Medium, "GB82**************5432")
    );
    // Runs into a following capitalised word: trimmed to the country length.
    assert_eq!(
        body("to GB82 WEST 1234 5698 7654 32 OK"),
        one(IBAN, Medium, "GB82 **** **** **** **54 32")
    );
    assert_eq!(
        body("DE89 3704 0044 0532 0130 00"),
        one(IBAN, Medium, "DE89 **** **** **** **30 00")
    );
}

#[test]
fn iban_negatives() {
    silent("IBAN GB81 WEST 1234 5698 7654 32");
    silent("GB82 WEST 1234 5698 7654 33");
    silent("XX82 WEST 1234 5698 7654 32");
    silent("FY23 PLAN 2024 DRAFT");
}

#[test]
fn bank_details_need_a_keyword() {
    assert_eq!(
        body("Sort code 20-00-00, account number 12345678"),
        one(UK_BANK_ACCOUNT, High, "20-**-** ******78")
    );
    assert_eq!(
        body("Bank details: 20-00-00 12345678"),
        one(UK_BANK_ACCOUNT, High, "20-**-** ******78")
    );
    assert_eq!(
        body("account 12345678 sort code 200000"),
        one(UK_BANK_ACCOUNT, High, "12****** ****00")
    );
    silent("20-00-00 12345678");
    silent("Sort code 20-00-00 only");
    // Spaced or plain six digits need the words "sort code" themselves.
    silent("Bank: flat 48 22 91, account 12345678");
    assert_eq!(
        body("sort code 20 00 00 account 12345678"),
        one(UK_BANK_ACCOUNT, High, "20 ** ** ******78")
    );
    assert_eq!(
        body("New starter's bank details: sort code 20-00-00, account 12345678"),
        one(UK_BANK_ACCOUNT, High, "20-**-** ******78")
    );
}

#[test]
fn the_schools_own_bank_details_are_only_low() {
    assert_eq!(
        body(
            "Trip payments can be made by bank transfer to Greenlane Primary School \
             Fund, sort code 20-00-00, account 12345678, reference: your child's name."
        ),
        one(UK_BANK_ACCOUNT, Low, "20-**-** ******78")
    );
    assert_eq!(
        body("Cheques payable to Greenlane PTA or BACS to IBAN GB82 WEST 1234 5698 7654 32"),
        one(IBAN, Low, "GB82 **** **** **** **54 32")
    );
}

#[test]
fn organisations_accounts_to_pay_are_only_low() {
    // F8: the instruction to pay is a paragraph above the details, and the
    // account name is the academy's.
    let letter = "Please pay on ParentPay, or if you prefer to pay by bank transfer, the \
                  academy's bank details are:\n\nAccount name: St Aidan's CE Academy Trip \
                  Account\nSort code: 60-21-17\nAccount number: 41129873\nReference: BERLIN\n\n\
                  (For payments from abroad: IBAN GB82 WEST 1234 5698 7654 32, BIC NWBKGB2L.)";
    let f = body(letter);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|x| x.1 == Low), "{f:?}");
    // The account holder alone, with no payment words: an organisation.
    assert_eq!(
        body("Account name: Oakfield PTA\nSort code: 60-21-17\nAccount number: 41129873"),
        one(UK_BANK_ACCOUNT, Low, "60-**-** ******73")
    );
    // F9: a supplier named after "Bank:" on a forwarded invoice.
    assert_eq!(
        body("Bank: Tutors Ltd, sort code 40-11-62, account 21558877, ref TUT-00817."),
        one(UK_BANK_ACCOUNT, Low, "40-**-** ******77")
    );
    // Hard negatives: a person's account stays high, whatever the label.
    assert_eq!(
        body("Account name: Mr Darren Holt\nSort code: 40-47-84\nAccount number: 51120937"),
        one(UK_BANK_ACCOUNT, High, "40-**-** ******37")
    );
    assert_eq!(
        body(
            "Please refund £180 to Mr Darren Holt (parent of Y10 student): sort code \
             40-47-84, account number 51120937. Reason: withdrawal on medical grounds."
        ),
        one(UK_BANK_ACCOUNT, High, "40-**-** ******37")
    );
    assert_eq!(
        body("Bank: Barclays, sort code 40-47-84, account 51120937, for Mrs Nowak's refund"),
        one(UK_BANK_ACCOUNT, High, "40-**-** ******37")
    );
}

// ---- Passports ----

#[test]
fn passports() {
    assert_eq!(
        body("Passport number 123456789"),
        one(UK_PASSPORT, High, "1******89")
    );
    assert_eq!(
        body("passport: A12345678"),
        one(UK_PASSPORT, High, "A******78")
    );
    silent("Number 123456789");
    silent("Ref A12345678");
}

// ---- Dates of birth ----

#[test]
fn dates_of_birth() {
    // Beside a named person: that person's personal data, High.
    assert_eq!(
        body("Amira Khan, DOB: 04/02/2016"),
        one(DATE_OF_BIRTH, High, "**/**/2016")
    );
    assert_eq!(
        body("Gemma Pickles (DOB 28 Jul 2011) joined us in Yr 9."),
        one(DATE_OF_BIRTH, High, "** *** 2011")
    );
    assert_eq!(
        body("Oluwaseun Adeyemi was born on 19.07.2016 in Leeds"),
        one(DATE_OF_BIRTH, High, "**.**.2016")
    );
    // Whose it is not said on its line: a date of birth still, Medium.
    assert_eq!(
        body("date of birth 4th February 2016"),
        one(DATE_OF_BIRTH, Medium, "*** ******** 2016")
    );
    assert_eq!(
        body("He was born on 19.07.2016 in Leeds"),
        one(DATE_OF_BIRTH, Medium, "**.**.2016")
    );
    assert_eq!(
        body("d.o.b. 2016-02-04"),
        one(DATE_OF_BIRTH, Medium, "2016-**-**")
    );
    // Eleven digits from 0, but not written as a phone number.
    assert_eq!(
        body("DOB 01/02/2016 401"),
        one(DATE_OF_BIRTH, Medium, "**/**/2016")
    );
    assert_eq!(
        body("Born February 4, 2016"),
        one(DATE_OF_BIRTH, Medium, "******** *, 2016")
    );
    // A record written as a form: the name on the line above.
    assert_eq!(
        body("Child: Ayodele Babatunde\nDate of birth: 28.11.2016\nYear group: Yr 1"),
        one(DATE_OF_BIRTH, High, "**.**.2016")
    );
    // A form with no name filled in, or prose above it, is no one's.
    assert_eq!(
        body("Child:\nDate of birth: 28.11.2016"),
        one(DATE_OF_BIRTH, Medium, "**.**.2016")
    );
    assert_eq!(
        body("Ayodele Babatunde will visit on Monday.\nDate of birth: 28.11.2016"),
        one(DATE_OF_BIRTH, Medium, "**.**.2016")
    );
    // The person greeted is the reader, not whose date it is.
    assert_eq!(
        body("Dear Amira Khan,\nDOB: 04/02/2016 is what we have on file."),
        one(DATE_OF_BIRTH, Medium, "**/**/2016")
    );
}

#[test]
fn dates_that_are_not_birth_dates() {
    silent("The meeting is on 04/02/2016.");
    silent("Starter: Priya Shah, start date 3 November.");
    silent("Term starts 3 November 2025, deadline 2025-11-03");
    silent("DOB and start date: 01/09/2025");
    silent("DOB 04/02/2099"); // in the future
    silent("DOB 31/02/2016"); // no such day
    silent("birthday party on 12th May");
    silent("Please send date of birth and address details by Friday 14/03/2025");
    silent("DOB forms due Friday 14/03/2025");
    silent(
        "We need every pupil's date of birth for the census return, which the local \
         authority has asked us to complete on 14/03/2025.",
    );
    silent("her birthday party on 12/05/2025");
}

// ---- Tables ----

#[test]
fn table_headers_give_context() {
    let t = "name: Amira Khan | dob: 04/02/2016 | upn: P801200216001\n\
             name: Leo Brown | dob: 19/07/2016 | upn: D801200216002\n";
    assert_eq!(
        scan_kind(TextKind::Table, t),
        vec![
            (DATE_OF_BIRTH, High, "**/**/2016".to_string()),
            (UK_UPN, High, "P**********01".to_string()),
            (DATE_OF_BIRTH, High, "**/**/2016".to_string()),
            (UK_UPN, High, "D**********02".to_string()),
        ]
    );
    assert_eq!(
        scan_kind(TextKind::Table, "name: A | nhs_no: 4010232137\n"),
        one(NHS_NUMBER, High, "40******37")
    );
    assert!(scan_kind(TextKind::Table, "name: A | ref: 4010232137\n").is_empty());
    assert!(scan_kind(TextKind::Table, "name: A | tel: 4010232137\n").is_empty());
    assert!(scan_kind(TextKind::Table, "name: A | start: 04/02/2016\n").is_empty());
    assert!(scan_kind(TextKind::Table, "notes: mobile 4010232137 | nhs: none\n").is_empty());
    assert_eq!(
        scan_kind(TextKind::Table, "notes: NHS no 4010232137 | phone: none\n"),
        one(NHS_NUMBER, High, "40******37")
    );
}

#[test]
fn headerless_tables() {
    assert_eq!(
        scan_kind(TextKind::Table, "Amira Khan | 04/02/2016 | P801200216001\n"),
        one(UK_UPN, Medium, "P**********01")
    );
}

#[test]
fn many_values_are_capped_and_counted() {
    let det = IdentifierDetector::new();
    let mut text = String::new();
    let mut n = 0;
    for i in 0..2000u32 {
        let rest = format!("8012002{i:05}");
        if let Some(c) = upn::check_letter(rest.as_bytes()) {
            text.push_str(&format!("upn: {}{rest}\n", c as char));
            n += 1;
        }
    }
    let unit = TextUnit {
        location: Location::Attachment("pupils.csv".into()),
        kind: TextKind::Table,
        text: &text,
    };
    let mut out = Vec::new();
    det.scan(&unit, &MessageContext::default(), &mut out);
    assert_eq!(out.len(), MAX_FINDINGS_PER_DETECTOR);
    assert_eq!(out.iter().map(|f| f.count).sum::<usize>(), n);
    assert!(out.iter().all(|f| f.category == Category::PersonalData));
}

#[test]
fn prefix_letters_are_read_back() {
    assert_eq!(
        body("DOB Feb. 4, 2016"),
        one(DATE_OF_BIRTH, Medium, "***. *, 2016")
    );
    assert_eq!(
        body("NI: jt 48 22 91 b"),
        one(UK_NINO, High, "jt ** ** ** b")
    );
    assert_eq!(body("jt-48-22-91-b"), one(UK_NINO, Low, "jt-**-**-**-b"));
    // Digits glued to a word do not stand alone, the groups after them do.
    assert_eq!(
        body("abc1234 4010232137"),
        one(NHS_NUMBER, Low, "40******37")
    );
    silent("X4010232137");
    silent("ABC801200216001"); // three letters: not a UPN
    silent("passport: AB12345678");
}

// ---- Hard negatives ----

#[test]
fn phone_numbers_are_never_identifiers() {
    for t in [
        "Call me on 07700 900123",
        "Tel: 01632 960 001",
        "T: 0113 496 0000",
        "+44 7700 900123",
        "+44 (0)1632 960001",
        "+441632960001",
        "0044 1632 960001",
        "0161 496 0000",
        "020 7946 0000",
        "07700900123",
        "01632960001",
        "Mobile: 7700 900123",
        "mobile 4010232137",
        "Fax 401 023 2137",
        "ring 0113 496 0000 ext 4010",
        "4010232137 (mobile)",
    ] {
        silent(t);
    }
}

#[test]
fn signature_block_is_silent() {
    silent(
        "Kind regards,\n\
         Jo Bloggs\nSchool Business Manager\n\
         Greenlane Primary School, 1 Green Lane, Leeds LS1 4AB\n\
         T: 0113 496 0000 | M: 07700 900123 | F: 0113 496 0001\n\
         DfE: 801/2000 | LAESTAB 8012000 | Registered charity 1234567\n\
         www.greenlane.sch.uk",
    );
}

#[test]
fn references_and_other_numbers_are_silent() {
    for t in [
        "Order number 4010232137",
        "PO 12345678 and PO 401-023-2137",
        "Tracking number: 1Z999AA10123456784",
        "Royal Mail tracking AB123456789GB",
        "DHL tracking 4010232137",
        "Postcodes SW1A 1AA, LS1 4AB and M1 1AE",
        "Our DfE number is 801/2000 (801 2000)",
        "Total £4,010,232.13 or £1,250.00, $1,000,000",
        "Costs £4010232137 in total",
        "Version 10.0.19045.3693, build 22631.2861, v1.2.3",
        "From 10:30 to 14.30-15.45",
        "ISBN 978-0-306-40615-7, ISBN 0306406152, 9780306406157",
        "Pi is 3.14159265358979",
        "IP 192.168.100.200",
        "Years 2015 2016 2017 2018 2019",
        "Invoice 1234 5678 9012 3456",
        "VAT GB 123 4567 89, VAT no. GB123456789",
        "Company number 07654321, registered charity 1123456, Ofsted URN 123456",
        "Exam centre 12345, candidate 4021",
    ] {
        silent(t);
    }
}

#[test]
fn prose_is_silent() {
    silent(
        "Dear parents, the trip to York on 14 March 2025 costs £12.50. Please \
         return the slip by 7th March. Year 6 SATs week starts 12/05/2025. Call \
         the office on 0113 496 0000 with any questions. Room 101, 3rd floor.",
    );
}

#[test]
fn no_break_spaces_join_groups() {
    // HTML bodies turn &nbsp; into U+00A0.
    assert_eq!(
        body("NHS\u{a0}401\u{a0}023\u{a0}2137"),
        one(NHS_NUMBER, High, "40*\u{a0}***\u{a0}**37")
    );
    silent("Tel\u{a0}07700\u{a0}900123");
    assert_eq!(
        body("Bank details below. NI\u{a0}number JT\u{a0}48\u{a0}22\u{a0}91\u{a0}B."),
        one(UK_NINO, High, "JT\u{a0}**\u{a0}**\u{a0}**\u{a0}B")
    );
}

#[test]
fn never_panics_on_odd_utf8() {
    // Multi-byte characters next to candidates and a pseudo-random soup.
    assert_eq!(
        body("Ünïcödé NHS № 401 023 2137 — ok"),
        one(NHS_NUMBER, High, "40* *** **37")
    );
    let alphabet: Vec<char> = "0123456789 -/.:|+()ABGJTPQZabdé€£№\u{a0}\n"
        .chars()
        .collect();
    let mut seed = 0x2545_f491_u64;
    let det = IdentifierDetector::new();
    for len in [0usize, 1, 7, 40, 400, 4000] {
        let s: String = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                alphabet[(seed >> 33) as usize % alphabet.len()]
            })
            .collect();
        for kind in [TextKind::Body, TextKind::Table, TextKind::Subject] {
            let unit = TextUnit {
                location: Location::Body,
                kind,
                text: &s,
            };
            let mut out = Vec::new();
            det.scan(&unit, &MessageContext::default(), &mut out);
            for f in out {
                assert!(f.evidence.contains('*'), "unmasked evidence {f:?}");
            }
        }
    }
}

/// Throughput on realistic prose, with and without identifiers, and on a
/// pupil table (every cell an identifier):
/// `cargo test --release --lib detect::identifiers::tests::throughput -- --ignored --nocapture`
/// (`ONLY="pupil table"` runs one case, e.g. under `perf record`).
#[test]
#[ignore]
fn throughput() {
    let plain = "Dear parents and carers, thank you for your support this term. The Year 5 \
        trip to the Science Museum is on Thursday 14 March; please return the consent slip \
        and the £12.50 contribution by Friday. Our new phonics scheme starts after half term, \
        and the PTA cake sale raised £342.15 for the library. Call the office on 0113 496 0000 \
        if you have any questions, or see page 3 of the newsletter. Version 2.1, ref 8012000.\n";
    let with_ids = "Starter: Priya Shah, NI no. JT 48 22 91 B, start date 3 November. NHS 401 \
        023 2137, DOB 04/02/2016, UPN P801200216001. Card 4111 1111 1111 1111 exp 12/27. IBAN \
        GB82 WEST 1234 5698 7654 32. Sort code 20-00-00 account 12345678. Order 4010232138.\n";
    let row = "name: Amira Khan | dob: 04/02/2016 | upn: P801200216001 | nhs: 401 023 2137 | \
        tel: 07700 900123 | postcode: LS1 4AB\n";
    let det = IdentifierDetector::new();
    for (name, para, reps, kind) in [
        ("prose", plain, 1usize, TextKind::Body),
        ("prose+ids", with_ids, 4, TextKind::Body),
        ("pupil table", row, 0, TextKind::Table),
    ] {
        if std::env::var("ONLY").is_ok_and(|o| o != name) {
            continue;
        }
        let mut text = String::new();
        while text.len() < 8 << 20 {
            for _ in 0..reps {
                text.push_str(plain);
            }
            text.push_str(para);
        }
        let unit = TextUnit {
            location: Location::Body,
            kind,
            text: &text,
        };
        let mut found = 0;
        let (mut passes, t0) = (0usize, cpu_seconds());
        while passes < 3 || cpu_seconds() - t0 < 0.5 {
            let mut out = Vec::new();
            det.scan(&unit, &MessageContext::default(), &mut out);
            found = out.iter().map(|f| f.count).sum();
            passes += 1;
        }
        let cpu = (cpu_seconds() - t0) / passes as f64;
        let mb = text.len() as f64 / 1e6;
        println!(
            "{name}: {mb:.1} MB in {:.1} ms of CPU = {:.0} MB/s ({found} occurrences)",
            cpu * 1e3,
            mb / cpu
        );
    }
}

/// This thread's time on a CPU (Linux schedstat, in ns, though the kernel
/// may only count in scheduler ticks: hence the loops of ≥ 0.3 s), so a measurement
/// on a shared, loaded machine is per core rather than per wall-clock
/// second; falls back to wall time elsewhere.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        })
}

/// What each alternative of the candidate regex costs on prose (the lazy
/// DFA's speed depends on how the alternatives combine):
/// `cargo test --release --lib detect::identifiers -- --ignored --nocapture --test-threads=1`.
#[test]
#[ignore]
fn candidate_regex_cost() {
    let plain = "Dear parents and carers, thank you for your support this term. The Year 5 \
        trip to the Science Museum is on Thursday 14 March; please return the consent slip \
        and the £12.50 contribution by Friday. Call the office on 0113 496 0000 if you have \
        any questions, or see page 3 of the newsletter. Version 2.1, ref 8012000.\n";
    let text = plain.repeat((8 << 20) / plain.len());
    let alts = candidate_alternatives();
    let mut variants = vec![("all".to_string(), candidate_pattern())];
    for k in 0..alts.len() {
        let rest: Vec<&str> = (0..alts.len())
            .filter(|i| *i != k)
            .map(|i| alts[i].as_str())
            .collect();
        let p = format!(r"(?-u)(?:{})\b", rest.join("|"));
        variants.push((format!("without #{k}"), p));
    }
    for (name, p) in variants {
        let Ok(re) = Regex::new(&p) else {
            panic!("{name} does not compile")
        };
        let (mut passes, mut n, t0) = (0usize, 0, cpu_seconds());
        while passes < 3 || cpu_seconds() - t0 < 0.3 {
            n = re.find_iter(text.as_bytes()).count();
            passes += 1;
        }
        let mbs = (text.len() * passes) as f64 / 1e6 / (cpu_seconds() - t0);
        println!("{name}: {mbs:.0} MB/s ({n} matches)");
    }
}

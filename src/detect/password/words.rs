//! The detector's word lists, read once from `words.txt` (data, with its
//! source and licence in its header, so the vocabulary can be reviewed and
//! extended without touching code).

use std::sync::LazyLock;

const WORDS: &str = include_str!("words.txt");

/// Every list of `words.txt`, by section.
pub struct Words {
    /// (kind, phrase) of each trigger, in file order.
    pub triggers: Vec<(&'static str, &'static str)>,
    /// " is ", " will be set to ", ...: with their spaces.
    pub verb_separators: Vec<String>,
    /// " protected with ", "-protected with ", ...
    pub protected_with: Vec<String>,
    /// "*set* the password to X": verbs before an owner before a trigger.
    pub setter_verbs: Vec<&'static str>,
    /// "set *the* password to X": the word right before the trigger.
    pub setter_owners: Vec<&'static str>,
    pub filler_stop: Vec<&'static str>,
    pub stopwords: Vec<&'static str>,
    pub user_intro: Vec<&'static str>,
    pub prefix_talk: Vec<&'static str>,
    pub announcing: Vec<&'static str>,
    pub meeting_markers: Vec<&'static str>,
    pub elsewhere: Vec<&'static str>,
    pub disclaimer_markers: Vec<&'static str>,
    pub code_opens: Vec<&'static str>,
    pub password_headers: Vec<&'static str>,
    pub user_headers: Vec<&'static str>,
    pub placeholder_parts: Vec<&'static str>,
}

/// The lists, parsed on first use.
pub fn words() -> &'static Words {
    static W: LazyLock<Words> = LazyLock::new(|| parse(WORDS));
    &W
}

fn parse(src: &'static str) -> Words {
    let mut w = Words {
        triggers: Vec::new(),
        verb_separators: Vec::new(),
        protected_with: Vec::new(),
        setter_verbs: Vec::new(),
        setter_owners: Vec::new(),
        filler_stop: Vec::new(),
        stopwords: Vec::new(),
        user_intro: Vec::new(),
        prefix_talk: Vec::new(),
        announcing: Vec::new(),
        meeting_markers: Vec::new(),
        elsewhere: Vec::new(),
        disclaimer_markers: Vec::new(),
        code_opens: Vec::new(),
        password_headers: Vec::new(),
        user_headers: Vec::new(),
        placeholder_parts: Vec::new(),
    };
    let mut section = "";
    for line in src.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
            continue;
        }
        let list = match section {
            "triggers" => {
                if let Some((kind, phrase)) = line.split_once(": ") {
                    w.triggers.push((kind.trim(), phrase.trim()));
                }
                continue;
            }
            "verb_separators" => {
                w.verb_separators.push(format!(" {line} "));
                continue;
            }
            "protected_with" => {
                w.protected_with.push(format!(" {line} "));
                w.protected_with.push(format!("-{line} "));
                continue;
            }
            "filler_stop" => &mut w.filler_stop,
            "stopwords" => &mut w.stopwords,
            "user_intro" => &mut w.user_intro,
            "prefix_talk" => &mut w.prefix_talk,
            "announcing" => &mut w.announcing,
            "meeting_markers" => &mut w.meeting_markers,
            "elsewhere" => &mut w.elsewhere,
            "disclaimer_markers" => &mut w.disclaimer_markers,
            "code_opens" => &mut w.code_opens,
            "password_headers" => &mut w.password_headers,
            "user_headers" => &mut w.user_headers,
            "placeholder_parts" => &mut w.placeholder_parts,
            "setter_verbs" => &mut w.setter_verbs,
            "setter_owners" => &mut w.setter_owners,
            _ => continue,
        };
        list.push(line);
    }
    // Longest first, so " is now " is tried before " is ".
    w.verb_separators
        .sort_by_key(|v| std::cmp::Reverse(v.len()));
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_read() {
        let w = words();
        assert!(w.triggers.len() >= 50);
        assert!(w.triggers.contains(&("password", "password")));
        assert!(w.triggers.contains(&("pass", "pass")));
        assert!(w.verb_separators.iter().any(|v| v == " is now: "));
        assert!(w
            .verb_separators
            .windows(2)
            .all(|p| p[0].len() >= p[1].len()));
        assert!(w.protected_with.iter().any(|v| v == "-protected with "));
        for list in [
            &w.filler_stop,
            &w.stopwords,
            &w.user_intro,
            &w.prefix_talk,
            &w.announcing,
            &w.meeting_markers,
            &w.elsewhere,
            &w.disclaimer_markers,
            &w.code_opens,
            &w.password_headers,
            &w.user_headers,
            &w.placeholder_parts,
        ] {
            assert!(!list.is_empty());
            assert!(list.iter().all(|x| !x.is_empty() && *x == x.trim()));
        }
        assert!(w.stopwords.contains(&"separately"));
        assert!(w
            .disclaimer_markers
            .contains(&"this email and any attachments"));
    }
}

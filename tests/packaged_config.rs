//! The config the Debian package installs (packaging/dlp-milter.toml) must
//! list every key of [`Config`] with its true default, so it cannot drift
//! when a key is added or a default changes: the key list comes from the
//! structs themselves (serde-reflection traces their Deserialize impls), not
//! from a copy kept here.

use dlp_milter::config::Config;
use serde_reflection::{ContainerFormat, Format, Registry, Tracer, TracerConfig};
use std::collections::{BTreeMap, BTreeSet};

const PACKAGED: &str = include_str!("../packaging/dlp-milter.toml");

/// One key line of the packaged file: set (`key = v`) or shown with its
/// default (`#key = v`); explanations are `# text`.
struct KeyLine {
    section: String,
    key: String,
    commented: bool,
    line: String,
}

fn key_lines(src: &str) -> Vec<KeyLine> {
    let mut section = String::new();
    let mut out = Vec::new();
    for raw in src.lines() {
        let l = raw.trim_end();
        if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        let (commented, body) = match l.strip_prefix('#') {
            Some(rest) => (true, rest),
            None => (false, l),
        };
        let Some((key, _)) = body.split_once(" = ") else {
            continue;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            continue;
        }
        out.push(KeyLine {
            section: section.clone(),
            key: key.to_string(),
            commented,
            line: body.to_string(),
        });
    }
    out
}

/// Section ("" = top level) → key → whether the key is an `Option` (its
/// default is "unset", which TOML cannot write, so its line is an example).
fn config_keys() -> BTreeMap<String, BTreeMap<String, bool>> {
    let mut tracer = Tracer::new(TracerConfig::default());
    tracer.trace_simple_type::<Config>().expect("Config traces");
    let registry: Registry = tracer.registry_unchecked();
    let fields = |name: &str| match registry.get(name) {
        Some(ContainerFormat::Struct(f)) => f.clone(),
        other => panic!("{name} is not a struct: {other:?}"),
    };
    let mut out: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    for f in fields("Config") {
        match &f.value {
            Format::TypeName(t) if matches!(registry.get(t), Some(ContainerFormat::Struct(_))) => {
                let mut keys = BTreeMap::new();
                for k in fields(t) {
                    match &k.value {
                        // A table inside a section: `[section.table]`.
                        Format::TypeName(sub)
                            if matches!(registry.get(sub), Some(ContainerFormat::Struct(_))) =>
                        {
                            let sub_keys = fields(sub)
                                .into_iter()
                                .map(|s| (s.name, matches!(s.value, Format::Option(_))))
                                .collect();
                            out.insert(format!("{}.{}", f.name, k.name), sub_keys);
                        }
                        v => {
                            keys.insert(k.name, matches!(v, Format::Option(_)));
                        }
                    }
                }
                out.insert(f.name, keys);
            }
            v => {
                out.entry(String::new())
                    .or_default()
                    .insert(f.name, matches!(v, Format::Option(_)));
            }
        }
    }
    out
}

#[test]
fn every_config_key_is_in_the_packaged_file() {
    let lines = key_lines(PACKAGED);
    let listed: BTreeSet<(String, String)> = lines
        .iter()
        .map(|l| (l.section.clone(), l.key.clone()))
        .collect();
    let keys = config_keys();
    assert!(keys.len() >= 8, "sections traced: {:?}", keys.keys());
    let mut missing = Vec::new();
    for (section, ks) in &keys {
        for k in ks.keys() {
            if !listed.contains(&(section.clone(), k.clone())) {
                missing.push(format!("[{section}] {k}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "packaging/dlp-milter.toml does not list: {missing:?}"
    );
    let mut unknown = Vec::new();
    for (section, k) in &listed {
        if !keys.get(section).is_some_and(|ks| ks.contains_key(k)) {
            unknown.push(format!("[{section}] {k}"));
        }
    }
    assert!(unknown.is_empty(), "not config keys: {unknown:?}");
}

#[test]
fn the_packaged_file_loads_and_so_does_every_commented_line() {
    let cfg = Config::from_toml("dlp-milter.toml", PACKAGED).expect("packaged config loads");
    assert_eq!(
        cfg.milter.listen,
        "unix:/var/spool/postfix/dlp-milter/milter.sock"
    );
    assert_eq!(cfg.milter.socket_group.as_deref(), Some("postfix"));
    assert_eq!(
        cfg.rules.dir.as_deref(),
        Some(std::path::Path::new("/usr/share/dlp-milter/rules"))
    );
    cfg.milter.validate().expect("milter section valid");
    cfg.quarantine.validate().expect("quarantine section valid");
    cfg.notice.validate().expect("notice section valid");
    // Uncommenting any "#key =" line must give a valid file: right type,
    // right spelling (deny_unknown_fields).
    let uncommented: String = PACKAGED
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    Config::from_toml("uncommented", &uncommented).expect("every commented key parses");
}

#[test]
fn commented_lines_show_the_true_defaults() {
    let keys = config_keys();
    let mut by_section: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in key_lines(PACKAGED) {
        let optional = keys
            .get(&l.section)
            .and_then(|ks| ks.get(&l.key))
            .copied()
            .unwrap_or(false);
        // An Option's line is an example (its default is unset).
        if l.commented && !optional {
            by_section.entry(l.section).or_default().push(l.line);
        }
    }
    let mut defaults = String::new();
    for (section, lines) in &by_section {
        if !section.is_empty() {
            defaults.push_str(&format!("[{section}]\n"));
        }
        for l in lines {
            defaults.push_str(l);
            defaults.push('\n');
        }
    }
    assert!(
        by_section.values().map(Vec::len).sum::<usize>() >= 35,
        "{defaults}"
    );
    let shown = Config::from_toml("defaults", &defaults).expect("defaults parse");
    assert_eq!(
        format!("{shown:?}"),
        format!("{:?}", Config::default()),
        "a commented default in packaging/dlp-milter.toml is not the built-in one:\n{defaults}"
    );
}

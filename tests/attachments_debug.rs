use dlp_milter::extract::{extract, Budget, Limits};
#[test]
fn dump() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/attachments");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    for n in names {
        let p = format!("{dir}/{n}");
        if std::path::Path::new(&p).is_dir() {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        let mut b = Budget::new(Limits::default());
        let ex = extract(&n, "application/octet-stream", &data, &mut b);
        println!(
            "=== {n}: files={:?}\n  not_scanned={:?}",
            ex.files
                .iter()
                .map(|f| (f.path.clone(), f.sniffed, f.encrypted.clone()))
                .collect::<Vec<_>>(),
            ex.not_scanned
        );
        for t in &ex.texts {
            println!(
                "  [{}:{:?}] {:?}",
                t.path,
                t.kind,
                t.text.chars().take(300).collect::<String>()
            );
        }
    }
}

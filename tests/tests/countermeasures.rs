//! Every countermeasure listed in `scu_model::countermeasures` is tagged
//! `SEC_CM: NAME` where it is implemented, and every tag names a listed
//! countermeasure.

use scu_model::countermeasures::COUNTERMEASURES;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const SOURCE_DIRS: [&str; 4] = ["reference-model/src", "hdl/src", "sim/src", "driver/src"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Tag names: `SEC_CM: A, B (comment)` gives A and B.
fn tags_in(text: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.split("SEC_CM:").nth(1) {
            let rest = rest.split('(').next().unwrap_or("");
            for name in rest.split(',') {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '.' || *c == '_')
                    .collect();
                if !name.is_empty() {
                    tags.push(name);
                }
            }
        }
    }
    tags
}

#[test]
fn every_countermeasure_is_tagged_and_every_tag_is_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for d in SOURCE_DIRS {
        rust_files(&root.join(d), &mut files);
    }
    assert!(files.len() > 10, "found the sources");
    let listed: BTreeSet<&str> = COUNTERMEASURES.iter().map(|c| c.name).collect();
    let mut found = BTreeSet::new();
    for f in &files {
        if f.ends_with("countermeasures.rs") {
            continue;
        }
        let text = fs::read_to_string(f).expect("readable source");
        for t in tags_in(&text) {
            assert!(
                listed.contains(t.as_str()),
                "{}: tag {t} is not a listed countermeasure",
                f.display()
            );
            found.insert(t);
        }
    }
    for name in listed {
        assert!(
            found.contains(name),
            "countermeasure {name} has no SEC_CM tag in the sources"
        );
    }
}

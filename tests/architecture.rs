//! The import rule of docs/ARCHITECTURE.md, checked on the source: which room of
//! `src/` may import which. A product room never imports the simulators (`sim`) or
//! the tools (`tools`), and a room never imports one above it; `kaonin-drivers`
//! never imports the `kaonin` crate and `kaonin-hal` imports neither.
//!
//! The rule reads the code as text: `crate::ROOM` and `kaonin::ROOM` paths (also
//! inside `use crate::{…}` groups) outside comments and outside test modules (a
//! `#[cfg(test)]`/`#[cfg(all(test, …))]` module at the end of a file, and files named
//! `tests.rs`), because tests may use simulators to make their inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each room and the rooms it may import, lowest floor first. A room not listed
/// here is an error too: a new room must be given its place.
const ROOMS: &[(&str, &[&str])] = &[
    // The ground floor: plumbing every room uses; imports nothing of the crate.
    ("ground", &[]),
    ("assets", &["ground"]),
    ("logs", &["ground"]),
    // The reception flow: a pure state machine.
    ("flow", &["ground"]),
    // Domains.
    ("card", &["ground", "flow"]),
    ("card_face", &["ground", "flow", "card"]),
    ("face", &["ground", "flow", "assets"]),
    ("ui", &["ground", "flow", "card", "assets"]),
    ("staff", &["ground", "flow"]),
    ("stats", &["ground", "flow"]),
    ("link", &["ground", "flow", "staff", "stats"]),
    ("control", &["ground", "flow", "card"]),
    // Composition: the device sections and drivers, the config file that composes
    // every section, then the daemon that runs it.
    (
        "devices",
        &[
            "ground",
            "assets",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
        ],
    ),
    (
        "config",
        &[
            "ground",
            "assets",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
            "staff",
            "stats",
            "link",
            "control",
            "devices",
        ],
    ),
    (
        "daemon",
        &[
            "ground",
            "assets",
            "logs",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
            "staff",
            "stats",
            "link",
            "control",
            "config",
            "devices",
        ],
    ),
    // Beside the product: simulators and tools (cargo features `sim`, `tools`).
    (
        "sim",
        &[
            "ground",
            "assets",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
            "staff",
            "stats",
            "link",
            "control",
            "config",
            "devices",
            "daemon",
        ],
    ),
    (
        "tools",
        &[
            "ground",
            "assets",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
            "staff",
            "stats",
            "link",
            "control",
            "config",
            "devices",
            "daemon",
            "sim",
        ],
    ),
    // The command line: the binary's edge, may use everything.
    (
        "cli",
        &[
            "ground",
            "assets",
            "logs",
            "flow",
            "card",
            "card_face",
            "face",
            "ui",
            "staff",
            "stats",
            "link",
            "control",
            "config",
            "devices",
            "daemon",
            "sim",
            "tools",
        ],
    ),
];

/// The rooms that are not product: no product room may import them.
const BESIDE_THE_PRODUCT: [&str; 2] = ["sim", "tools"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir` (recursively), except test files.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    todo.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without comments and without its trailing test module.
fn product_code(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") || t.starts_with("#[cfg(all(test") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let line = match line.find("//") {
            // Good enough for this code base: no `//` inside the strings of import lines.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The rooms a piece of code names through `PREFIX::room` or `PREFIX::{room, …}`.
fn named_rooms(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut rooms = BTreeSet::new();
    let needle = format!("{prefix}::");
    let mut rest = code;
    while let Some(i) = rest.find(&needle) {
        let before_ok = rest[..i].chars().next_back().map_or(true, |c| !is_ident(c));
        rest = &rest[i + needle.len()..];
        if !before_ok {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|&c| is_ident(c)).collect();
                if !name.is_empty() && name != "self" {
                    rooms.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                rooms.insert(name);
            }
        }
    }
    rooms
}

/// The room of a file of `src/`: its first path component (`cli` for main.rs and the
/// binaries).
fn room_of(file: &Path) -> String {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    match first.as_ref() {
        "main.rs" | "bin" => "cli".into(),
        name => name.trim_end_matches(".rs").to_string(),
    }
}

/// Every import between rooms: (from, to) → the files that make it.
fn imports() -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in sources(&root().join("src")) {
        let from = room_of(&file);
        if from == "lib" {
            continue;
        }
        let code = product_code(&std::fs::read_to_string(&file).unwrap());
        let prefix = if from == "cli" && !file.ends_with("cli.rs") {
            "kaonin"
        } else {
            "crate"
        };
        for to in named_rooms(&code, prefix) {
            if to != from {
                let shown = file.strip_prefix(root()).unwrap().display().to_string();
                edges.entry((from.clone(), to)).or_default().insert(shown);
            }
        }
    }
    edges
}

/// The allowed imports as a map.
fn rule() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ROOMS
        .iter()
        .map(|(room, may)| (*room, may.iter().copied().collect()))
        .collect()
}

/// What breaks the rule in `edges`, one line each.
fn violations(edges: &BTreeMap<(String, String), BTreeSet<String>>) -> Vec<String> {
    let rule = rule();
    let mut bad = Vec::new();
    for ((from, to), files) in edges {
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let Some(may) = rule.get(from.as_str()) else {
            bad.push(format!(
                "room `{from}` has no place in the rule ({})",
                files.join(", ")
            ));
            continue;
        };
        if !rule.contains_key(to.as_str()) {
            // `crate::SOMETHING` that is not a room (a macro path, a re-export).
            continue;
        }
        if !may.contains(to.as_str()) {
            let why = if BESIDE_THE_PRODUCT.contains(&to.as_str()) {
                "a product room imports a simulator or tool"
            } else {
                "imports a room it may not (a room above it, or a sibling)"
            };
            bad.push(format!("{from} → {to}: {why}: {}", files.join(", ")));
        }
    }
    bad
}

#[test]
fn rooms_import_only_what_the_architecture_allows() {
    let edges = imports();
    assert!(
        edges.len() > 20,
        "the scan found too few imports to be reading the code"
    );
    let bad = violations(&edges);
    assert!(bad.is_empty(), "import rule broken:\n{}", bad.join("\n"));
}

#[test]
fn every_room_of_src_has_a_place_in_the_rule() {
    let rule = rule();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("src")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let room = name.trim_end_matches(".rs").to_string();
        if ["lib", "main", "bin"].contains(&room.as_str()) {
            continue;
        }
        if !rule.contains_key(room.as_str()) {
            missing.push(room);
        }
    }
    assert!(missing.is_empty(), "rooms without a place: {missing:?}");
}

#[test]
fn the_rule_itself_has_no_cycle_and_keeps_the_product_apart() {
    let rule = rule();
    // Each room may import only rooms listed before it: the order is the floors.
    let order: Vec<&str> = ROOMS.iter().map(|(r, _)| *r).collect();
    for (i, (room, may)) in ROOMS.iter().enumerate() {
        for to in *may {
            let j = order.iter().position(|r| r == to).expect("a listed room");
            assert!(j < i, "{room} may import {to}, which is not below it");
        }
    }
    for (room, may) in &rule {
        let product = !BESIDE_THE_PRODUCT.contains(room) && *room != "cli";
        if product {
            assert!(
                may.iter().all(|to| !BESIDE_THE_PRODUCT.contains(to)),
                "product room {room} may import a simulator or tool"
            );
        }
    }
    assert!(rule["ground"].is_empty());
}

#[test]
fn the_checker_catches_a_product_room_importing_a_simulator() {
    // The checker on made-up code, so a broken scanner cannot pass silently.
    let code = product_code(
        "use crate::flow::Event;\nuse crate::{sim::vcard::Profile, ground};\n// crate::tools\n\
         #[cfg(test)]\nmod tests { use crate::tools::x; }\n",
    );
    let rooms = named_rooms(&code, "crate");
    assert_eq!(
        rooms.into_iter().collect::<Vec<_>>(),
        ["flow", "ground", "sim"]
    );
    let mut edges = BTreeMap::new();
    edges.insert(
        ("card".to_string(), "sim".to_string()),
        BTreeSet::from(["src/card/x.rs".to_string()]),
    );
    edges.insert(
        ("flow".to_string(), "daemon".to_string()),
        BTreeSet::from(["src/flow/y.rs".to_string()]),
    );
    let bad = violations(&edges);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].contains("simulator"), "{bad:?}");
    assert!(bad[1].contains("flow → daemon"), "{bad:?}");
}

#[test]
fn drivers_and_hal_never_import_the_product() {
    for (dir, forbidden) in [
        ("drivers/src", &["kaonin::"][..]),
        ("hal/src", &["kaonin::", "kaonin_drivers::"][..]),
    ] {
        for file in sources(&root().join(dir)) {
            let code = product_code(&std::fs::read_to_string(&file).unwrap());
            for needle in forbidden {
                let hit = code
                    .match_indices(needle)
                    .any(|(i, _)| code[..i].chars().next_back().map_or(true, |c| !is_ident(c)));
                assert!(!hit, "{} imports {needle}", file.display());
            }
        }
    }
}

/// The longest a room's file may be (test files aside): a file longer than this does
/// more than one job.
const MAX_LINES: usize = 800;

#[test]
fn no_file_is_over_800_lines() {
    let mut long = Vec::new();
    for dir in ["src", "hal/src", "drivers/src"] {
        for file in sources(&root().join(dir)) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these by job: {long:?}");
}

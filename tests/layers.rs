//! The shape of the server: files of at most 400 lines and functions of at
//! most 80; modules in layers without cycles: `front -> router ->
//! interfaces -> outbound -> state -> api -> process`, each using only those after it, and no two
//! modules using each other, directly or round a loop (a module and the
//! modules inside it excepted). Read from the `crate::` and `super::` paths
//! in `src/`; `cargo test --test layers` prints what it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: [&str; 7] = ["front", "router", "interfaces", "outbound", "state", "api", "process"];

/// Every module of `src/`, by path (`state::app`), with its source.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if name != "mod" && name != "lib" && name != "main" {
                    module.push(name.clone());
                }
                if name == "main" {
                    continue;
                }
                out.insert(module.join("::"), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut out);
    out
}

/// The module paths a source names: `crate::a::b::item` and `super::x`,
/// braced lists included, cut to the longest known module.
fn uses(module: &str, source: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let parent = &parent[..parent.len().saturating_sub(1)];
    let mut found = BTreeSet::new();
    let code: String = source.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    for (start, base) in [("crate::", Vec::new()), ("super::", parent.to_vec())] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().last();
            rest = &rest[at + start.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for path in expand(rest) {
                let mut segments: Vec<String> = base.iter().map(|s| s.to_string()).collect();
                segments.extend(path.split("::").map(str::to_string));
                while !segments.is_empty() && !known.contains_key(&segments.join("::")) {
                    segments.pop();
                }
                let target = segments.join("::");
                if !target.is_empty() && target != module {
                    found.insert(target);
                }
            }
        }
    }
    found
}

/// The paths at the start of `text`: `a::b::c`, or `a::{b, c::d}` as `a::b`, `a::c::d`.
fn expand(text: &str) -> Vec<String> {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(text.len());
    let head = text[..end].trim_end_matches(':').to_string();
    if text[end..].starts_with('{') && text[..end].ends_with("::") {
        let mut depth = 0;
        let mut close = text.len();
        for (i, c) in text[end..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = end + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &text[end + 1..close.max(end + 1)];
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut from = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[from..i]);
                    from = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&inner[from..]);
        return parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .flat_map(|p| expand(p).into_iter().map(|q| format!("{head}::{q}")))
            .collect();
    }
    vec![head]
}

fn related(a: &str, b: &str) -> bool {
    let inside = |outer: &str, inner: &str| outer.is_empty() || inner.starts_with(&format!("{outer}::"));
    inside(a, b) || inside(b, a)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let known = modules();
    known.iter().map(|(m, source)| (m.clone(), uses(m, source, &known).into_iter().filter(|t| !related(m, t)).collect())).collect()
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let graph = graph();
    let mut cycles = Vec::new();
    // A path back from each edge's target to its source is a cycle.
    for (from, targets) in &graph {
        for to in targets {
            let mut seen = BTreeSet::new();
            let mut stack = vec![vec![to.clone()]];
            while let Some(path) = stack.pop() {
                let last = path.last().unwrap();
                if last == from {
                    cycles.push(format!("{from} -> {}", path.join(" -> ")));
                    break;
                }
                if !seen.insert(last.clone()) {
                    continue;
                }
                for next in graph.get(last).into_iter().flatten() {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn each_layer_uses_only_those_below_it() {
    let rank = |m: &str| LAYERS.iter().position(|l| m == *l || m.starts_with(&format!("{l}::")));
    let mut upward = Vec::new();
    for (from, targets) in graph() {
        for to in targets {
            if let (Some(a), Some(b)) = (rank(&from), rank(&to)) {
                if b < a {
                    upward.push(format!("{from} uses {to}"));
                }
            }
        }
    }
    assert!(upward.is_empty(), "uses against the layers:\n{}", upward.join("\n"));
}

/// Every `src/` file is at most 400 lines, every function at most 80, and
/// every line at most 140 characters, answer templates included (rustfmt's
/// width, which it does not apply to strings).
#[test]
fn files_and_functions_stay_short() {
    let mut long = Vec::new();
    for (module, source) in modules() {
        let lines: Vec<&str> = source.lines().collect();
        if lines.len() > 400 {
            long.push(format!("{module}: {} lines", lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            if line.chars().count() > 140 {
                long.push(format!("{module}:{}: a line of {} characters", i + 1, line.chars().count()));
            }
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let signature =
                ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn ", "const fn ", "pub const fn "].iter().any(|p| trimmed.starts_with(p));
            if !signature || line.trim_end().ends_with(';') {
                continue;
            }
            let close = format!("{indent}}}");
            let end = lines[i..].iter().position(|l| l.trim_end() == close).map_or(lines.len(), |n| i + n);
            if end - i + 1 > 80 {
                long.push(format!("{module}:{}: a function of {} lines", i + 1, end - i + 1));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// No public function of the server or its HTTP front is there for tests
/// alone: each is named somewhere in the code besides its definition (test
/// modules and comments not counted). Test helpers live in `tests/`.
#[test]
fn no_public_function_serves_only_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for dir in ["src", "vendor/http/src"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let text = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
                    let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
                    sources.push((path, code.join("\n")));
                }
            }
        }
    }
    let all: String = sources.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>().join("\n");
    let words = |name: &str| {
        all.match_indices(name)
            .filter(|(i, _)| {
                let before = all[..*i].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
                let after = all[i + name.len()..].chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_');
                !before && !after
            })
            .count()
    };
    let mut alone = Vec::new();
    for (path, code) in &sources {
        for line in code.lines() {
            let t = line.trim_start();
            let Some(rest) = ["pub fn ", "pub(crate) fn ", "pub const fn "].iter().find_map(|p| t.strip_prefix(p)) else { continue };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if words(&name) <= 1 {
                alone.push(format!("{}: {name}", path.strip_prefix(root).unwrap().display()));
            }
        }
    }
    assert!(alone.is_empty(), "named nowhere but their definitions:\n{}", alone.join("\n"));
}

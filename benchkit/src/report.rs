//! BENCHMARKS.md as sections that each benchmark program rewrites from its own output.
//!
//! A section lies between two HTML comments, `<!-- begin NAME -->` and `<!-- end NAME -->`.
//! A program replaces the text between its markers and leaves the rest of the file alone, so the
//! strategy benchmark and the lock benchmark can run separately (or one of them again) and the
//! file is still exactly what the programs printed. A missing file starts from [`SKELETON`],
//! which fixes the order of the sections.

use std::path::Path;

/// A new BENCHMARKS.md: the title, how to regenerate it, and the empty sections in order.
pub const SKELETON: &str = "\
# Benchmarks

Every table, figure and chart below was written by the benchmark programs themselves (do not edit
the generated sections by hand). To regenerate all of it on a fresh clone:

```
./start.sh        # the lab: Redis nodes and two app instances
./bench.sh        # both benchmarks; rewrites this file and the charts under docs/bench/
./stop.sh
```

Each section says the command that reproduces it and the machine it ran on.

<!-- begin strategies -->
<!-- end strategies -->

<!-- begin lock -->
<!-- end lock -->
";

fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- begin {name} -->"),
        format!("<!-- end {name} -->"),
    )
}

/// `document` with the section `name` holding `body`; the section is appended when the document
/// has none. Text outside the section is kept byte for byte.
pub fn replace_section(document: &str, name: &str, body: &str) -> String {
    let (begin, end) = markers(name);
    let body = body.trim_end_matches('\n');
    let section = format!("{begin}\n{body}\n{end}");
    if let Some(start) = document.find(&begin) {
        if let Some(stop) = document[start..].find(&end) {
            let stop = start + stop + end.len();
            return format!("{}{section}{}", &document[..start], &document[stop..]);
        }
    }
    let mut out = document.trim_end_matches('\n').to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(&section);
    out.push('\n');
    out
}

/// Rewrites the section `name` of the report at `path`, creating it from [`SKELETON`].
pub fn update_file(path: &Path, name: &str, body: &str) -> std::io::Result<()> {
    let document = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SKELETON.to_string(),
        Err(e) => return Err(e),
    };
    std::fs::write(path, replace_section(&document, name, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_and_everything_else_kept() {
        let doc = "intro\n<!-- begin lock -->\nold\n<!-- end lock -->\noutro\n";
        assert_eq!(
            replace_section(doc, "lock", "new\ntable\n"),
            "intro\n<!-- begin lock -->\nnew\ntable\n<!-- end lock -->\noutro\n"
        );
    }

    #[test]
    fn the_skeleton_keeps_its_order_whichever_program_runs_first() {
        let doc = replace_section(SKELETON, "lock", "LOCK");
        let doc = replace_section(&doc, "strategies", "STRATEGIES");
        let (s, l) = (doc.find("STRATEGIES").unwrap(), doc.find("LOCK").unwrap());
        assert!(s < l, "{doc}");
        assert!(doc.starts_with("# Benchmarks"));
        // Running one program again replaces, it does not duplicate.
        let again = replace_section(&doc, "lock", "LOCK 2");
        assert_eq!(again.matches("<!-- begin lock -->").count(), 1);
        assert!(
            again.contains("LOCK 2") && !again.contains("LOCK\n"),
            "{again}"
        );
    }

    #[test]
    fn a_document_without_the_section_gets_it_appended() {
        assert_eq!(
            replace_section("# Title\n", "x", "body"),
            "# Title\n\n<!-- begin x -->\nbody\n<!-- end x -->\n"
        );
        assert_eq!(
            replace_section("", "x", "b"),
            "<!-- begin x -->\nb\n<!-- end x -->\n"
        );
    }

    #[test]
    fn the_file_is_created_from_the_skeleton_and_then_updated() {
        let dir = std::env::temp_dir().join(format!("benchkit-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("BENCHMARKS.md");
        let _ = std::fs::remove_file(&path);
        update_file(&path, "strategies", "first").unwrap();
        update_file(&path, "strategies", "second").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("<!-- begin strategies -->\nsecond\n<!-- end strategies -->"));
        assert!(!text.contains("first"));
        assert!(text.contains("<!-- begin lock -->\n<!-- end lock -->"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

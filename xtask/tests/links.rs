//! Every relative link of README.md and the pages in `docs/` resolves: the file (or
//! directory) exists, and a `#fragment` into a markdown page names one of its headings
//! (GitHub's anchors). Links are read as CommonMark reads them (`pulldown-cmark`), so a
//! `[x](y)` inside code is not a link.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

#[path = "../../tests/support/app_crate.rs"]
mod app_crate;

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let workspace = app_crate::workspace();
    let mut pages = vec![workspace.join("README.md")];
    let docs = workspace.join("docs");
    for entry in std::fs::read_dir(&docs).expect("read docs/") {
        let path = entry.expect("an entry of docs/").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    let mut anchors: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        for link in links(&text) {
            let Some((file, fragment)) = relative(page, &link) else { continue };
            checked += 1;
            let shown = format!("{}: ({link})", page.strip_prefix(&workspace).unwrap_or(page).display());
            if !file.exists() {
                broken.push(format!("{shown}: no such file {}", file.display()));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if file.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let known = anchors.entry(file.clone()).or_insert_with(|| headings(&read(&file)));
            if !known.contains(&fragment) {
                broken.push(format!(
                    "{shown}: no heading with the anchor #{fragment} (it has: {})",
                    known.join(", ")
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken relative links:\n{}", broken.join("\n"));
    assert!(
        checked > 10,
        "only {checked} relative links found in {} pages: is the reader broken?",
        pages.len()
    );
}

#[test]
fn the_reader_finds_links_and_anchors() {
    let text = "# A title, with `code`!\n\n[a](docs/x.md#b-c) `[not](a-link)` ![i](img.png)\n\n\
                ```\n[not](either)\n```\n\n## A title, with `code`!\n";
    assert_eq!(links(text), ["docs/x.md#b-c", "img.png"]);
    assert_eq!(headings(text), ["a-title-with-code", "a-title-with-code-1"]);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The destinations of the page's links and images.
fn links(text: &str) -> Vec<String> {
    Parser::new(text)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

/// A link relative to `page`'s folder: the path it names (the page itself for `#x`) and
/// its fragment; `None` for a URL with a scheme.
fn relative(page: &Path, link: &str) -> Option<(PathBuf, Option<String>)> {
    if link.contains("://") || link.starts_with("mailto:") {
        return None;
    }
    let (path, fragment) = match link.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment.to_owned())),
        None => (link, None),
    };
    let file = if path.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().expect("a page is in a folder").join(path)
    };
    Some((file, fragment))
}

/// GitHub's anchors of the page's headings: the text lowercased, punctuation but `-` and
/// `_` dropped, spaces as `-`, and `-1`, `-2`, ... on repeats.
fn headings(text: &str) -> Vec<String> {
    let mut anchors: Vec<String> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut current: Option<String> = None;
    for event in Parser::new(text) {
        match (event, &mut current) {
            (Event::Start(Tag::Heading { .. }), _) => current = Some(String::new()),
            (Event::Text(t) | Event::Code(t), Some(heading)) => heading.push_str(&t),
            (Event::End(TagEnd::Heading(_)), Some(heading)) => {
                let slug: String = heading
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let repeats = seen.entry(slug.clone()).or_default();
                anchors.push(if *repeats == 0 { slug } else { format!("{slug}-{repeats}") });
                *repeats += 1;
                current = None;
            }
            _ => {}
        }
    }
    anchors
}

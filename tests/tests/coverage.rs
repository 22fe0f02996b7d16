//! The coverage page, `docs/local-daytona.md`, is the data's (`support/coverage.rs`): it
//! is current, and what it claims holds: every implemented operation has a test that
//! exists (a named Rust test is a `#[test]` fn in that file; an SDK record is a script's
//! recorded run), every operation named is in the list, and no operation marked tested
//! answers 501.

mod support;

use support::coverage::{self, Coverage, PAGE, REGENERATE, REWRITE_PAGE};

#[test]
fn the_coverage_page_is_current() {
    let page = coverage::page(&Coverage::load());
    let path = coverage::workspace().join(PAGE);
    if coverage::blessing() {
        std::fs::write(&path, &page).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != page {
        let first = current
            .lines()
            .zip(page.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(page.lines().count()));
        panic!(
            "{PAGE} is stale (first difference at line {}: {:?}); rewrite it with `{REWRITE_PAGE}` \
             (or `{REGENERATE}` to rerun the SDK scripts first), and commit it",
            first + 1,
            page.lines().nth(first).unwrap_or("(end of page)")
        );
    }
}

#[test]
fn every_implemented_operation_has_a_test_that_exists() {
    let problems = coverage::problems(&Coverage::load());
    assert!(problems.is_empty(), "the coverage data is wrong:\n{}", problems.join("\n"));
}

#[test]
fn a_test_named_for_an_operation_must_exist_and_run() {
    let source = r#"
fn helper() {}

/// Documented.
#[tokio::test(flavor = "multi_thread")]
async fn async_test() {}

#[test]
fn plain_test() {}

#[test]
#[ignore = "slow"]
fn ignored_test() {}
"#;
    assert_eq!(coverage::find_test(source, "async_test"), Ok(()));
    assert_eq!(coverage::find_test(source, "plain_test"), Ok(()));
    assert_eq!(coverage::find_test(source, "helper"), Err("fn helper is not a #[test]".to_owned()));
    assert_eq!(coverage::find_test(source, "ignored_test"), Err("fn ignored_test is #[ignore]d".to_owned()));
    assert_eq!(coverage::find_test(source, "plain"), Err("no fn plain".to_owned()));
    let this = "tests/tests/coverage.rs::a_test_named_for_an_operation_must_exist_and_run";
    assert_eq!(coverage::check_test(this), Ok(()));
    assert!(coverage::check_test("tests/tests/nope.rs::x").is_err());
    assert!(coverage::check_test("no-separator").is_err());
}

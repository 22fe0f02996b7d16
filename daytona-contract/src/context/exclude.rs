//! Which entries of a directory context are left out: patterns with `.dockerignore`'s
//! meaning (Docker's `patternmatcher`), so one set of rules serves both the `exclude`
//! list a definition writes and the `.dockerignore` file it may read.
//!
//! - A pattern is a path relative to the context directory (a leading `/` or `./` is
//!   dropped, `a//b/./c` is cleaned to `a/b/c`), matched against the whole relative path
//!   of an entry: `*.log` matches `app.log` at the top only, `**/*.log` at any depth.
//! - `*` and `?` never cross a `/`; `**` matches any number of directories, none
//!   included; `[a-z]` classes and `\` escapes work as in Go's `filepath.Match`.
//! - A pattern starting with `!` brings back what an earlier one left out; the last
//!   pattern that matches an entry decides.
//! - A directory that is left out is left out whole, as in git: a `!` pattern cannot
//!   bring back a file below it (Docker's own walk can; write the directory's pattern
//!   more narrowly instead).
//!
//! Excluded entries are neither hashed nor archived, so the context hash is the hash of
//! exactly what is uploaded.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};

/// A set of exclude patterns, compiled; [`Exclude::none`] leaves everything in.
///
/// ```
/// use daytona_contract::context::Exclude;
/// let exclude = Exclude::new(["target", "**/*.log", "!keep.log"]).unwrap();
/// assert!(exclude.excludes("target"));
/// assert!(exclude.excludes("sub/app.log"));
/// assert!(!exclude.excludes("keep.log"));
/// assert!(!exclude.excludes("src/main.rs"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    /// The patterns, cleaned, `!` kept: what the manifest records.
    patterns: Vec<String>,
    /// Each pattern's matcher, and whether it brings entries back (`!`).
    rules: Vec<(GlobMatcher, bool)>,
}

/// A pattern that cannot be used, and why.
///
/// ```
/// let error = daytona_contract::context::Exclude::new(["a[b"]).unwrap_err();
/// assert_eq!(error.pattern, "a[b");
/// assert!(error.to_string().starts_with("exclude pattern `a[b` is not valid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it, and what to write instead.
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exclude pattern `{}` is not valid: {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

impl Exclude {
    /// Excludes nothing.
    ///
    /// ```
    /// assert!(!daytona_contract::context::Exclude::none().excludes("target"));
    /// ```
    pub fn none() -> Exclude {
        Exclude::default()
    }

    /// Compiles `patterns` (see the module docs); an empty pattern, one that names the
    /// whole context (`.`, `/`) or climbs out of it (`../x`), and a malformed glob are
    /// errors.
    ///
    /// ```
    /// use daytona_contract::context::Exclude;
    /// assert_eq!(Exclude::new(["/target/", "./a//b"]).unwrap().patterns(), ["target", "a/b"]);
    /// assert!(Exclude::new(["../secrets"]).unwrap_err().reason.contains("outside"));
    /// ```
    pub fn new<I, S>(patterns: I) -> Result<Exclude, PatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut exclude = Exclude::default();
        for written in patterns {
            exclude.add(written.as_ref())?;
        }
        Ok(exclude)
    }

    /// Adds one pattern after the others (it decides over them where both match), with
    /// the checks of [`Exclude::new`].
    ///
    /// ```
    /// let mut exclude = daytona_contract::context::Exclude::new(["*.log"]).unwrap();
    /// exclude.add("!keep.log").unwrap();
    /// assert!(!exclude.excludes("keep.log"));
    /// assert!(exclude.add("[").is_err() && exclude.patterns().len() == 2, "a bad pattern adds nothing");
    /// ```
    pub fn add(&mut self, written: &str) -> Result<(), PatternError> {
        let error = |reason: &str| PatternError { pattern: written.to_owned(), reason: reason.to_owned() };
        let (exception, body) = match written.trim().strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, written.trim()),
        };
        let cleaned = clean(body)
            .ok_or_else(|| error("it points outside the context directory; patterns are relative to it"))?;
        if cleaned.is_empty() {
            return Err(error(
                "it names the whole context; to upload nothing, remove the add_local_dir call",
            ));
        }
        let glob = GlobBuilder::new(&cleaned)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| error(&e.kind().to_string()))?;
        self.patterns.push(if exception { format!("!{cleaned}") } else { cleaned });
        self.rules.push((glob.compile_matcher(), exception));
        Ok(())
    }

    /// The patterns of a `.dockerignore` file, in order: one per line, with blank lines
    /// and `#` comments dropped. Compile them with [`Exclude::new`].
    ///
    /// ```
    /// let lines = daytona_contract::context::Exclude::dockerignore_patterns("# build\ntarget\n\n  *.log \n");
    /// assert_eq!(lines, ["target", "*.log"]);
    /// ```
    pub fn dockerignore_patterns(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect()
    }

    /// Whether no pattern is set.
    ///
    /// ```
    /// assert!(daytona_contract::context::Exclude::none().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The patterns, cleaned (`!` kept), as the manifest records them.
    ///
    /// ```
    /// let exclude = daytona_contract::context::Exclude::new(["!./keep"]).unwrap();
    /// assert_eq!(exclude.patterns(), ["!keep"]);
    /// ```
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the entry at `rel` (relative to the context directory, `/`-separated) is
    /// left out: the last pattern that matches it decides.
    ///
    /// ```
    /// let exclude = daytona_contract::context::Exclude::new(["*.txt", "!a.txt"]).unwrap();
    /// assert!(exclude.excludes("b.txt") && !exclude.excludes("a.txt") && !exclude.excludes("d/b.txt"));
    /// ```
    pub fn excludes(&self, rel: &str) -> bool {
        self.rules.iter().rev().find(|(glob, _)| glob.is_match(rel)).is_some_and(|(_, exception)| !exception)
    }
}

/// `body` cleaned like Go's `filepath.Clean`, without a leading `/`; `None` if it climbs
/// above the context directory.
fn clean(body: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in body.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], rel: &str) -> bool {
        Exclude::new(patterns).expect("valid").excludes(rel)
    }

    // Docker's documented examples (the `.dockerignore` reference).
    #[test]
    fn dockerignore_examples() {
        let patterns = ["*/temp*", "*/*/temp*", "temp?"];
        assert!(excluded(&patterns, "somedir/temporary.txt"));
        assert!(excluded(&patterns, "somedir/temp"));
        assert!(excluded(&patterns, "somedir/subdir/temporary.txt"));
        assert!(excluded(&patterns, "tempa"));
        assert!(!excluded(&patterns, "temp.txt"), "`temp?` is one character");
        assert!(!excluded(&patterns, "a/b/c/temporary.txt"));
        assert!(excluded(&["**/*.go"], "main.go") && excluded(&["**/*.go"], "a/b/main.go"));
        assert!(excluded(&["*.md", "!README*.md"], "CHANGES.md"));
        assert!(!excluded(&["*.md", "!README*.md"], "README-secret.md"));
        assert!(excluded(&["*.md", "!README*.md", "README-secret.md"], "README-secret.md"));
    }

    #[test]
    fn anchored_at_the_context_and_never_across_a_slash() {
        assert!(excluded(&["target"], "target"));
        assert!(!excluded(&["target"], "sub/target"), "anchored, unlike git");
        assert!(excluded(&["**/node_modules"], "web/app/node_modules"));
        assert!(!excluded(&["*.log"], "logs/a.log"));
        assert!(excluded(&["logs/*.log"], "logs/a.log"));
        assert!(excluded(&["\\*star"], "*star") && !excluded(&["\\*star"], "xstar"));
    }

    #[test]
    fn patterns_are_cleaned_and_bad_ones_refused() {
        let e = Exclude::new(["/a/", "./b/./c", "x/../y", "! z"]).expect("valid");
        assert_eq!(e.patterns(), ["a", "b/c", "y", "!z"]);
        for (bad, says) in [
            ("", "whole context"),
            ("/", "whole context"),
            (".", "whole context"),
            ("../up", "outside the context"),
            ("a/../../up", "outside the context"),
            ("[z-a]", "not valid"),
            ("{a,b", "not valid"),
        ] {
            let error = Exclude::new([bad]).expect_err(bad);
            assert!(error.to_string().contains(says), "{bad}: {error}");
        }
    }
}

//! Rules on plain text arguments: single-line values, env keys, secrets, heredocs,
//! in-image paths and characters Docker would expand in `COPY`.
//!
//! ```
//! use pj_image::rules::text;
//! assert!(text::single_line("apt-get update", "run command").is_ok());
//! assert!(text::single_line("a\nRUN evil", "run command").is_err());
//! ```

use super::Finding;
use crate::Rule;

/// Rejects a value that would not stay on its Dockerfile line: a newline, carriage
/// return or NUL anywhere. `what` names the argument in the message ("run command").
pub fn single_line(value: &str, what: &str) -> Result<(), Finding> {
    if let Some(c) = value.chars().find(|c| matches!(c, '\n' | '\r' | '\0')) {
        let name = match c {
            '\n' => "a newline",
            '\r' => "a carriage return",
            _ => "a NUL byte",
        };
        return Err(Finding::new(
            Rule::MultiLine,
            format!(
                "{what} {value:?} contains {name}, which would split the Dockerfile into other instructions; \
                 write it on one line (join shell commands with `&&` or `;`)"
            ),
        ));
    }
    Ok(())
}

/// [`single_line`], plus: rejects a value written raw at the end of a line that ends in
/// `\` (optionally followed by blanks), which Docker reads as a line continuation.
///
/// ```
/// use pj_image::rules::text;
/// assert!(text::raw_line("echo a \\", "run command").is_err());
/// ```
pub fn raw_line(value: &str, what: &str) -> Result<(), Finding> {
    single_line(value, what)?;
    if value.trim_end_matches([' ', '\t']).ends_with('\\') {
        return Err(Finding::new(
            Rule::MultiLine,
            format!(
                "{what} {value:?} ends with a backslash, which Docker reads as a line continuation \
                 that swallows the next instruction; remove the trailing `\\`"
            ),
        ));
    }
    Ok(())
}

/// Rejects an empty (or blank) value where one is required.
pub fn non_empty(value: &str, what: &str) -> Result<(), Finding> {
    if value.trim().is_empty() {
        return Err(Finding::new(Rule::Empty, format!("{what} is empty; give it a value")));
    }
    Ok(())
}

/// Rejects a value that holds a heredoc marker (`<<EOF`, `<<-"EOF"`, `'<<X'`): in a
/// `RUN`, `COPY` or `ADD` line BuildKit would read the following Dockerfile lines as the
/// heredoc's body. Any run of exactly two `<` counts, quoted or not; here-strings
/// (`<<<`) are fine. `rule` is the rule to report (`RunHeredoc` for `RUN` lines).
///
/// ```
/// use pj_image::{Rule, rules::text};
/// assert!(text::no_heredoc("cat <<EOF > /x", "run command", Rule::RunHeredoc).is_err());
/// assert!(text::no_heredoc("echo '<<EOF'", "run command", Rule::RunHeredoc).is_err());
/// assert!(text::no_heredoc("grep x <<< \"$v\"", "run command", Rule::RunHeredoc).is_ok());
/// ```
pub fn no_heredoc(value: &str, what: &str, rule: Rule) -> Result<(), Finding> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b'<' {
            i += 1;
        }
        if i - start == 2 {
            return Err(Finding::new(
                rule,
                format!(
                    "{what} {value:?} contains `<<`, which Docker reads as the start of a heredoc that \
                     swallows the Dockerfile lines after it; write the content with printf, or add the file \
                     with add_local_file"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn env_key(key: &str) -> Result<(), Finding> {
    let mut chars = key.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(Finding::new(
            Rule::EnvKey,
            format!(
                "environment variable name {key:?} is not a portable name; use letters, digits and `_`, \
                 not starting with a digit (e.g. \"MY_VAR\")"
            ),
        ));
    }
    Ok(())
}

/// Refuses a secret-looking key (`HF_TOKEN`, `OPENAI_API_KEY`, `DB_PASSWORD`, ...): a
/// literal value would be baked into every sandbox and into the snapshot's layers.
///
/// ```
/// use pj_image::rules::text;
/// assert!(text::env_secret("OPENAI_API_KEY").is_err());
/// assert!(text::env_secret("TOKENIZERS_PARALLELISM").is_ok());
/// ```
pub fn env_secret(key: &str) -> Result<(), Finding> {
    let upper = key.to_ascii_uppercase();
    let segments: Vec<&str> = upper.split('_').collect();
    let single = ["TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASSPHRASE", "APIKEY", "CREDENTIALS"];
    let pairs =
        [("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("SIGNING", "KEY")];
    let hit = segments.iter().any(|s| single.contains(s))
        || segments.windows(2).any(|w| pairs.contains(&(w[0], w[1])));
    if hit {
        return Err(Finding::new(
            Rule::EnvSecret,
            format!(
                "environment variable {key:?} looks like a secret, and a literal value would be baked into \
                 the snapshot; pass it when creating the sandbox (env vars or Daytona secrets) instead"
            ),
        ));
    }
    Ok(())
}

/// Checks that an in-image path (remote path, `WORKDIR`) is absolute.
pub fn absolute_in_image(path: &str, rule: Rule, what: &str) -> Result<(), Finding> {
    if !path.starts_with('/') {
        return Err(Finding::new(
            rule,
            format!("{what} {path:?} is not absolute; write it from the image root, e.g. \"/{path}\""),
        ));
    }
    Ok(())
}

/// Rejects characters in a `COPY` path that Docker would not take literally. Docker
/// runs COPY arguments through its shell-word processing even in the JSON form: `$`
/// expands a build variable, `\` escapes the next character, `"` and `'` are quotes
/// (an unbalanced one fails the build), so `COPY ["a\\b", ...]` looks for `ab`
/// (observed with Docker Engine 20.10). In sources, `*`, `?` and `[` are wildcards too.
///
/// ```
/// use pj_image::rules::text;
/// assert!(text::copy_path("sandbox/run.sh", "local path", true).is_ok());
/// assert!(text::copy_path("dir with space/f.txt", "local path", true).is_ok());
/// assert!(text::copy_path("it's.txt", "local path", true).is_err());
/// ```
pub fn copy_path(path: &str, what: &str, is_source: bool) -> Result<(), Finding> {
    let special: &[char] =
        if is_source { &['$', '\\', '"', '\'', '*', '?', '['] } else { &['$', '\\', '"', '\''] };
    if let Some(c) = path.chars().find(|c| special.contains(c)) {
        let why = match c {
            '$' => "Docker expands `$` in COPY paths as a build variable",
            '\\' => "Docker reads `\\` in COPY paths as an escape, even in the JSON form",
            '"' | '\'' => "Docker reads quotes in COPY paths as shell quotes, even in the JSON form",
            _ => "Docker treats it as a wildcard in COPY sources",
        };
        return Err(Finding::new(
            Rule::CopyPathSpecialChar,
            format!("{what} {path:?} contains {c:?} and {why}; rename the path without it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<(), Finding>) -> Option<Rule> {
        r.err().map(|f| f.rule)
    }

    #[test]
    fn single_line_rejects_line_breaks_and_nul() {
        assert_eq!(rule(single_line("a b", "x")), None);
        for bad in ["a\nb", "a\rb", "a\0b", "\n"] {
            assert_eq!(rule(single_line(bad, "x")), Some(Rule::MultiLine), "{bad:?}");
        }
    }

    #[test]
    fn raw_line_rejects_continuations() {
        assert_eq!(rule(raw_line("echo a\\b", "x")), None);
        assert_eq!(rule(raw_line("echo \\", "x")), Some(Rule::MultiLine));
        assert_eq!(rule(raw_line("echo \\ \t ", "x")), Some(Rule::MultiLine));
    }

    #[test]
    fn heredocs_are_found() {
        let check = |v| rule(no_heredoc(v, "x", Rule::RunHeredoc));
        for bad in
            ["cat <<EOF", "cat <<-EOF", "cat <<'EOF'", "python3 2<<\"X\"", "a << b", "echo '<<X'", "a<<b"]
        {
            assert_eq!(check(bad), Some(Rule::RunHeredoc), "{bad:?}");
        }
        for ok in ["cat <<< x", "echo a < b", "echo"] {
            assert_eq!(check(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn env_keys() {
        for ok in ["A", "_a1", "PATH", "my_var"] {
            assert_eq!(rule(env_key(ok)), None);
        }
        for bad in ["", "1A", "A-B", "A B", "é", "A=B"] {
            assert_eq!(rule(env_key(bad)), Some(Rule::EnvKey), "{bad:?}");
        }
    }

    #[test]
    fn secrets() {
        for bad in
            ["HF_TOKEN", "OPENAI_API_KEY", "db_password", "AWS_SECRET_ACCESS_KEY", "GITHUB_APIKEY", "SECRET"]
        {
            assert_eq!(rule(env_secret(bad)), Some(Rule::EnvSecret), "{bad:?}");
        }
        for ok in ["TOKENIZERS_PARALLELISM", "KEYBOARD", "SORT_KEY", "PATH", "MODEL"] {
            assert_eq!(rule(env_secret(ok)), None, "{ok:?}");
        }
    }

    #[test]
    fn in_image_paths() {
        assert_eq!(rule(absolute_in_image("/app", Rule::WorkdirRelative, "x")), None);
        assert_eq!(rule(absolute_in_image("app", Rule::WorkdirRelative, "x")), Some(Rule::WorkdirRelative));
        assert_eq!(rule(copy_path("a*b", "x", true)), Some(Rule::CopyPathSpecialChar));
        assert_eq!(rule(copy_path("a*b", "x", false)), None);
        assert_eq!(rule(copy_path("/a$b", "x", false)), Some(Rule::CopyPathSpecialChar));
        assert_eq!(rule(copy_path("dir with space/é", "x", true)), None);
        for bad in ["a\\b", "q\"x", "it's"] {
            assert_eq!(rule(copy_path(bad, "x", true)), Some(Rule::CopyPathSpecialChar), "{bad:?}");
            assert_eq!(rule(copy_path(bad, "x", false)), Some(Rule::CopyPathSpecialChar), "{bad:?}");
        }
    }
}

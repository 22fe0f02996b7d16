//! Quoting exactly as Daytona's Python SDK 0.226.1 does it (`docs/daytona-contract.md` §2.1),
//! plus the correct JSON exec form where the SDK's output is broken.

/// Python's `shlex.quote`: unchanged if every char is ASCII `[A-Za-z0-9_@%+=:,./-]`,
/// `''` for the empty string, otherwise single-quoted with `'` written as `'"'"'`.
pub(crate) fn shlex_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    let safe = s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if safe {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Appends `c` escaped for a JSON string: `"`, `\\` and control characters always, and
/// every non-ASCII char as `\uXXXX` (UTF-16 units) when `ascii_only`, as Python's
/// `json.dumps` does by default.
fn push_json_char(out: &mut String, c: char, ascii_only: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        ' '..='~' => out.push(c),
        c if !ascii_only && (c as u32) > 0x7f => out.push(c),
        c => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
}

fn json_string(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_json_char(&mut out, c, ascii_only);
    }
    out.push('"');
    out
}

/// Python's `json.dumps(s)` for one string with the default `ensure_ascii=True`:
/// non-ASCII as `\uXXXX` (astral chars as surrogate pairs), `/` kept.
pub(crate) fn py_json_string(s: &str) -> String {
    json_string(s, true)
}

/// Python's `json.dumps(list_of_str)`: `["a", "b"]` with `", "` separators.
pub(crate) fn py_json_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_json_string(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// The `ENTRYPOINT`/`CMD` exec form. The SDK writes `["a", "b"]` with no escaping at all,
/// which is invalid JSON (and silently becomes shell form in Docker) as soon as an
/// argument holds `"`, `\` or a control character. For every other argument this is
/// byte-identical to the SDK; for those it escapes them so the JSON stays valid.
/// Non-ASCII stays raw, as the SDK writes it.
pub(crate) fn exec_form<S: AsRef<str>>(args: &[S]) -> String {
    let inner: Vec<String> = args.iter().map(|a| json_string(a.as_ref(), false)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: docs/daytona-contract.md §2.1 and the Ex3/Ex6b/Ex10 outputs (§2.5).
    #[test]
    fn shlex_quote_matches_python() {
        assert_eq!(shlex_quote(""), "''");
        assert_eq!(shlex_quote("abc"), "abc");
        assert_eq!(shlex_quote("a-b_c.d/e:f@g%h+i=j,k"), "a-b_c.d/e:f@g%h+i=j,k");
        assert_eq!(shlex_quote("hello world"), "'hello world'");
        assert_eq!(shlex_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shlex_quote("$HOME/bin:$PATH"), "'$HOME/bin:$PATH'");
        assert_eq!(shlex_quote("héllo"), "'héllo'");
        assert_eq!(shlex_quote("x'y"), "'x'\"'\"'y'");
        assert_eq!(shlex_quote("pandas>=2.0"), "'pandas>=2.0'");
        assert_eq!(shlex_quote("é"), "'é'");
    }

    #[test]
    fn json_matches_python_ensure_ascii() {
        assert_eq!(
            py_json_list(&["uni/café \"q\" \\b", "/dst/café"]),
            r#"["uni/caf\u00e9 \"q\" \\b", "/dst/caf\u00e9"]"#
        );
        assert_eq!(py_json_string("🚀"), r#""\ud83d\ude80""#);
        assert_eq!(py_json_string("\u{7f}\u{1}\u{8}\u{c}"), r#""\u007f\u0001\b\f""#);
        assert_eq!(py_json_string("a/b"), r#""a/b""#);
    }

    #[test]
    fn exec_form_is_sdk_identical_when_sdk_is_valid_and_json_otherwise() {
        assert_eq!(exec_form(&["sleep", "infinity"]), r#"["sleep", "infinity"]"#);
        assert_eq!(exec_form::<&str>(&[]), "[]");
        assert_eq!(exec_form(&["héllo"]), r#"["héllo"]"#);
        assert_eq!(exec_form(&["/bin/sh", "-c", "echo \"x\"\n\\"]), r#"["/bin/sh", "-c", "echo \"x\"\n\\"]"#);
    }
}

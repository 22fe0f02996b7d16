//! Reading a `run_commands` string as the simple shell lists the inference rules
//! understand: commands joined by `&&`, `||` and `;`, split into words with the
//! `shlex` crate. Anything else (pipes, redirections, substitutions, variables,
//! subshells, background jobs, comments) is unreadable, and the rules then give the
//! step the benefit of the doubt.

/// One simple command of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The words, unquoted.
    pub(crate) words: Vec<String>,
    /// Whether an unquoted `*`, `?` or `[` makes the shell expand a word as a pattern.
    pub(crate) globbed: bool,
    /// Whether a failure of this command certainly fails the whole `RUN`: no `||`
    /// anywhere in the list (which could skip it or tolerate its failure) and no `;`
    /// after it (the list's status is its last command's).
    pub(crate) fatal: bool,
}

impl Command {
    /// The words after any leading `NAME=value` words (which only set variables for
    /// this command): the program and its arguments.
    pub(crate) fn invocation(&self) -> &[String] {
        let assignments =
            self.words.iter().take_while(|w| w.split_once('=').is_some_and(|(n, _)| is_name(n))).count();
        &self.words[assignments..]
    }
}

/// A shell variable name.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(PartialEq, Eq)]
enum Op {
    And,
    Or,
    Seq,
}

/// The commands of `line`, or `None` when it is not a plain list of simple commands.
pub(crate) fn read(line: &str) -> Option<Vec<Command>> {
    let chars: Vec<char> = line.chars().collect();
    // (raw text, globbed, the operator after it)
    let mut parts: Vec<(String, bool, Option<Op>)> = Vec::new();
    let mut raw = String::new();
    let mut globbed = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => {
                let end = chars[i + 1..].iter().position(|&q| q == '\'')? + i + 1;
                raw.extend(&chars[i..=end]);
                i = end + 1;
                continue;
            }
            '"' => {
                let mut j = i + 1;
                loop {
                    match chars.get(j)? {
                        '"' => break,
                        '$' | '`' => return None,
                        '\\' => j += 2,
                        _ => j += 1,
                    }
                }
                raw.extend(&chars[i..=j]);
                i = j + 1;
                continue;
            }
            '\\' => {
                raw.push(c);
                raw.push(*chars.get(i + 1)?);
                i += 2;
                continue;
            }
            '&' | '|' if chars.get(i + 1) == Some(&c) => {
                let op = if c == '&' { Op::And } else { Op::Or };
                parts.push((std::mem::take(&mut raw), globbed, Some(op)));
                globbed = false;
                i += 2;
                continue;
            }
            ';' => {
                parts.push((std::mem::take(&mut raw), globbed, Some(Op::Seq)));
                globbed = false;
            }
            '&' | '|' | '<' | '>' | '(' | ')' | '{' | '}' | '`' | '$' | '#' | '!' | '~' => return None,
            '*' | '?' | '[' => {
                globbed = true;
                raw.push(c);
            }
            _ => raw.push(c),
        }
        i += 1;
    }
    parts.push((raw, globbed, None));

    let any_or = parts.iter().any(|(_, _, op)| *op == Some(Op::Or));
    let last_seq = parts.iter().rposition(|(_, _, op)| *op == Some(Op::Seq));
    let count = parts.len();
    let mut commands = Vec::new();
    let mut after_seq = false;
    for (index, (raw, globbed, op)) in parts.into_iter().enumerate() {
        let words = shlex::split(&raw)?;
        if words.is_empty() {
            // `a;` is a complete list; `a &&`, `&& a` and `;` alone are syntax errors.
            if index + 1 == count && after_seq && index > 0 {
                continue;
            }
            return None;
        }
        after_seq = op == Some(Op::Seq);
        let fatal = !any_or && last_seq.is_none_or(|s| index > s);
        commands.push(Command { words, globbed, fatal });
    }
    Some(commands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        read(line).unwrap_or_else(|| panic!("{line:?} unreadable")).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn splits_lists_into_words() {
        assert_eq!(
            words("apt-get update && apt-get install -y git curl jq"),
            [vec!["apt-get", "update"], vec!["apt-get", "install", "-y", "git", "curl", "jq"]]
        );
        assert_eq!(words("a&&b;c || d"), [vec!["a"], vec!["b"], vec!["c"], vec!["d"]]);
        assert_eq!(words("echo 'a && b' \"c;d\" e\\;f"), [vec!["echo", "a && b", "c;d", "e;f"]]);
        assert_eq!(words("echo '$HOME' \"x\\\"y\""), [vec!["echo", "$HOME", "x\"y"]]);
        assert_eq!(words("true;"), [vec!["true"]]);
        assert_eq!(words("true; "), [vec!["true"]]);
    }

    #[test]
    fn knows_which_failures_fail_the_run() {
        let fatal = |line: &str| read(line).expect("readable").iter().map(|c| c.fatal).collect::<Vec<_>>();
        assert_eq!(fatal("a && b"), [true, true]);
        assert_eq!(fatal("a; b && c"), [false, true, true]);
        assert_eq!(fatal("a && b; c"), [false, false, true]);
        assert_eq!(fatal("a || b"), [false, false]);
        assert_eq!(fatal("a && b || c"), [false, false, false]);
    }

    #[test]
    fn invocation_skips_assignments() {
        let list = read("PIP_NO_CACHE_DIR=1 A_2=x pip install x==1 B=y").expect("readable");
        assert_eq!(list[0].invocation(), ["pip", "install", "x==1", "B=y"]);
        let list = read("X=1 && 2X=y z").expect("readable");
        assert!(list[0].invocation().is_empty());
        assert_eq!(list[1].invocation(), ["2X=y", "z"]);
    }

    #[test]
    fn globs_are_marked() {
        let list = read("rm -rf /var/lib/apt/lists/* && echo '*'").expect("readable");
        assert!(list[0].globbed);
        assert!(!list[1].globbed);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for line in [
            "curl -fsSL https://x | sh",
            "echo a > /etc/x",
            "cat < x",
            "echo $(id -u)",
            "echo `id -u`",
            "echo $HOME",
            "echo \"$HOME\"",
            "echo \"`x`\"",
            "sleep 1 &",
            "(cd /x && make)",
            "{ a; }",
            "a # comment",
            "! a",
            "ls ~/x",
            "echo 'unterminated",
            "echo \"unterminated",
            "echo x\\",
            "&& a",
            "a && && b",
            "a &&",
            ";",
        ] {
            assert_eq!(read(line), None, "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "[ -~]{0,40}") {
            let _ = read(&line);
        }

        #[test]
        fn never_panics_on_any_string(line in proptest::prelude::any::<String>()) {
            let _ = read(&line);
        }
    }
}

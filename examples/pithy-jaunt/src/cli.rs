//! The command line: `run`, `delete`, `snapshot`, `image` (and clap's `help`).

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand};

/// The environment and exit codes, under `--help` of `run`.
const RUN_HELP: &str = "\
Environment:
  DAYTONA_API_KEY, DAYTONA_API_URL   Daytona's credentials and API (for the local server:
                                     eval \"$(cargo xtask local --env)\")
  ANTHROPIC_API_KEY, OPENAI_API_KEY  passed into the sandbox when set, never printed; the
                                     runner calls a model only when one is there
  PITHY_JAUNT_*                      passed to the runner: PITHY_JAUNT_OFFLINE=1 never calls
                                     a model (it only reports which keys arrived),
                                     PITHY_JAUNT_MODEL picks the model

Output: progress on standard error; the runner's output, streamed as it comes, and its
result (result.json) on standard output.

Exit codes: 0 the runner succeeded; 1 it failed, or Daytona did; 2 bad arguments or
configuration (nothing was created); 130 interrupted (Ctrl-C; the sandbox is deleted).";

/// pithy-jaunt: runs an agent on a task in a Daytona sandbox made from this binary's own
/// snapshot.
#[derive(Debug, Parser)]
#[command(name = "pithy-jaunt", version, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the agent on TASK in a new sandbox: uploads the task (and the repository),
    /// streams the runner's output, prints its result, deletes the sandbox
    Run(RunArgs),
    /// Deletes a sandbox (one kept by `run --keep`)
    Delete {
        /// The sandbox's id
        #[arg(value_parser = NonEmptyStringValueParser::new())]
        sandbox: String,
    },
    /// Prints the name of the snapshot this binary uses
    Snapshot,
    /// Prints the snapshot name, resources, build key, contexts and Dockerfile
    Image,
}

/// `pithy-jaunt run TASK... [--repo PATH|URL] [--keep]`.
#[derive(Debug, Args)]
#[command(after_help = RUN_HELP)]
pub struct RunArgs {
    /// The task, in words (joined with spaces)
    #[arg(required = true, value_name = "TASK", value_parser = NonEmptyStringValueParser::new())]
    pub task: Vec<String>,
    /// A repository to work on: a local git work tree (its commits go up as a git bundle,
    /// no network needed) or a URL the sandbox clones
    #[arg(long, value_name = "PATH|URL")]
    pub repo: Option<String>,
    /// Keeps the sandbox afterwards, and prints its id and how to delete it
    #[arg(long)]
    pub keep: bool,
}

impl RunArgs {
    /// The task as one text.
    pub fn task(&self) -> String {
        self.task.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("pithy-jaunt").chain(args.iter().copied()))
    }

    fn run_args(args: &[&str]) -> RunArgs {
        match parse(args).expect("valid arguments").command {
            Command::Run(run) => run,
            other => panic!("not run: {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_task_of_several_words_is_one_text_and_options_go_anywhere() {
        let run = run_args(&["run", "fix", "the", "--repo", "../app", "bug", "--keep"]);
        assert_eq!(run.task(), "fix the bug");
        assert_eq!(run.repo.as_deref(), Some("../app"));
        assert!(run.keep);
        let run = run_args(&["run", "hello"]);
        assert_eq!((run.task().as_str(), run.repo, run.keep), ("hello", None, false));
    }

    #[test]
    fn a_task_after_a_double_dash_may_start_with_a_dash() {
        assert_eq!(run_args(&["run", "--", "--explain", "x"]).task(), "--explain x");
    }

    #[test]
    fn a_missing_or_empty_task_is_a_usage_error() {
        for args in [&["run"][..], &["run", ""], &["run", "--repo", "x"], &["run", "a", "--repo"]] {
            let e = parse(args).expect_err("refused");
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
        let e = parse(&["run"]).expect_err("refused").to_string();
        assert!(e.contains("<TASK>"), "{e}");
    }

    #[test]
    fn unknown_commands_and_options_are_usage_errors() {
        assert_eq!(parse(&["walk"]).expect_err("refused").exit_code(), 2);
        assert_eq!(parse(&["run", "x", "--kept"]).expect_err("refused").exit_code(), 2);
        assert_eq!(parse(&[]).expect_err("help").exit_code(), 2);
    }

    #[test]
    fn the_help_of_run_names_the_keys_and_the_exit_codes() {
        let help = Cli::command().find_subcommand_mut("run").expect("run").render_long_help().to_string();
        for text in ["--repo <PATH|URL>", "--keep", "ANTHROPIC_API_KEY", "never printed", "130 interrupted"] {
            assert!(help.contains(text), "{text:?} missing from:\n{help}");
        }
    }

    #[test]
    fn the_other_commands_stay() {
        assert!(matches!(parse(&["snapshot"]).expect("ok").command, Command::Snapshot));
        assert!(matches!(parse(&["image"]).expect("ok").command, Command::Image));
        match parse(&["delete", "abc"]).expect("ok").command {
            Command::Delete { sandbox } => assert_eq!(sandbox, "abc"),
            other => panic!("{other:?}"),
        }
        let e = parse(&["help"]).expect_err("help is printed");
        assert_eq!(e.exit_code(), 0);
        assert!(e.to_string().contains("run"), "{e}");
    }
}

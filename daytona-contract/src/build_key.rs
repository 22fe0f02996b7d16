//! The build key: the name Daytona's server builds a definition under, from the
//! Dockerfile and the context hashes (`docs/daytona-contract.md` §4.4). The engine, the
//! publisher and the local server all compute it here.

use sha2::{Digest, Sha256};

use crate::Context;

/// `buildInfo.contextHashes`: the hashes of `contexts`, in their order (builder order,
/// duplicates kept, as the SDK sends them). The list [`build_key`] is computed from.
///
/// ```
/// use daytona_contract::{Context, ContextKind, context_hashes};
/// let contexts = [
///     Context::new("/app/b.txt", "b.txt", ContextKind::File, "bbbb"),
///     Context::new("/app/a", "a", ContextKind::Dir, "aaaa"),
/// ];
/// assert_eq!(context_hashes(&contexts), ["bbbb", "aaaa"]);
/// ```
pub fn context_hashes(contexts: &[Context]) -> Vec<&str> {
    contexts.iter().map(|c| c.md5.as_ref()).collect()
}

/// The key Daytona's server builds a definition under (`buildInfo.snapshotRef`):
/// `daytona-` + hex SHA-256 of the Dockerfile followed by the sorted context hashes,
/// + `:daytona` (`docs/daytona-contract.md` §4.4). Identical definitions share one build.
///
/// ```
/// // docs/daytona-contract.md §2.5 Ex1
/// let key = daytona_contract::build_key(
///     "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y git curl jq\n\
///      RUN python -m pip install anthropic==0.30.0 openai==1.0.0\nCOPY [\"ctx/file.txt\", \"/app/file.txt\"]\n\
///      ENV FOO=bar\nENV MODEL=gpt-4o\nWORKDIR /app\n",
///     &["0062767e43a7b98b63a594b2504ce32c"],
/// );
/// assert_eq!(key, "daytona-6b075a558015c23c194f932763d9620e0af91bbdc96d0cd1007cb5164df2baef:daytona");
/// ```
pub fn build_key<S: AsRef<str>>(dockerfile: &str, context_hashes: &[S]) -> String {
    let mut hashes: Vec<&str> = context_hashes.iter().map(AsRef::as_ref).collect();
    hashes.sort_unstable();
    let mut sha = Sha256::new();
    sha.update(dockerfile.as_bytes());
    for h in hashes {
        sha.update(h.as_bytes());
    }
    let digest = sha.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("daytona-{hex}:daytona")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_key_sorts_hashes() {
        assert_eq!(build_key("FROM x\n", &["b", "a"]), build_key("FROM x\n", &["a", "b"]));
        assert_ne!(build_key("FROM x\n", &["a"]), build_key("FROM y\n", &["a"]));
    }
}

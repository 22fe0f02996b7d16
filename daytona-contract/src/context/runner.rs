//! The build context Daytona's runner builds from (`docs/daytona-contract.md` §3.4): the
//! Dockerfile at the root, then the members of every context tar except directories, in
//! context order. A local `docker build` of this context sees what the runner sees.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::{Context, write_tar_with_progress};

/// Writes the runner's build context as an uncompressed tar: `Dockerfile` (mode 0644)
/// then, for each context, its context tar's files (directories are dropped, as the
/// runner drops them). Each context is spooled through a temporary file, so memory does
/// not grow with the context size.
///
/// ```
/// use daytona_contract::{Context, ContextKind};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("app")).unwrap();
/// std::fs::write(dir.path().join("app/run.sh"), "echo hi\n").unwrap();
/// let app = Context::new(dir.path().join("app").display().to_string(), "app", ContextKind::Dir, "");
/// let mut tar = Vec::new();
/// daytona_contract::context::write_runner_context(
///     "FROM alpine:3.19\nCOPY [\"app\", \"/app\"]\n",
///     &[app],
///     &mut tar,
/// ).unwrap();
/// let names: Vec<String> = tar::Archive::new(&tar[..]).entries().unwrap()
///     .map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
/// assert_eq!(names, ["Dockerfile", "app/run.sh"]);
/// ```
pub fn write_runner_context<W: Write>(dockerfile: &str, contexts: &[Context], out: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(super::TAR_MTIME);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())?;
    for context in contexts {
        let mut spool = tempfile::tempfile()?;
        let exclude = context.exclusion().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        write_tar_with_progress(
            context.source_path(),
            &context.archive_path,
            &exclude,
            &mut spool,
            &mut |_| {},
        )?;
        spool.seek(SeekFrom::Start(0))?;
        let mut archive_reader = tar::Archive::new(&mut spool);
        for entry in archive_reader.entries()? {
            let entry = entry?;
            if entry.header().entry_type().is_dir() {
                continue;
            }
            let mut header = entry.header().clone();
            let path = entry.path()?.into_owned();
            builder.append_data(&mut header, path, entry.take(u64::MAX))?;
        }
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_keep_their_modes_and_directories_are_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = dir.path().join("ctx");
        std::fs::create_dir_all(ctx.join("sub")).expect("mkdir");
        std::fs::write(ctx.join("sub/run.sh"), "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(ctx.join("sub/run.sh"), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        std::fs::write(dir.path().join("f.txt"), "f").expect("write");
        let source = |path: &std::path::Path| path.display().to_string();
        let contexts = [
            Context::new(source(&ctx), "ctx", crate::ContextKind::Dir, ""),
            Context::new(source(&dir.path().join("f.txt")), "f.txt", crate::ContextKind::File, ""),
        ];
        let tar = write_runner_context("FROM x:1\n", &contexts, Vec::new()).expect("tar");
        let mut archive = tar::Archive::new(&tar[..]);
        let entries: Vec<(String, u32)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (e.path().expect("path").display().to_string(), e.header().mode().expect("mode"))
            })
            .collect();
        assert_eq!(entries[0], ("Dockerfile".to_owned(), 0o644));
        assert!(entries.iter().any(|(p, m)| p == "ctx/sub/run.sh" && m & 0o111 != 0), "{entries:?}");
        assert!(entries.iter().any(|(p, _)| p == "f.txt"));
        assert!(entries.iter().all(|(p, _)| !p.ends_with('/')), "{entries:?}");
    }
}

//! What the command line does with trace files: `kelp trace show` and `kelp trace replay`,
//! `kelp check` writing its counterexamples, and `kelp matrix` writing them (`--out`) or holding
//! them against the committed ones (`--traces`). Exit codes: 0 fine, 1 a trace that no longer
//! replays, 2 a file that cannot be read or is not a valid trace file.

use crate::cli::TraceCommand;
use crate::matrix::Row;
use crate::replay;
use crate::run::RunReport;
use crate::scenario::Scenario;
use crate::trace_file::json::TraceFileError;
use crate::trace_file::markdown::{self, Options};
use crate::trace_file::{committed, json, write};
use kelp_impl::commands::{write_out, COULD_NOT, FOUND_A_FAILURE};
use std::path::Path;
use std::process::ExitCode;

pub fn run(command: &TraceCommand) -> ExitCode {
    let outcome = match command {
        TraceCommand::Show { file, full } => json::read(file).and_then(|t| {
            json::complete(&t)
                .map_err(|message| TraceFileError::Invalid { path: file.display().to_string(), message })?;
            Ok(Ok(markdown::render(&t, Options { diagram: false, full: *full })))
        }),
        TraceCommand::Replay { file } => json::read(file).map(|t| replay::replay(&t).map(|r| replay::summary(&r))),
    };
    match outcome {
        Ok(Ok(text)) => written(write_out(&format!("{}\n", text.trim_end())), ExitCode::SUCCESS),
        Ok(Err(why)) => written(write_out(&format!("invalid: {why}\n")), ExitCode::from(FOUND_A_FAILURE)),
        Err(e) => could_not(e),
    }
}

/// Refuses, before any search, a directory that counterexamples could not be written under (found
/// after the search, that error came after minutes of work): the nearest part of `root` that
/// exists must be a directory this process may write in. Creates nothing.
pub fn writable(root: &Path) -> Result<(), String> {
    // A relative path's ancestors end in "", which is the current directory.
    let existing = root.ancestors().find(|a| a.exists()).unwrap_or(Path::new("."));
    let metadata = std::fs::metadata(existing).map_err(|e| format!("cannot write under {}: {e}", root.display()))?;
    if !metadata.is_dir() {
        return Err(format!("cannot write under {}: {} is not a directory", root.display(), existing.display()));
    }
    if !may_write_in(existing) {
        return Err(format!("cannot write under {}: {} is read-only", root.display(), existing.display()));
    }
    Ok(())
}

/// Whether this process may create files in the directory `dir`, as the kernel judges it
/// (`access(2)`: its users and groups, root's rights, a read-only mount), not only by the mode bits.
fn may_write_in(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: a NUL-terminated path that lives across the call; access only reads it.
    unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// `kelp matrix --traces DIR`: the committed traces must be there before the matrix runs (a
/// mistyped DIR would fail every scenario with a counterexample, after the whole run).
pub fn committed_dir(root: &Path) -> Result<(), String> {
    if root.is_dir() {
        Ok(())
    } else {
        Err(format!("--traces {}: no such directory (`kelp matrix --out DIR` writes one)", root.display()))
    }
}

/// `code`, once the output is `written`; exit 2 if it could not be.
fn written(written: Result<(), String>, code: ExitCode) -> ExitCode {
    written.map_or_else(could_not, |()| code)
}

fn could_not(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(COULD_NOT)
}

/// `kelp check`: writes every counterexample under `root` and, unless `quiet`, says where on stderr.
pub fn write_check(root: &Path, scenario: &Scenario, report: &RunReport, quiet: bool) -> Result<(), String> {
    for dir in write::write_counterexamples(root, scenario, report).map_err(|e| e.to_string())? {
        if !quiet {
            eprintln!("counterexample written to {}/ (trace.md, trace.json, trace.svg)", dir.display());
        }
    }
    Ok(())
}

/// `kelp matrix`: with `out`, writes every row's counterexamples there; with `traces`, records in
/// each row how its counterexamples differ from the ones committed there.
pub fn matrix(rows: &mut [Row], traces: Option<&Path>, out: Option<&Path>, quiet: bool) -> Result<(), String> {
    for row in rows {
        if let Some(root) = out {
            write_check(root, &row.scenario, &row.report, quiet)?;
        }
        if let Some(root) = traces {
            row.trace_problems = committed::compare(root, &row.scenario, &row.report);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_to_be_made_under_a_writable_one_passes_and_one_under_a_file_does_not() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(writable(&temp.path().join("out").join("acks-1")), Ok(()));
        let file = temp.path().join("acks-1");
        std::fs::write(&file, "").unwrap();
        let why = writable(&file.join("no-acked-loss")).unwrap_err();
        assert!(why.ends_with(&format!("{} is not a directory", file.display())), "{why}");
        assert!(!temp.path().join("out").exists(), "nothing is made");
    }
}

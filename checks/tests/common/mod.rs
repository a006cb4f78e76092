//! What the integration tests share: running the `kelp` binary, and the fault budget of the small
//! configurations they check. Each test file uses a part of it.
#![allow(dead_code)]

use kelp_model::config::FaultBudget;
use std::path::Path;
use std::process::Command;

/// Runs `kelp` in `dir`: exit code, stdout, stderr.
pub fn kelp_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kelp")).current_dir(dir).args(args).output().expect("kelp runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Runs `kelp` in `dir` with `stdout` as its standard output: exit code and stderr.
pub fn kelp_writing_to(dir: &Path, args: &[&str], stdout: std::process::Stdio) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kelp")).current_dir(dir).args(args).stdout(stdout).output();
    let out = out.expect("kelp runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into())
}

/// A pipe whose reader is gone, as under `| head` once `head` has what it wanted.
pub fn closed_pipe() -> std::process::Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    writer.into()
}

/// `/dev/full`: every write fails, as on a full disk.
pub fn full_disk() -> std::process::Stdio {
    std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full").into()
}

/// Runs `kelp` in the `checks/` package directory.
pub fn kelp(args: &[&str]) -> (i32, String, String) {
    kelp_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Only process crashes, leader epochs up to 2: the budget of the small pinned configurations.
pub fn crashes_only(crashes: u8) -> FaultBudget {
    FaultBudget { crashes, leader_epochs: 2, ..FaultBudget::none() }
}

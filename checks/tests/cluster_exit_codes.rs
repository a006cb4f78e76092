//! The reference cluster's commands exit as the checker's do: 1 when they did their work and found
//! a failure, 2 when they could not do it, with one `error: ...` line either way. No process of
//! the cluster is started here: a directory with no cluster, and one whose cluster is down.

mod common;

use common::{closed_pipe, full_disk, kelp_in, kelp_writing_to};
use kelp_impl::cluster_file::ClusterFile;
use kelp_impl::storage;
use kelp_model::config::Config;
use std::fs;
use std::path::Path;

fn kelp_with_dir(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    let args: Vec<&str> = args.iter().copied().chain(["--dir", dir]).collect();
    kelp_in(Path::new("."), &args)
}

#[test]
fn a_command_that_finds_no_cluster_exits_2_with_one_error_line() {
    let empty = tempfile::tempdir().expect("a temporary directory");
    for args in [
        &["cluster", "status"][..],
        &["cluster", "check-logs"],
        &["cluster", "logs"],
        &["cluster", "kill", "1"],
        &["topics", "--describe"],
        &["consume", "--timeout-ms", "100"],
        &["produce"],
        &["leader-election", "--election-type", "preferred", "--all-topic-partitions"],
        &["demote-broker", "--broker", "1"],
    ] {
        let (code, out, err) = kelp_with_dir(empty.path(), args);
        assert_eq!(code, 2, "kelp {args:?}: {err}");
        assert_eq!(out, "", "kelp {args:?}");
        assert!(err.starts_with("error: ") && err.lines().count() == 1, "kelp {args:?}: {err}");
    }
}

#[test]
fn check_logs_exits_1_on_a_damaged_log_and_a_node_not_in_the_cluster_exits_2() {
    let config = Config { brokers: 2, partitions: 1, replication_factor: 2, ..Config::default() };
    let dir = tempfile::tempdir().expect("a temporary directory");
    ClusterFile::on_free_ports(config).expect("free ports").write(dir.path()).expect("the cluster file");
    let (code, out, err) = kelp_with_dir(dir.path(), &["cluster", "check-logs"]);
    assert_eq!((code, err.as_str()), (0, ""), "no broker ever ran: nothing to disagree: {out}");

    let partition = storage::partition_dir(&dir.path().join("data").join("broker-1"), 0);
    fs::create_dir_all(&partition).expect("the partition directory");
    fs::write(partition.join(storage::LOG_FILE), [0xAB; 40]).expect("a log of junk");
    let (code, _, err) = kelp_with_dir(dir.path(), &["cluster", "check-logs"]);
    assert_eq!(code, 1, "the damage is what check-logs looks for: {err}");
    assert!(err.starts_with("error: broker 1's log is damaged: "), "{err}");

    let status = ["cluster", "status", "--dir", dir.path().to_str().unwrap()];
    assert_eq!(kelp_writing_to(Path::new("."), &status, closed_pipe()), (0, String::new()), "| head");
    let (code, err) = kelp_writing_to(Path::new("."), &status, full_disk());
    assert!(code == 2 && err.starts_with("error: writing standard output: No space left"), "{err}");

    let (code, _, err) = kelp_with_dir(dir.path(), &["cluster", "kill", "9"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err, "error: node 9 is not in this cluster (its nodes are 0 to 2: `kelp cluster status` names them)\n");
    let (code, _, err) = kelp_with_dir(dir.path(), &["cluster", "logs", "--node", "9"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: node 9 is not in this cluster (its nodes are 0 to 2: `kelp cluster status` names them)\n")
    );
    let (code, _, err) = kelp_with_dir(dir.path(), &["cluster", "logs"]);
    let logs = dir.path().join("logs");
    assert_eq!(code, 2, "no node ever ran: {err}");
    assert_eq!(
        err,
        format!("error: no node has logged in {} yet (`kelp cluster up` starts the cluster)\n", logs.display())
    );
    fs::create_dir_all(&logs).expect("the logs directory");
    let line = "2026-12-08T02:31:46.331168Z  INFO node{name=controller}: broker 1 session expired\n";
    fs::write(logs.join("controller.log"), line.repeat(2_000)).expect("a log");
    let merged = ["cluster", "logs", "--dir", dir.path().to_str().unwrap()];
    assert_eq!(kelp_writing_to(Path::new("."), &merged, closed_pipe()), (0, String::new()), "| head");
    // Following, it ends as soon as the reader is gone, with no signal.
    let mut following = std::process::Command::new(env!("CARGO_BIN_EXE_kelp"))
        .args(merged)
        .arg("--follow")
        .stdout(closed_pipe())
        .spawn()
        .expect("kelp runs");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = following.try_wait().expect("a status") {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(10) {
            following.kill().expect("killed");
            panic!("`kelp cluster logs --follow | head` still runs after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let (code, err) = kelp_writing_to(Path::new("."), &merged, full_disk());
    assert!(code == 2 && err.starts_with("error: writing standard output: No space left"), "{err}");
    fs::remove_dir_all(&logs).expect("the logs gone");

    // Refused from the cluster file, before anything is sent: no cluster runs here.
    let (code, _, err) =
        kelp_with_dir(dir.path(), &["leader-election", "--election-type", "preferred", "--partition", "5"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err, "error: no partition t-5 in this cluster (partitions 0 to 0)\n");
    let (code, _, err) = kelp_with_dir(dir.path(), &["demote-broker", "--broker", "3"]);
    assert_eq!((code, err.as_str()), (2, "error: no broker 3 in this cluster (brokers 1 to 2)\n"));
}

#[test]
fn a_power_loss_of_a_node_that_is_not_a_broker_is_refused_before_anything_is_killed() {
    let config = Config { brokers: 2, partitions: 1, replication_factor: 2, controllers: 2, ..Config::default() };
    let dir = tempfile::tempdir().expect("a temporary directory");
    ClusterFile::on_free_ports(config).expect("free ports").write(dir.path()).expect("the cluster file");
    // The candidates and ZooKeeper come after the brokers and the one producer's actor id.
    for (node, name) in [("0", "controller"), ("4", "controller-2"), ("5", "zookeeper")] {
        let (code, out, err) = kelp_with_dir(dir.path(), &["cluster", "power-loss", node]);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert_eq!(err, format!("error: power loss is a broker's: node {node} is {name}\n"));
    }
}

#[test]
fn up_refuses_settings_that_differ_from_the_clusters_own_and_a_dir_that_is_a_file() {
    let config = Config { brokers: 2, partitions: 1, replication_factor: 2, ..Config::default() };
    let dir = tempfile::tempdir().expect("a temporary directory");
    ClusterFile::on_free_ports(config).expect("free ports").write(dir.path()).expect("the cluster file");
    let (code, out, err) = kelp_with_dir(dir.path(), &["cluster", "up", "--brokers", "3", "--flush", "always"]);
    assert_eq!((code, out.as_str()), (2, ""), "nothing started: {err}");
    let dir_name = dir.path().display();
    assert_eq!(
        err,
        format!(
            "error: {dir_name} holds a cluster set up otherwise: --brokers 3 (it has 2), --flush always (it has \
             never). `kelp cluster up` starts it again as it was set up: drop those flags, or give another --dir\n"
        )
    );

    let file = dir.path().join("a-file");
    fs::write(&file, "").expect("a file");
    let (code, _, err) = kelp_with_dir(&file, &["cluster", "up"]);
    assert_eq!((code, err), (2, format!("error: {} is not a directory\n", file.display())));
}

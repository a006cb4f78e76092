//! The reference cluster under leader kills, with real processes on 127.0.0.1: a 3-broker
//! cluster (min ISR 2, acks=all, idempotence) takes 1,000 records while its leader is killed with
//! SIGKILL and restarted 5 times (`KELP_LEADER_KILLS` to change the count). Afterwards every
//! acknowledged record is consumed exactly once and in order, and every broker's log agrees with
//! the others' below the high watermark. Prints records produced, acknowledged, lost and
//! duplicated, and the time from each kill to the next leader.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const RECORDS: usize = 1_000;

fn kelp(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kelp")).args(args).arg("--dir").arg(dir).output().expect("kelp runs");
    output
}

fn kelp_ok(dir: &Path, args: &[&str]) -> String {
    let output = kelp(dir, args);
    assert!(
        output.status.success(),
        "kelp {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Partition 0's leader from `kelp topics --describe`, if it has one.
fn leader(dir: &Path) -> Option<u32> {
    let output = kelp(dir, &["topics", "--describe"]);
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains("Partition: 0"))?;
    let field = line.split('\t').find_map(|f| f.strip_prefix("Leader: "))?;
    field.parse().ok()
}

/// Waits for a leader other than `old` (up to 60 s).
fn next_leader(dir: &Path, old: u32) -> (u32, Duration) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Some(new) = leader(dir).filter(|&l| l != old) {
            return (new, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no new leader within 60 s after broker {old} was killed");
}

/// Kills every process of the cluster when the test ends, passed or not.
struct Cluster<'a>(&'a Path);

impl Drop for Cluster<'_> {
    fn drop(&mut self) {
        let _ = kelp(self.0, &["cluster", "down"]);
        for node in 0..=3 {
            let _ = kelp(self.0, &["cluster", "kill", &node.to_string()]);
        }
    }
}

fn start_producer(dir: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kelp"))
        .args(["produce", "--acks", "all", "--idempotence", "true", "--request-timeout-ms", "1500", "--dir"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kelp produce starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: String = (0..RECORDS).map(|i| format!("record-{i:04}\n")).collect();
    stdin.write_all(lines.as_bytes()).expect("lines written");
    drop(stdin);
    child
}

#[test]
fn acknowledged_records_survive_leader_kills_exactly_once_and_in_order() {
    let kills: usize = std::env::var("KELP_LEADER_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    kelp_ok(&dir, &["cluster", "up", "--brokers", "3", "--min-insync-replicas", "2"]);
    let mut current = (0..100)
        .find_map(|_| {
            leader(&dir).or_else(|| {
                std::thread::sleep(Duration::from_millis(100));
                None
            })
        })
        .expect("a leader after start");

    let producer = start_producer(&dir);
    let mut failovers = Vec::new();
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(1_500));
        kelp_ok(&dir, &["cluster", "kill", &current.to_string()]);
        let (next, took) = next_leader(&dir, current);
        failovers.push(took);
        kelp_ok(&dir, &["cluster", "start", &current.to_string()]);
        current = next;
    }
    let produced = producer.wait_with_output().expect("kelp produce ends");
    let report = String::from_utf8_lossy(&produced.stdout);
    let acked: Vec<usize> = report
        .lines()
        .filter(|l| l.contains(" offset "))
        .map(|l| l.trim_start_matches("record ").split(':').next().unwrap().parse().unwrap())
        .collect();

    let consumed = kelp_ok(&dir, &["consume", "--from-beginning", "--timeout-ms", "3000"]);
    let consumed: Vec<&str> = consumed.lines().collect();
    let expected_values: Vec<String> = acked.iter().map(|i| format!("record-{i:04}")).collect();
    let lost: Vec<&String> = expected_values.iter().filter(|v| !consumed.contains(&v.as_str())).collect();
    let mut seen = std::collections::HashSet::new();
    let duplicated = consumed.iter().filter(|v| !seen.insert(**v)).count();
    let mut sorted = failovers.clone();
    sorted.sort();
    eprintln!(
        "records produced {RECORDS}, acknowledged {}, consumed {}, lost {}, duplicated {duplicated}; \
         {kills} leader kills, kill to new leader: median {:?}, max {:?}",
        acked.len(),
        consumed.len(),
        lost.len(),
        sorted.get(sorted.len() / 2),
        sorted.last()
    );
    assert!(produced.status.success(), "kelp produce failed:\n{report}\n{}", String::from_utf8_lossy(&produced.stderr));
    assert_eq!(acked.len(), RECORDS, "every record acknowledged (the producer retries through each failover)");
    assert!(lost.is_empty(), "acknowledged records lost: {lost:?}");
    assert_eq!(duplicated, 0, "records consumed twice");
    let in_order: Vec<&str> = consumed.iter().copied().filter(|v| expected_values.iter().any(|e| e == v)).collect();
    assert_eq!(
        in_order,
        expected_values.iter().map(String::as_str).collect::<Vec<_>>(),
        "consumed in the order produced"
    );

    // Every replica's log agrees below the HW: `kelp cluster check-logs` reads the data
    // directories after a clean stop.
    kelp_ok(&dir, &["cluster", "down"]);
    let agreement = kelp_ok(&dir, &["cluster", "check-logs"]);
    assert!(agreement.contains("agree"), "{agreement}");
}

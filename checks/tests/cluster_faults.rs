//! The reference cluster under faults, with real processes on 127.0.0.1 (at most 6 per test, each
//! test bounded by its waits):
//! - a 3-broker cluster (min ISR 2, acks=all, idempotence) takes 1,000 records while its leader
//!   is killed with SIGKILL and restarted 5 times (`KELP_LEADER_KILLS` to change the count);
//! - the same with power losses (the unflushed tail of each log cut) and KIP-966's eligible leader
//!   replicas on;
//! - hostile datagrams reach every process; each is logged and dropped, and the cluster goes on;
//! - a broker paused (SIGSTOP, a long GC pause) past its session is fenced out of the ISR and,
//!   resumed, rejoins it although no record is written (`replica.fetch.wait.max.ms`);
//! - a broker that lost the records of a leader change (paused, its receive buffer full) learns
//!   them from its fetches of the metadata log and rejoins the ISR;
//! - a broker that restarted while the controller was down sends its registration again and is
//!   registered once the controller is back;
//! - a controller killed and started again recovers its metadata: the leader stays, and the next
//!   election is in a new leader epoch;
//! - leadership moves on request: `kelp demote-broker` and `kelp leader-election --election-type
//!   preferred`, refused while the preferred replica is down;
//! - with two controller candidates and ZooKeeper (6 processes), `kelp cluster kill-controller`
//!   moves the controller to the other candidate in controller epoch 2, which goes on electing;
//!   the candidate killed comes back as a standby and takes over in epoch 3 when the other dies;
//!   a ZooKeeper killed and started again carries on from its data; and a controller whose write
//!   to ZooKeeper is lost (ZooKeeper paused, its receive buffer full) is refused its next write
//!   (out of order) and loses `/controller`: no describe shows the lost change, and the next
//!   controller starts from what committed;
//! - a broker that exits as it starts (its port taken) fails `kelp cluster up` at once.
//!
//! After the faults every acknowledged record is consumed exactly once and in order, and every
//! broker's log agrees with the others' below the high watermark. Prints records produced,
//! acknowledged, lost and duplicated, and the time from each fault to the next leader.

use kelp_impl::cluster_file::ClusterFile;
use kelp_impl::hostile;
use std::io::Write;
use std::net::{Ipv4Addr, UdpSocket};
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

/// A field of partition 0's line in `kelp topics --describe` (`Leader`, `Replicas`, `Isr`).
fn partition_field(dir: &Path, name: &str) -> Option<String> {
    let output = kelp(dir, &["topics", "--describe"]);
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains("Partition: 0"))?;
    let prefix = format!("{name}: ");
    line.split('\t').find_map(|f| f.strip_prefix(prefix.as_str())).map(str::to_string)
}

/// Partition 0's leader from `kelp topics --describe`, if it has one.
fn leader(dir: &Path) -> Option<u32> {
    partition_field(dir, "Leader")?.parse().ok()
}

/// Waits (up to 60 s) until partition 0's `name` field reads `want`.
fn wait_for_field(dir: &Path, name: &str, want: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if partition_field(dir, name).as_deref() == Some(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("partition 0's {name} is {:?}, not {want}, after 60 s", partition_field(dir, name));
}

/// Waits for partition 0's first leader (up to 10 s).
fn first_leader(dir: &Path) -> u32 {
    (0..100)
        .find_map(|_| {
            leader(dir).or_else(|| {
                std::thread::sleep(Duration::from_millis(100));
                None
            })
        })
        .expect("a leader after start")
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
        for node in 0..=5 {
            let _ = kelp(self.0, &["cluster", "kill", &node.to_string()]);
        }
    }
}

fn start_producer(dir: &Path, records: usize) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kelp"))
        .args(["produce", "--acks", "all", "--idempotence", "true", "--request-timeout-ms", "1500", "--dir"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kelp produce starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: String = (0..records).map(|i| format!("record-{i:04}\n")).collect();
    stdin.write_all(lines.as_bytes()).expect("lines written");
    drop(stdin);
    child
}

/// What was acknowledged (by record number) and what a consumer reads from the beginning.
struct Outcome {
    acked: Vec<usize>,
    consumed: Vec<String>,
}

impl Outcome {
    /// Waits for `kelp produce` and reads the whole partition back.
    fn collect(dir: &Path, producer: Child) -> Outcome {
        let produced = producer.wait_with_output().expect("kelp produce ends");
        let report = String::from_utf8_lossy(&produced.stdout);
        assert!(
            produced.status.success(),
            "kelp produce failed:\n{report}\n{}",
            String::from_utf8_lossy(&produced.stderr)
        );
        let acked = report
            .lines()
            .filter(|l| l.contains(" offset "))
            .map(|l| l.trim_start_matches("record ").split(':').next().unwrap().parse().unwrap())
            .collect();
        let consumed = kelp_ok(dir, &["consume", "--from-beginning", "--timeout-ms", "3000"]);
        let first = kelp_ok(dir, &["consume", "--from-beginning", "--max-messages", "2", "--timeout-ms", "3000"]);
        assert_eq!(first.lines().collect::<Vec<_>>(), consumed.lines().take(2).collect::<Vec<_>>());
        let none = kelp_ok(dir, &["consume", "--from-beginning", "--max-messages", "0", "--timeout-ms", "3000"]);
        assert_eq!(none, "", "--max-messages 0 consumes nothing, as Kafka's console consumer");
        Outcome { acked, consumed: consumed.lines().map(str::to_string).collect() }
    }

    /// Checks that every acknowledged record is consumed exactly once and in the order produced;
    /// returns (lost, duplicated) for the report.
    fn check_exactly_once_in_order(&self) -> (usize, usize) {
        let expected: Vec<String> = self.acked.iter().map(|i| format!("record-{i:04}")).collect();
        let lost: Vec<&String> = expected.iter().filter(|v| !self.consumed.contains(v)).collect();
        let mut seen = std::collections::HashSet::new();
        let duplicated: Vec<&String> = self.consumed.iter().filter(|v| !seen.insert(*v)).collect();
        assert!(lost.is_empty(), "acknowledged records lost: {lost:?}");
        assert!(duplicated.is_empty(), "records consumed twice: {duplicated:?}");
        let in_order: Vec<&String> = self.consumed.iter().filter(|v| expected.contains(v)).collect();
        assert_eq!(in_order, expected.iter().collect::<Vec<_>>(), "consumed in the order produced");
        (lost.len(), duplicated.len())
    }
}

/// Starts a 3-broker cluster (min ISR 2, plus `up_options`), produces 1,000 records and, while
/// they are produced, hits the leader with `fault` (`kill` or `power-loss`) and starts it again,
/// `KELP_LEADER_KILLS` times (default 5). Then checks the outcome and the logs' agreement.
fn survives_leader_faults(fault: &str, up_options: &[&str]) {
    let faults: usize = std::env::var("KELP_LEADER_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    let up = [&["cluster", "up", "--brokers", "3", "--min-insync-replicas", "2"], up_options].concat();
    kelp_ok(&dir, &up);
    let mut current = first_leader(&dir);

    let producer = start_producer(&dir, RECORDS);
    let mut failovers = Vec::new();
    for _ in 0..faults {
        std::thread::sleep(Duration::from_millis(1_500));
        kelp_ok(&dir, &["cluster", fault, &current.to_string()]);
        let (next, took) = next_leader(&dir, current);
        failovers.push(took);
        kelp_ok(&dir, &["cluster", "start", &current.to_string()]);
        current = next;
    }
    let outcome = Outcome::collect(&dir, producer);
    let (lost, duplicated) = outcome.check_exactly_once_in_order();
    failovers.sort();
    eprintln!(
        "records produced {RECORDS}, acknowledged {}, consumed {}, lost {lost}, duplicated {duplicated}; \
         {faults} leader faults ({fault}), fault to new leader: median {:?}, max {:?}",
        outcome.acked.len(),
        outcome.consumed.len(),
        failovers.get(failovers.len() / 2),
        failovers.last()
    );
    assert_eq!(outcome.acked.len(), RECORDS, "every record acknowledged (the producer retries through each failover)");

    // Every replica's log agrees below the HW: `kelp cluster check-logs` reads the data
    // directories after a clean stop.
    kelp_ok(&dir, &["cluster", "down"]);
    let agreement = kelp_ok(&dir, &["cluster", "check-logs"]);
    assert!(agreement.contains("agree"), "{agreement}");
}

#[test]
fn acknowledged_records_survive_leader_kills_exactly_once_and_in_order() {
    survives_leader_faults("kill", &[]);
}

#[test]
fn acknowledged_records_survive_leader_power_losses_with_eligible_leader_replicas() {
    survives_leader_faults("power-loss", &["--eligible-leader-replicas", "true"]);
}

#[test]
fn every_process_logs_and_drops_hostile_datagrams_and_goes_on() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    kelp_ok(&dir, &["cluster", "up", "--brokers", "3", "--min-insync-replicas", "2"]);
    first_leader(&dir);
    let cluster = ClusterFile::load(&dir).expect("the cluster file");
    let raw = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("a socket");
    for node in &cluster.nodes {
        for (what, datagram) in hostile::datagrams(&cluster, node.id) {
            raw.send_to(&datagram, node.address).unwrap_or_else(|e| panic!("{what} to node {}: {e}", node.id));
        }
    }

    let outcome = Outcome::collect(&dir, start_producer(&dir, 20));
    outcome.check_exactly_once_in_order();
    assert_eq!(outcome.acked.len(), 20, "the cluster takes writes after the garbage");
    let status = kelp_ok(&dir, &["cluster", "status"]);
    assert_eq!(status.matches("\trunning\t").count(), cluster.nodes.len(), "no process died:\n{status}");
    for node in &cluster.nodes {
        let name = if node.id == 0 { "controller".to_string() } else { format!("broker-{}", node.id) };
        let log = std::fs::read_to_string(dir.join("logs").join(format!("{name}.log"))).expect("the node's log");
        assert!(log.matches("dropped").count() >= 8, "{name} logs each datagram it drops:\n{log}");
    }
}

/// Starts 3 brokers with min ISR 2 and waits until the preferred replica, broker 1, leads an ISR
/// of all three.
fn up_in_sync(dir: &Path) {
    up_in_sync_with(dir, &[]);
}

/// `up_in_sync` with more flags for `kelp cluster up` (`--controllers 2`).
fn up_in_sync_with(dir: &Path, flags: &[&str]) {
    let args = [&["cluster", "up", "--brokers", "3", "--min-insync-replicas", "2"], flags].concat();
    kelp_ok(dir, &args);
    assert_eq!(first_leader(dir), 1, "the preferred replica leads first");
    wait_for_field(dir, "Isr", "1,2,3");
}

#[test]
fn demotion_and_preferred_elections_move_leadership_within_the_isr() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync(&dir);

    // Demote broker 1: last in the replica list, then a preferred election moves leadership.
    let out = kelp_ok(&dir, &["demote-broker", "--broker", "1"]);
    assert_eq!(
        out,
        "Reordered the replicas of t-0: 2,3,1\nSuccessfully completed leader election (PREFERRED) for partitions t-0\n"
    );
    wait_for_field(&dir, "Leader", "2");
    assert_eq!(partition_field(&dir, "Replicas").as_deref(), Some("2,3,1"));
    let out = kelp_ok(&dir, &["demote-broker", "--broker", "1"]);
    assert_eq!(out, "Broker 1 is already last in every replica list\n");
    let out = kelp_ok(&dir, &["leader-election", "--election-type", "preferred", "--partition", "0"]);
    assert_eq!(out, "Valid replica already elected for partitions t-0\n");

    // The preferred replica (now 2) dies: another leads, and a preferred election is refused.
    kelp_ok(&dir, &["cluster", "kill", "2"]);
    next_leader(&dir, 2);
    let refused = kelp(&dir, &["leader-election", "--election-type", "preferred", "--partition", "0"]);
    assert_eq!(refused.status.code(), Some(1), "the election ran and failed");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("PREFERRED_LEADER_NOT_AVAILABLE"));

    // Back and in sync, it gets leadership back on request.
    kelp_ok(&dir, &["cluster", "start", "2"]);
    wait_for_field(&dir, "Isr", "1,2,3");
    let out = kelp_ok(&dir, &["leader-election", "--election-type", "preferred", "--all-topic-partitions"]);
    assert_eq!(out, "Successfully completed leader election (PREFERRED) for partitions t-0\n");
    wait_for_field(&dir, "Leader", "2");
    let out = kelp(&dir, &["demote-broker", "--broker", "7"]);
    assert_eq!(out.status.code(), Some(2), "bad input: the command could not do its work");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "error: no broker 7 in this cluster (brokers 1 to 3)\n");
}

/// Sends `signal` (`STOP`, `CONT`) to broker `id`'s process, as `kelp cluster status` lists it.
fn signal_broker(dir: &Path, id: u32, signal: &str) {
    signal_node(dir, &format!("broker-{id}"), signal);
}

/// Sends `signal` to the process of node `name` (`broker-2`, `zookeeper`).
fn signal_node(dir: &Path, name: &str, signal: &str) {
    let status = kelp_ok(dir, &["cluster", "status"]);
    let line = status.lines().find(|l| l.split('\t').next() == Some(name)).expect("the node is listed");
    let pid = line.split('\t').find_map(|f| f.strip_prefix("pid ")).expect("a pid");
    let sent = Command::new("kill").arg(format!("-{signal}")).arg(pid).status().expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid}");
}

/// Fills the receive buffer of node `id`'s socket with junk (the node paused), so that whatever is
/// sent to it next is lost, as on a host whose receive buffer overflows.
fn fill_receive_buffer(dir: &Path, id: u32) {
    let cluster = ClusterFile::load(dir).expect("the cluster file");
    let address = cluster.node(id).expect("the node").address;
    let raw = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("a socket");
    // Large datagrams take most of the buffer, small ones the rest.
    for size in std::iter::repeat_n(60_000, 20).chain(std::iter::repeat_n(1, 2_000)) {
        raw.send_to(&vec![0u8; size], address).expect("junk sent");
    }
}

/// Waits (up to 60 s) until node `name`'s log holds `text`; returns the log.
fn wait_for_log(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join("logs").join(format!("{name}.log"));
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        if log.contains(text) {
            return log;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{name}.log lacks {text:?} after 60 s:\n{log}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_broker_paused_past_its_session_rejoins_the_isr_of_an_idle_partition() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync(&dir);

    // Frozen, broker 2 stops heartbeating: its session expires and the controller fences it. Its
    // fetch stays held by the leader, with nothing new to answer it with.
    signal_broker(&dir, 2, "STOP");
    wait_for_field(&dir, "Isr", "1,3");
    // Resumed, it heartbeats and is unfenced; the leader's held fetch is answered after the fetch
    // wait, broker 2 fetches again, and the leader proposes it for the ISR.
    resume_and_wait_for_isr(&dir, 2, "1,2,3");
}

/// Resumes paused broker `id` and waits until partition 0's ISR reads `isr`; prints how long.
fn resume_and_wait_for_isr(dir: &Path, id: u32, isr: &str) {
    signal_broker(dir, id, "CONT");
    let start = Instant::now();
    wait_for_field(dir, "Isr", isr);
    println!("broker {id} back in the ISR {:.1} s after it resumed", start.elapsed().as_secs_f64());
}

#[test]
fn a_broker_that_lost_a_leader_change_learns_it_from_the_metadata_log_and_rejoins_the_isr() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync(&dir);

    // Broker 3 is paused and its receive buffer filled: what is sent to it next is lost.
    signal_broker(&dir, 3, "STOP");
    fill_receive_buffer(&dir, 3);
    // The leader dies: broker 2 is elected, and broker 3 (its session expired too) leaves the
    // ISR. Both records are pushed to broker 3 and lost.
    kelp_ok(&dir, &["cluster", "kill", "1"]);
    wait_for_field(&dir, "Leader", "2");
    wait_for_field(&dir, "Isr", "2");
    // Resumed, broker 3 still believes broker 1 leads; its next fetch of the metadata log brings
    // the records it missed, it follows broker 2 and is proposed for the ISR.
    resume_and_wait_for_isr(&dir, 3, "2,3");
    let log = std::fs::read_to_string(dir.join("logs").join("broker-3.log")).expect("broker 3's log");
    assert!(log.contains("follower of broker 2"), "{log}");
}

#[test]
fn a_registration_sent_while_the_controller_is_down_is_sent_again_and_accepted() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync(&dir);
    // Records on every broker, so that broker 3 restarts from its disk (a broker that never wrote
    // starts as in the bootstrap metadata, registered already).
    let outcome = Outcome::collect(&dir, start_producer(&dir, 3));
    assert_eq!(outcome.acked.len(), 3);

    // With the controller down, broker 3 restarts: its registration goes to a closed port.
    kelp_ok(&dir, &["cluster", "kill", "0"]);
    kelp_ok(&dir, &["cluster", "kill", "3"]);
    kelp_ok(&dir, &["cluster", "start", "3"]);
    // The controller comes back (with the metadata it saved: the registrations of the bootstrap
    // image, as nothing changed them). Broker 3 sends its registration again after
    // `controller.socket.timeout.ms` and is registered as a new incarnation, in a new broker
    // epoch; it then rejoins the ISR.
    kelp_ok(&dir, &["cluster", "start", "0"]);
    let start = Instant::now();
    let log_path = dir.join("logs").join("broker-3.log");
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("registered in broker epoch 4") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "broker 3 did not register within 30 s:\n{log}");
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("broker 3 registered {:.1} s after the controller came back", start.elapsed().as_secs_f64());
    wait_for_field(&dir, "Isr", "1,2,3");
}

#[test]
fn a_restarted_controller_recovers_its_metadata_and_hands_out_no_leader_epoch_twice() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync(&dir);
    // Leadership moves to broker 2 in leader epoch 2: a change the controller saves first.
    kelp_ok(&dir, &["demote-broker", "--broker", "1"]);
    wait_for_field(&dir, "Leader", "2");

    // Killed and started again, the controller recovers its metadata (KRaft replays its metadata
    // log), not the bootstrap image: broker 2 still leads, with the replicas reordered.
    kelp_ok(&dir, &["cluster", "kill", "0"]);
    kelp_ok(&dir, &["cluster", "start", "0"]);
    assert_eq!(partition_field(&dir, "Replicas").as_deref(), Some("2,3,1"));
    assert_eq!(partition_field(&dir, "Leader").as_deref(), Some("2"));
    wait_for_log(&dir, "controller", "recovered the controller's metadata from");

    // Its next election is in leader epoch 3: epoch 2 is not handed out a second time.
    kelp_ok(&dir, &["demote-broker", "--broker", "2"]);
    wait_for_field(&dir, "Leader", "3");
    let log = wait_for_log(&dir, "controller", "Leader: 3\t");
    let line = log.lines().rfind(|l| l.contains("Leader: 3\t")).expect("found above");
    assert!(line.contains("LeaderEpoch: 3\t"), "{line}");
    // The nodes' merged logs tell the election in order: the controller's record, then broker 3
    // taking the leader epoch it was given.
    wait_for_log(&dir, "broker-3", "leader in leader epoch 3");
    let merged = kelp_ok(&dir, &["cluster", "logs", "--tail", "200"]);
    let record = merged.find("  controller  Topic: t\tPartition: 0\tLeader: 3").expect("the record in the merged logs");
    let taken = merged.find("  broker-3    partition 0: leader in leader epoch 3").expect("broker 3's line");
    assert!(record < taken, "{merged}");
    // The brokers' sessions carried on with the registrations it recovered: records are written.
    let outcome = Outcome::collect(&dir, start_producer(&dir, 3));
    assert_eq!(outcome.acked, vec![0, 1, 2]);
    outcome.check_exactly_once_in_order();
}

/// The controller `kelp topics --describe` names (with candidates).
fn controller(dir: &Path) -> Option<String> {
    let output = kelp(dir, &["topics", "--describe"]);
    String::from_utf8_lossy(&output.stdout).lines().find_map(|l| l.strip_prefix("Controller: ").map(str::to_string))
}

#[test]
fn killing_the_controller_moves_it_to_another_candidate_which_goes_on_electing() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    kelp_ok(&dir, &["cluster", "up", "--brokers", "3", "--controllers", "2"]);
    assert_eq!(first_leader(&dir), 1);
    assert_eq!(controller(&dir).as_deref(), Some("controller"));

    let out = kelp_ok(&dir, &["cluster", "kill-controller"]);
    assert!(out.starts_with("controller killed (pid "), "{out}");
    let start = Instant::now();
    while controller(&dir).as_deref() != Some("controller-2") {
        assert!(start.elapsed() < Duration::from_secs(60), "no failover within 60 s: {:?}", controller(&dir));
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("controller failover took {:.1} s", start.elapsed().as_secs_f64());

    // The new controller learns of a dead broker and elects.
    kelp_ok(&dir, &["cluster", "kill", "1"]);
    let (new, took) = next_leader(&dir, 1);
    assert_eq!(new, 2, "the next replica in the ISR");
    println!("leader election by controller-2 took {:.1} s", took.as_secs_f64());

    let log = std::fs::read_to_string(dir.join("logs").join("zookeeper.log")).expect("zookeeper's log");
    assert!(log.contains("session of controller expired: /controller deleted"), "{log}");
    assert!(log.contains("controller-2 created /controller: controller in controller epoch 2"), "{log}");
}

#[test]
fn a_restarted_candidate_comes_back_as_a_standby_and_takes_over_when_the_controller_dies() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync_with(&dir, &["--controllers", "2"]);
    kelp_ok(&dir, &["cluster", "kill-controller"]);
    wait_for_log(&dir, "zookeeper", "controller-2 created /controller: controller in controller epoch 2");

    // Candidate 1 (node 0) starts again from its mark: a standby that claims `/controller` (taken)
    // and watches it, not the formatted cluster's controller of epoch 1 (a zombie).
    kelp_ok(&dir, &["cluster", "start", "0"]);
    let standby = "a standby candidate, watching /controller";
    let log = wait_for_log(&dir, "controller", standby);
    let restarted = &log[log.rfind(standby).expect("found above")..];
    assert!(!restarted.contains("controller epoch 1"), "the restarted candidate acted in epoch 1:\n{restarted}");

    // Controller-2 dies: the restarted candidate's watch fires, it takes over in epoch 3 from what
    // ZooKeeper holds, and answers a describe.
    kelp_ok(&dir, &["cluster", "kill-controller"]);
    wait_for_log(&dir, "zookeeper", "controller created /controller: controller in controller epoch 3");
    wait_for_log(&dir, "controller", "active controller in controller epoch 3");
    let start = Instant::now();
    while controller(&dir).as_deref() != Some("controller") {
        assert!(start.elapsed() < Duration::from_secs(30), "no describe from the controller: {:?}", controller(&dir));
    }
    assert_eq!(partition_field(&dir, "Leader").as_deref(), Some("1"));
}

#[test]
fn a_restarted_zookeeper_carries_on_from_its_data_and_the_next_controller_reads_it() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync_with(&dir, &["--controllers", "2"]);
    // Leadership moves to broker 2: the controller commits it to ZooKeeper first.
    kelp_ok(&dir, &["demote-broker", "--broker", "1"]);
    wait_for_field(&dir, "Leader", "2");

    // ZooKeeper (node 5) is killed and started again: it recovers its data, `/controller` and
    // its owner's session with it. Then the controller dies: the other candidate takes over in
    // controller epoch 2 from what ZooKeeper kept, not from the formatted cluster's image.
    kelp_ok(&dir, &["cluster", "kill", "5"]);
    kelp_ok(&dir, &["cluster", "start", "5"]);
    wait_for_log(&dir, "zookeeper", "recovered ZooKeeper's data from");
    kelp_ok(&dir, &["cluster", "kill-controller"]);
    wait_for_log(&dir, "zookeeper", "controller-2 created /controller: controller in controller epoch 2");
    assert_eq!(partition_field(&dir, "Replicas").as_deref(), Some("2,3,1"));
    assert_eq!(partition_field(&dir, "Leader").as_deref(), Some("2"));
}

#[test]
fn a_controller_whose_write_is_lost_gives_up_controller_and_the_next_one_starts_from_what_committed() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    up_in_sync_with(&dir, &["--controllers", "2"]);

    // Broker 3 dies; its session expires at the controller 7 to 9 s later (9 s after its last
    // heartbeat), and the controller writes the fence and the ISR shrink to ZooKeeper. ZooKeeper
    // (node 5: brokers 1-3, then the other candidate, then ZooKeeper) is paused just before, its
    // receive buffer full, and resumed once the write is lost. The pause (at most about 3 s)
    // loses heartbeats too, the controller's to ZooKeeper and the brokers' to the controller:
    // both sessions (9 s) outlast it.
    kelp_ok(&dir, &["cluster", "kill", "3"]);
    std::thread::sleep(Duration::from_secs(6));
    signal_node(&dir, "zookeeper", "STOP");
    fill_receive_buffer(&dir, 5);
    wait_for_log(&dir, "controller", "broker 3 session expired");
    signal_node(&dir, "zookeeper", "CONT");

    // The controller's next write (behind its answer to a heartbeat, or to this describe) follows
    // the lost one: ZooKeeper refuses it and deletes `/controller` (a write unanswered for 5 s
    // would have the controller give `/controller` up itself). So the controller of epoch 1,
    // whose own state holds the fence and the shrink, never answers with them; a candidate takes
    // over in controller epoch 2 from what committed (broker 3 still in the ISR: the fence never
    // was, and its requests never left), answers the describe from that, and fences broker 3
    // itself when its session runs out.
    // The first answer (a describe asks for 5 s) comes from whoever acts by then.
    let start = Instant::now();
    let first = loop {
        if let Some(isr) = partition_field(&dir, "Isr") {
            break isr;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no controller answered a describe for 30 s");
    };
    assert_eq!(first, "1,2,3", "the lost shrink is never shown");
    wait_for_log(&dir, "zookeeper", "controller resigned: /controller deleted");
    let log = wait_for_log(&dir, "zookeeper", "created /controller: controller in controller epoch 2");
    let new = if log.contains("controller-2 created") { "controller-2" } else { "controller" };
    let start = Instant::now();
    wait_for_field(&dir, "Isr", "1,2");
    println!("{new} took over and shrank the ISR {:.1} s after the old one gave up", start.elapsed().as_secs_f64());
    let log = wait_for_log(&dir, new, "active controller in controller epoch 2");
    let taken_over = log.rfind("active controller in controller epoch 2").expect("found above");
    assert!(log[taken_over..].contains("broker 3 session expired"), "{new} fenced broker 3 itself:\n{log}");
}

#[test]
fn a_node_that_exits_as_it_starts_fails_its_start_and_down_says_what_it_stopped() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("cluster");
    let _cluster = Cluster(&dir);
    kelp_ok(&dir, &["cluster", "up", "--brokers", "1"]);
    let down = kelp_ok(&dir, &["cluster", "down"]);
    assert!(down.starts_with("broker-1 stopped (pid ") && down.contains("\ncontroller stopped (pid "), "{down}");
    assert!(!down.contains("before its controlled shutdown completed"), "the controller accepted it: {down}");

    // Another program holds broker 1's port: the broker exits as it starts, and `up` says so at
    // once, with the broker's own words (it used to print a pid and exit 0).
    let address = ClusterFile::load(&dir).expect("the cluster file").address_of(1).expect("broker 1's address");
    let squatter = UdpSocket::bind(address).expect("the port is free while the cluster is down");
    let started = Instant::now();
    let output = kelp(&dir, &["cluster", "up"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: broker-1 exited as it started: ") && err.contains("Address already in use"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "told at once, not after a wait: {:?}", started.elapsed());
    drop(squatter);
    let started = kelp_ok(&dir, &["cluster", "start", "1"]);
    assert!(started.starts_with("broker-1\tpid "), "{started}");
    kelp_ok(&dir, &["cluster", "down"]);
    let again = kelp_ok(&dir, &["cluster", "down"]);
    assert_eq!(again, format!("no process of the cluster in {} was running\n", dir.display()));
}

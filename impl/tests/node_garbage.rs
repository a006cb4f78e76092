//! A 1-controller/1-broker cluster on loopback, both nodes run as threads (`node::run`): garbage
//! datagrams of every kind reach both, and both keep running and answering. The controller's
//! answer is seen through the broker's controlled shutdown, which only the controller can accept;
//! the broker's through produce requests before and after a restart.

mod common;

use common::{join_within, spawn_node};
use kelp_impl::cluster_file::ClusterFile;
use kelp_impl::hostile;
use kelp_impl::node::{self, Endpoint};
use kelp_model::config::{Config, FaultBudget};
use kelp_model::effects::Address;
use kelp_model::ids::{BrokerId, Offset, PartitionId, ProducerId, Sequence};
use kelp_model::msg::Msg;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The log lines of every node (one subscriber per test process).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn config() -> Config {
    Config {
        brokers: 1,
        partitions: 1,
        replication_factor: 1,
        min_insync_replicas: 1,
        producers: 1,
        budget: FaultBudget::none(),
        ..Config::default()
    }
}

/// Produces record `wanted` to partition 0 until the broker acknowledges it (it may not lead
/// yet); returns the offset.
fn produce(client: &mut Endpoint, wanted: Sequence, limit: Duration) -> Offset {
    let request = Msg::Produce {
        partition: PartitionId(0),
        producer: ProducerId(1),
        sequence: wanted,
        acks: kelp_model::config::Acks::All,
        idempotent: true,
        value: Default::default(),
    };
    let deadline = Instant::now() + limit;
    let mut last = None;
    while Instant::now() < deadline {
        client.send(Address::Broker(BrokerId(1)).id(&client.cluster().config), &request).unwrap();
        let answer_by = Instant::now() + Duration::from_millis(200);
        while let Some((_, msg)) = client.recv(answer_by.saturating_duration_since(Instant::now())) {
            if let Msg::ProduceResponse { sequence: s, result, .. } = &msg {
                if *s == wanted {
                    match result {
                        Ok(offset) => return *offset,
                        Err(e) => last = Some(format!("{e:?}")),
                    }
                }
            }
        }
    }
    panic!("record {wanted} was not acknowledged within {limit:?} (last answer: {last:?})");
}

/// Every kind of datagram a node must refuse (`kelp_impl::hostile`).
fn send_garbage(cluster: &ClusterFile, to: SocketAddr, node: u32) {
    let raw = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for (_, datagram) in hostile::datagrams(cluster, node) {
        raw.send_to(&datagram, to).unwrap();
    }
}

#[test]
fn nodes_survive_garbage_and_keep_answering() {
    let logs = Logs::default();
    let writer = logs.clone();
    node::init_logging(move || writer.clone());

    let dir = tempfile::tempdir().unwrap();
    let cluster = ClusterFile::on_free_ports(config()).unwrap();
    cluster.write(dir.path()).unwrap();
    let (stop_controller, controller) = spawn_node(dir.path(), 0);
    let (stop_broker, broker) = spawn_node(dir.path(), 1);

    // The producer's actor id: brokers reply to producer 1 there.
    let producer_id = Address::Producer(ProducerId(1)).id(&cluster.config);
    let mut client = Endpoint::client(cluster.clone(), usize::from(producer_id) as u32).unwrap();
    assert_eq!(produce(&mut client, Sequence(0), Duration::from_secs(5)), Offset(0));

    for id in [0, 1] {
        send_garbage(&cluster, cluster.address_of(id).unwrap(), id);
    }
    assert_eq!(
        produce(&mut client, Sequence(1), Duration::from_secs(5)),
        Offset(1),
        "the broker answers after the garbage"
    );
    assert!(!controller.is_finished() && !broker.is_finished(), "both nodes still run");

    // Only the controller can accept a controlled shutdown: the broker stopping cleanly shows
    // that the controller still answers.
    stop_broker.request();
    join_within(broker, Duration::from_secs(5), "the broker").expect("a clean controlled shutdown");
    assert!(dir.path().join("data/broker-1/clean-shutdown").exists(), "the clean-shutdown marker is on disk");

    // A restart is a new run over the same data: it registers and leads again.
    let (stop_broker, broker) = spawn_node(dir.path(), 1);
    assert_eq!(
        produce(&mut client, Sequence(2), Duration::from_secs(5)),
        Offset(2),
        "the restarted broker kept its log"
    );

    stop_broker.request();
    join_within(broker, Duration::from_secs(5), "the restarted broker").expect("a clean controlled shutdown");
    stop_controller.request();
    join_within(controller, Duration::from_secs(2), "the controller").expect("the controller just exits");

    let text = logs.text();
    for expected in [
        "dropped a 300-byte datagram",
        "datagram too short: 0 bytes",
        "bad magic",
        "datagram from another cluster",
        "checksum mismatch",
        "oversize: a 65100-byte frame",
        "for actor 40: this is actor 0",
        "for actor 41: this is actor 1",
        "undecodable body",
        "the model's handler cannot take",
        "messages nested more than 32 deep",
        "registered with broker epoch",
        "controlled shutdown",
        "stopped (clean shutdown in broker epoch",
    ] {
        assert!(text.contains(expected), "no {expected:?} in the logs:\n{text}");
    }
    assert!(text.contains("dropped a 4-byte datagram from 127.0.0.1:"), "the sender's address is named:\n{text}");
}

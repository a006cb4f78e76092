//! Datagrams every node must refuse: noise, truncated and oversize frames, another cluster's tag,
//! a bad checksum, a frame for an actor that is not there, a body that does not decode, and a
//! well-formed message the model cannot take. The robustness tests send them to running nodes
//! and check that each is logged and dropped while the node goes on answering.

use crate::cluster_file::ClusterFile;
use crate::wire::{self, ClusterTag};
use kelp_model::config::Acks;
use kelp_model::ids::{BrokerEpoch, BrokerId, Incarnation, PartitionId, ProducerId, Sequence};
use kelp_model::msg::Msg;

/// The hostile datagrams for node `node` of `cluster` (0 is the controller), each with what it is.
pub fn datagrams(cluster: &ClusterFile, node: u32) -> Vec<(&'static str, Vec<u8>)> {
    let heartbeat = Msg::BrokerHeartbeat { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) };
    let mut bad_checksum = encode(cluster.tag(), 1, node, &heartbeat);
    if let Some(last) = bad_checksum.last_mut() {
        *last ^= 0xff;
    }
    // A request the model's handler has no answer for: a registration from a broker that is not
    // configured (controller), a produce to a partition that does not exist (brokers).
    let impossible = match node {
        0 => Msg::RegisterBroker { broker: BrokerId(7), previous_epoch: None, incarnation: Incarnation(1) },
        _ => Msg::Produce {
            partition: PartitionId(9),
            producer: ProducerId(1),
            sequence: Sequence(0),
            acks: Acks::All,
            idempotent: true,
            value: Default::default(),
        },
    };
    vec![
        ("noise", noise(300)),
        ("an empty datagram", Vec::new()),
        ("a truncated header", b"KELP".to_vec()),
        ("another cluster's frame", encode(ClusterTag::of("kelp-another-cluster"), 1, node, &heartbeat)),
        ("a frame with a bad checksum", bad_checksum),
        ("an oversize datagram", vec![0x4b; 65_100]),
        ("a frame for an absent actor", encode(cluster.tag(), 1, node + 40, &heartbeat)),
        (
            "an unknown message kind",
            wire::encode_body(cluster.tag(), 1, node, &[250, 1, 2, 3]).expect("a 4-byte body fits a frame"),
        ),
        ("a message the model cannot take", encode(cluster.tag(), 2, node, &impossible)),
        ("a message nested as deep as a frame allows", nested_to_the_brim(cluster.tag(), 1, node)),
    ]
}

fn encode(tag: ClusterTag, from: u32, to: u32, msg: &Msg) -> Vec<u8> {
    wire::encode(tag, from, to, msg).expect("a small message fits a frame")
}

/// A well-formed frame (right tag, right checksum) whose body is a heartbeat inside
/// `NotController` inside `NotController`..., as many levels as the largest frame holds (tens of
/// thousands): decoded naively, one stack frame a level, it overflows the stack.
pub fn nested_to_the_brim(tag: ClusterTag, from: u32, to: u32) -> Vec<u8> {
    let heartbeat = Msg::BrokerHeartbeat { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) };
    let body = |msg: &Msg| encode(tag, from, to, msg)[wire::HEADER_LEN..].to_vec();
    let inner = body(&heartbeat);
    let once = body(&Msg::NotController(Box::new(heartbeat)));
    let level = &once[..once.len() - inner.len()];
    let levels = (wire::MAX_DATAGRAM - wire::HEADER_LEN - inner.len()) / level.len();
    let nested = [level.repeat(levels), inner].concat();
    wire::encode_body(tag, from, to, &nested).expect("sized to fit a frame")
}

/// `len` bytes of a fixed xorshift sequence: the same noise in every run.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

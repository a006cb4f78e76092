//! The datagram format: one model message per UDP datagram, in a checksummed frame.
//!
//! ```text
//! offset size  field
//!      0    4  magic b"KELP"
//!      4    1  version (3)
//!      5    8  cluster tag: 64-bit FNV-1a hash of the cluster id (big-endian)
//!     13    4  sender actor id (big-endian u32)
//!     17    4  receiver actor id (big-endian u32)
//!     21    4  body length in bytes (big-endian u32)
//!     25    4  CRC-32 (IEEE) of the body (big-endian u32)
//!     29    n  body: the model's `Msg`, bincode 1 (varint integers, little-endian)
//! ```
//!
//! A whole frame is at most `MAX_DATAGRAM` bytes. `decode` checks, in this order: size, magic,
//! version, cluster, length, checksum, body; the first check that fails names the fault. Nothing
//! here knows what a message means: the body is whatever the model's `Msg` serializes to.

use bincode::Options;
use kelp_model::msg::Msg;
use std::fmt;

/// The largest frame sent or accepted (below UDP's 65,507-byte limit over IPv4).
pub const MAX_DATAGRAM: usize = 65_000;
/// `b"KELP"`.
pub const MAGIC: [u8; 4] = *b"KELP";
/// The frame format version this build writes and reads: the body's schema is the model's `Msg`,
/// so a change to a message's fields is a new version (2: a controller's write carries what its
/// event changed, not its whole image; `ResignController`; a controller's image carries every
/// field, its count of unanswered writes among them; 3: a write names the writes it follows, an
/// image counts them, `WriteOutOfOrder` and `WriteApplied`).
pub const VERSION: u8 = 3;
/// The size of the frame header (everything before the body).
pub const HEADER_LEN: usize = 29;

/// A cluster's identity on the wire: the 64-bit FNV-1a hash of its cluster id. Datagrams tagged
/// with another cluster's hash are refused (a node of an old cluster on a reused port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClusterTag(pub u64);

impl ClusterTag {
    /// The tag of the cluster named `cluster_id` (stable across builds and machines).
    pub fn of(cluster_id: &str) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in cluster_id.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        ClusterTag(hash)
    }
}

impl fmt::Display for ClusterTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A decoded datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The actor id of the sender (as it claims).
    pub from: u32,
    /// The actor id the frame is addressed to.
    pub to: u32,
    pub msg: Msg,
}

/// Why a datagram was refused (or a message could not be framed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("datagram too short: {len} bytes, a frame header is {HEADER_LEN}")]
    TooShort { len: usize },
    #[error("bad magic {found:02x?} (not a kelp datagram)")]
    BadMagic { found: [u8; 4] },
    #[error("unknown frame version {found} (this build speaks version {VERSION})")]
    UnknownVersion { found: u8 },
    #[error("datagram from another cluster (tag {found}, this cluster is {expected})")]
    OtherCluster { expected: ClusterTag, found: ClusterTag },
    #[error("length mismatch: the header says a {declared}-byte body, the datagram carries {actual}")]
    LengthMismatch { declared: u32, actual: usize },
    #[error("checksum mismatch: the header says {declared:08x}, the body's CRC-32 is {actual:08x}")]
    ChecksumMismatch { declared: u32, actual: u32 },
    #[error("undecodable body (unknown message kind?): {reason}")]
    Undecodable { reason: String },
    #[error("oversize: a {len}-byte frame, at most {MAX_DATAGRAM} are allowed")]
    Oversize { len: usize },
}

/// The body encoding: bincode 1 with varint integers, bounded, refusing trailing bytes.
fn body_options() -> impl Options {
    bincode::DefaultOptions::new().with_limit(MAX_DATAGRAM as u64).reject_trailing_bytes()
}

/// Frames `msg` from actor `from` to actor `to` of the cluster `cluster`.
pub fn encode(cluster: ClusterTag, from: u32, to: u32, msg: &Msg) -> Result<Vec<u8>, WireError> {
    let body = body_options().serialize(msg).map_err(|e| match *e {
        bincode::ErrorKind::SizeLimit => {
            let body = bincode::DefaultOptions::new().serialized_size(msg).unwrap_or(u64::MAX);
            WireError::Oversize { len: HEADER_LEN.saturating_add(usize::try_from(body).unwrap_or(usize::MAX)) }
        }
        other => WireError::Undecodable { reason: format!("cannot encode the message: {other}") },
    })?;
    encode_body(cluster, from, to, &body)
}

/// Frames an already serialized body (tests and tools that need a frame the model cannot read).
pub fn encode_body(cluster: ClusterTag, from: u32, to: u32, body: &[u8]) -> Result<Vec<u8>, WireError> {
    let len = HEADER_LEN + body.len();
    if len > MAX_DATAGRAM {
        return Err(WireError::Oversize { len });
    }
    let mut frame = Vec::with_capacity(len);
    frame.extend_from_slice(&MAGIC);
    frame.push(VERSION);
    frame.extend_from_slice(&cluster.0.to_be_bytes());
    frame.extend_from_slice(&from.to_be_bytes());
    frame.extend_from_slice(&to.to_be_bytes());
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    frame.extend_from_slice(body);
    Ok(frame)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

/// Reads one datagram of the cluster `expected`. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8], expected: ClusterTag) -> Result<Frame, WireError> {
    if bytes.len() > MAX_DATAGRAM {
        return Err(WireError::Oversize { len: bytes.len() });
    }
    if bytes.len() < HEADER_LEN {
        return Err(WireError::TooShort { len: bytes.len() });
    }
    let magic: [u8; 4] = bytes[0..4].try_into().expect("four bytes");
    if magic != MAGIC {
        return Err(WireError::BadMagic { found: magic });
    }
    if bytes[4] != VERSION {
        return Err(WireError::UnknownVersion { found: bytes[4] });
    }
    let cluster = ClusterTag(u64::from_be_bytes(bytes[5..13].try_into().expect("eight bytes")));
    if cluster != expected {
        return Err(WireError::OtherCluster { expected, found: cluster });
    }
    let from = be_u32(bytes, 13);
    let to = be_u32(bytes, 17);
    let declared = be_u32(bytes, 21);
    let body = &bytes[HEADER_LEN..];
    if usize::try_from(declared).ok() != Some(body.len()) {
        return Err(WireError::LengthMismatch { declared, actual: body.len() });
    }
    let crc = be_u32(bytes, 25);
    let actual = crc32fast::hash(body);
    if crc != actual {
        return Err(WireError::ChecksumMismatch { declared: crc, actual });
    }
    let msg = body_options().deserialize(body).map_err(|e| WireError::Undecodable { reason: e.to_string() })?;
    Ok(Frame { from, to, msg })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::controller::{CommittedChanges, ControllerState, Writes};
    use kelp_model::effects::Address;
    use kelp_model::ids::{
        BrokerEpoch, BrokerId, ControllerEpoch, Incarnation, LeaderEpoch, Offset, PartitionId, ProducerId, Sequence,
        WriteCount,
    };
    use kelp_model::msg::{FetchRequest, ProduceError};
    use proptest::prelude::*;

    fn tag() -> ClusterTag {
        ClusterTag::of("kelp-test")
    }

    fn samples() -> Vec<Msg> {
        let image = ControllerState {
            writes: Writes { unanswered: 1, count: WriteCount(4) },
            ..ControllerState::bootstrap(&kelp_model::config::Config::default())
        };
        vec![
            Msg::RegisterBroker {
                broker: BrokerId(2),
                previous_epoch: Some(BrokerEpoch(4)),
                incarnation: Incarnation(9),
            },
            Msg::BrokerHeartbeat { broker: BrokerId(1), broker_epoch: BrokerEpoch(7) },
            Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(3) },
            Msg::Fetch(FetchRequest {
                partition: PartitionId(0),
                replica: BrokerId(3),
                broker_epoch: BrokerEpoch(3),
                current_leader_epoch: LeaderEpoch(2),
                fetch_offset: Offset(5),
                last_fetched_epoch: Some(LeaderEpoch(1)),
                known_high_watermark: Offset(4),
            }),
            Msg::Produce {
                partition: PartitionId(1),
                producer: ProducerId(1),
                sequence: Sequence(9),
                acks: kelp_model::config::Acks::All,
                idempotent: true,
                value: Default::default(),
            },
            Msg::ProduceResponse {
                partition: PartitionId(0),
                sequence: Sequence(1),
                result: Err(ProduceError::NotEnoughReplicas),
            },
            // A candidate's whole image: every field travels, those a trace file leaves out too.
            Msg::ControllerElected { epoch: ControllerEpoch(2), image: Box::new(image.clone()) },
            Msg::CoordinatorWrite {
                epoch: ControllerEpoch(2),
                changes: Box::new(CommittedChanges {
                    brokers: vec![(BrokerId(1), image.brokers[0])],
                    partitions: image.partitions.clone(),
                    follows: WriteCount(4),
                    ..Default::default()
                }),
                then: vec![(Address::Broker(BrokerId(2)), Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) })],
                cause: None,
            },
            Msg::ResignController,
            Msg::WriteOutOfOrder { epoch: ControllerEpoch(2), follows: WriteCount(5), applied: WriteCount(4) },
            Msg::WriteApplied {
                applied: WriteCount(5),
                then: vec![(Address::Broker(BrokerId(1)), Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(1) })],
            },
        ]
    }

    fn frame() -> Vec<u8> {
        encode(tag(), 1, 0, &samples()[0]).unwrap()
    }

    #[test]
    fn a_frame_round_trips() {
        for msg in samples() {
            let bytes = encode(tag(), 3, 0, &msg).unwrap();
            assert_eq!(&bytes[..4], b"KELP");
            assert_eq!(bytes[4], VERSION);
            assert_eq!(decode(&bytes, tag()), Ok(Frame { from: 3, to: 0, msg }));
        }
    }

    #[test]
    fn messages_nest_as_deep_as_the_model_allows_and_no_deeper_however_long_the_frame() {
        use kelp_model::msg_nesting::MAX_DEPTH;
        let nested = |levels| (0..levels).fold(samples()[1].clone(), |msg, _| Msg::NotController(Box::new(msg)));
        let deepest = nested(MAX_DEPTH);
        let bytes = encode(tag(), 1, 0, &deepest).unwrap();
        assert_eq!(decode(&bytes, tag()), Ok(Frame { from: 1, to: 0, msg: deepest }));
        let too_deep = encode(tag(), 1, 0, &nested(MAX_DEPTH + 1)).unwrap();
        let refused = Err(WireError::Undecodable { reason: format!("messages nested more than {MAX_DEPTH} deep") });
        assert_eq!(decode(&too_deep, tag()), refused);
        // Tens of thousands of levels: refused at the same depth, the stack untouched beyond it.
        let brim = crate::hostile::nested_to_the_brim(tag(), 1, 0);
        assert!(brim.len() > MAX_DATAGRAM - 10, "{}", brim.len());
        assert_eq!(decode(&brim, tag()), refused);
        // And the decoder's count is back to zero after each refusal: a plain message decodes.
        assert_eq!(decode(&frame(), tag()).map(|f| f.msg), Ok(samples()[0].clone()));
    }

    #[test]
    fn the_cluster_tag_is_stable() {
        // FNV-1a's published test vector: the empty string hashes to the offset basis.
        assert_eq!(ClusterTag::of(""), ClusterTag(0xcbf2_9ce4_8422_2325));
        assert_eq!(ClusterTag::of("a"), ClusterTag(0xaf63_dc4c_8601_ec8c));
        assert_ne!(ClusterTag::of("kelp-1"), ClusterTag::of("kelp-2"));
    }

    #[test]
    fn too_short() {
        assert_eq!(decode(&frame()[..HEADER_LEN - 1], tag()), Err(WireError::TooShort { len: HEADER_LEN - 1 }));
        assert_eq!(decode(&[], tag()), Err(WireError::TooShort { len: 0 }));
    }

    #[test]
    fn bad_magic() {
        let mut bytes = frame();
        bytes[0] = b'X';
        assert_eq!(decode(&bytes, tag()), Err(WireError::BadMagic { found: *b"XELP" }));
    }

    #[test]
    fn unknown_version() {
        let mut bytes = frame();
        // A frame of a build before this one's message schema.
        bytes[4] = 1;
        assert_eq!(decode(&bytes, tag()), Err(WireError::UnknownVersion { found: 1 }));
    }

    #[test]
    fn another_cluster() {
        let other = ClusterTag::of("kelp-other");
        let bytes = encode(other, 1, 0, &samples()[0]).unwrap();
        assert_eq!(decode(&bytes, tag()), Err(WireError::OtherCluster { expected: tag(), found: other }));
    }

    #[test]
    fn length_mismatch() {
        let mut bytes = frame();
        let body = bytes.len() - HEADER_LEN;
        bytes.push(0);
        assert_eq!(decode(&bytes, tag()), Err(WireError::LengthMismatch { declared: body as u32, actual: body + 1 }));
        bytes.truncate(bytes.len() - 2);
        assert_eq!(decode(&bytes, tag()), Err(WireError::LengthMismatch { declared: body as u32, actual: body - 1 }));
    }

    #[test]
    fn checksum_mismatch() {
        let mut bytes = frame();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        assert!(matches!(decode(&bytes, tag()), Err(WireError::ChecksumMismatch { .. })));
    }

    #[test]
    fn unknown_message_kind() {
        // Variant 200 of `Msg` does not exist; the frame around it is sound.
        let bytes = encode_body(tag(), 1, 0, &[200]).unwrap();
        let err = decode(&bytes, tag()).unwrap_err();
        assert!(matches!(err, WireError::Undecodable { .. }), "{err:?}");
        assert!(err.to_string().starts_with("undecodable body"), "{err}");
    }

    #[test]
    fn trailing_bytes_in_the_body_are_refused() {
        let mut body = body_options().serialize(&samples()[1]).unwrap();
        body.push(0);
        let bytes = encode_body(tag(), 1, 0, &body).unwrap();
        assert!(matches!(decode(&bytes, tag()), Err(WireError::Undecodable { .. })));
    }

    #[test]
    fn acks_go_as_the_produce_requests_int16() {
        use kelp_model::config::Acks;
        let produce = |acks| match samples().remove(4) {
            Msg::Produce { partition, producer, sequence, idempotent, value, .. } => {
                Msg::Produce { partition, producer, sequence, acks, idempotent, value }
            }
            other => panic!("sample 4 is a Produce, not {other:?}"),
        };
        for (acks, number) in [(Acks::Zero, 0i16), (Acks::One, 1), (Acks::All, -1)] {
            let body = body_options().serialize(&produce(acks)).unwrap();
            let mut expected = body_options().serialize(&number).unwrap();
            // The field sits between the sequence and `idempotent` (the last bytes: true, an
            // empty value).
            expected.extend_from_slice(&[1, 0]);
            assert!(body.ends_with(&expected), "{acks:?}: {body:?}");
            let bytes = encode_body(tag(), 1, 2, &body).unwrap();
            assert_eq!(decode(&bytes, tag()), Ok(Frame { from: 1, to: 2, msg: produce(acks) }));
        }
        // A number Kafka does not know (2) is refused, not taken for something else.
        let mut body = body_options().serialize(&produce(Acks::One)).unwrap();
        let at = body.len() - 3;
        body[at] = body_options().serialize(&2i16).unwrap()[0];
        let bytes = encode_body(tag(), 1, 2, &body).unwrap();
        match decode(&bytes, tag()) {
            Err(WireError::Undecodable { reason }) => assert!(reason.contains("acks 0, 1 or all"), "{reason}"),
            other => panic!("expected acks 2 refused, got {other:?}"),
        }
    }

    #[test]
    fn oversize() {
        let body = vec![0u8; MAX_DATAGRAM];
        assert_eq!(encode_body(tag(), 1, 0, &body), Err(WireError::Oversize { len: MAX_DATAGRAM + HEADER_LEN }));
        let mut bytes = frame();
        bytes.resize(MAX_DATAGRAM + 1, 0);
        assert_eq!(decode(&bytes, tag()), Err(WireError::Oversize { len: MAX_DATAGRAM + 1 }));
        // The largest frame allowed is still read (and found wanting for other reasons).
        bytes.truncate(MAX_DATAGRAM);
        assert!(matches!(decode(&bytes, tag()), Err(WireError::LengthMismatch { .. })));
    }

    #[test]
    fn a_message_too_large_for_a_datagram_is_not_framed() {
        let record = kelp_model::log::Record {
            epoch: LeaderEpoch(1),
            producer: ProducerId(1),
            sequence: Sequence(1),
            value: Default::default(),
        };
        let msg = Msg::FetchResponse {
            partition: PartitionId(0),
            current_leader_epoch: LeaderEpoch(1),
            fetch_offset: Offset(0),
            result: kelp_model::msg::FetchResult::Records { records: vec![record; 30_000], high_watermark: Offset(0) },
        };
        match encode(tag(), 1, 2, &msg) {
            Err(WireError::Oversize { len }) => assert!(len > MAX_DATAGRAM, "{len}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_error_names_its_fault() {
        let messages = [
            WireError::TooShort { len: 3 }.to_string(),
            WireError::BadMagic { found: *b"GET " }.to_string(),
            WireError::UnknownVersion { found: 9 }.to_string(),
            WireError::OtherCluster { expected: ClusterTag(1), found: ClusterTag(2) }.to_string(),
            WireError::LengthMismatch { declared: 1, actual: 2 }.to_string(),
            WireError::ChecksumMismatch { declared: 1, actual: 2 }.to_string(),
            WireError::Undecodable { reason: "x".into() }.to_string(),
            WireError::Oversize { len: 70_000 }.to_string(),
        ];
        let keys =
            ["too short", "magic", "version", "another cluster", "length", "checksum", "undecodable", "oversize"];
        for (message, key) in messages.iter().zip(keys) {
            assert!(message.contains(key), "{message:?} should say {key:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes, tag());
        }

        #[test]
        fn arbitrary_bodies_in_sound_frames_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let bytes = encode_body(tag(), 1, 2, &body).unwrap();
            let _ = decode(&bytes, tag());
        }

        #[test]
        fn a_corrupted_frame_never_panics_and_is_refused_or_unchanged(
            index in 0usize..6,
            from in any::<u32>(),
            to in any::<u32>(),
            flip in (0usize..4096, 1u8..=255),
        ) {
            let msg = samples()[index].clone();
            let mut bytes = encode(tag(), from, to, &msg).unwrap();
            let at = flip.0 % bytes.len();
            bytes[at] ^= flip.1;
            // A flipped bit in the ids is not detected (they are outside the checksum); anywhere
            // else the frame is refused.
            match decode(&bytes, tag()) {
                Ok(frame) => {
                    prop_assert!((13..21).contains(&at), "flip at {} accepted", at);
                    prop_assert_eq!(frame.msg, msg);
                }
                Err(_) => prop_assert!(!(13..21).contains(&at)),
            }
        }

        #[test]
        fn round_trips(
            index in 0usize..6,
            from in any::<u32>(),
            to in any::<u32>(),
            cluster in "[a-z0-9-]{0,24}",
        ) {
            let msg = samples()[index].clone();
            let tag = ClusterTag::of(&cluster);
            let bytes = encode(tag, from, to, &msg).unwrap();
            prop_assert!(bytes.len() <= MAX_DATAGRAM);
            prop_assert_eq!(decode(&bytes, tag), Ok(Frame { from, to, msg }));
        }
    }
}

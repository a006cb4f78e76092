//! Which brokers and which producers a configuration cannot tell apart, and the group they
//! generate: every combination of a permutation within each class of interchangeable brokers and
//! one within each class of interchangeable producers.
//!
//! Brokers: a partition's assignment (`Config::replicas`) is an ordered list. Its first member is
//! the preferred leader, and every election takes the first valid replica in assignment order
//! (Kafka's `PartitionChangeBuilder.electLeader`, the model's `rules::partition_change`). A
//! renaming that moved a broker within or between assignments would turn every reachable state
//! into a state of another assignment, which the configuration never reaches (see the module docs
//! of `symmetry`), so π must fix every assigned broker: a broker's *signature* is the list of
//! (partition, position) where it is assigned, and only brokers with equal signatures are
//! interchangeable. Since one (partition, position) names one broker, that leaves only the brokers
//! assigned nowhere (the empty signature).
//!
//! Producers: the configuration has no per-producer setting today (every producer sends `records`
//! records, record `s` to partition `s % partitions`). Rather than assume it, a producer's
//! *profile* is read off the producer code itself: the produce requests it sends, and the state
//! it ends in, when every request is answered at once. Producers with equal profiles are
//! interchangeable; a future per-producer setting splits the class by itself.

use super::{Permutation, Symmetry};
use crate::config::{Acks, Config};
use crate::controller::ControllerState;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, Offset, PartitionId, ProducerId, Sequence};
use crate::msg::Msg;
use crate::producer::ProducerState;
use std::fmt;

/// Where a broker sits in the assignments: (partition, position in its replica list).
fn broker_signature(cfg: &Config, broker: BrokerId) -> Vec<(PartitionId, usize)> {
    cfg.partition_ids().filter_map(|p| cfg.replicas(p).iter().position(|b| *b == broker).map(|i| (p, i))).collect()
}

/// A produce request as the producer sends it, its own id left out: (to, partition, sequence,
/// whether it named its sender as the producer).
type ProduceSent = (Address, PartitionId, Sequence, bool);

/// What a producer does when every request is answered at once: the requests it sends, in order,
/// and the state it ends in.
fn producer_profile(cfg: &Config, me: ProducerId) -> (Vec<ProduceSent>, ProducerState) {
    let records = ControllerState::bootstrap(cfg).partitions;
    let mut fx = Effects::default();
    let mut producer = ProducerState::bootstrap(cfg, me, &records, &mut fx);
    let mut sent = Vec::new();
    // Each round answers what the last one sent; a producer sends at most `records` records.
    for _ in 0..=cfg.records as usize + 1 {
        let sends = std::mem::take(&mut fx.sends);
        if sends.is_empty() {
            break;
        }
        for (to, msg) in sends {
            if let Msg::Produce { partition, producer: named, sequence, .. } = msg {
                sent.push((to, partition, sequence, named == me));
                if cfg.acks != Acks::Zero {
                    let offset = Offset::of_len(sent.len() - 1);
                    let response = Msg::ProduceResponse { partition, sequence, result: Ok(offset) };
                    producer.on_msg(cfg, me, to, response, &mut fx);
                }
            }
        }
    }
    (sent, producer)
}

/// Groups `ids` by `key`, keeping classes of two or more, each in id order.
fn classes<T: Copy + Ord, K: PartialEq>(ids: impl Iterator<Item = T>, key: impl Fn(T) -> K) -> Vec<Vec<T>> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for id in ids {
        let k = key(id);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, class)) => class.push(id),
            None => groups.push((k, vec![id])),
        }
    }
    let mut classes: Vec<Vec<T>> = groups.into_iter().map(|(_, c)| c).filter(|c| c.len() > 1).collect();
    classes.sort();
    classes
}

/// Every arrangement of `items`, the identity (`items` as given) first.
fn arrangements<T: Copy>(items: &[T]) -> Vec<Vec<T>> {
    if items.is_empty() {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let rest: Vec<T> = items.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| *x).collect();
        for mut tail in arrangements(&rest) {
            tail.insert(0, *first);
            all.push(tail);
        }
    }
    all
}

/// Every map of 1-based ids that permutes each class within itself and fixes the rest, as the
/// image table of `1..=n`; the identity first.
fn class_permutations(n: u8, classes: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut tables = vec![(1..=n).collect::<Vec<u8>>()];
    for class in classes {
        let mut next = Vec::new();
        for table in &tables {
            for arrangement in arrangements(class) {
                let mut t = table.clone();
                for (from, to) in class.iter().zip(&arrangement) {
                    t[usize::from(*from) - 1] = *to;
                }
                next.push(t);
            }
        }
        tables = next;
    }
    tables
}

impl Symmetry {
    /// The permutations of broker and producer ids that `cfg` cannot tell apart (see the module
    /// docs), the identity first.
    pub fn of(cfg: &Config) -> Symmetry {
        let broker_classes = classes(cfg.broker_ids(), |b| broker_signature(cfg, b));
        let producer_classes = classes(cfg.producer_ids(), |p| producer_profile(cfg, p));
        Symmetry::from_classes(cfg, broker_classes, producer_classes)
    }

    /// The group generated by permuting each class freely (classes of one id are no-ops).
    pub(super) fn from_classes(
        cfg: &Config,
        broker_classes: Vec<Vec<BrokerId>>,
        producer_classes: Vec<Vec<ProducerId>>,
    ) -> Symmetry {
        let ids = |c: &Vec<BrokerId>| c.iter().map(|b| b.0).collect::<Vec<_>>();
        let brokers = class_permutations(cfg.brokers, &broker_classes.iter().map(ids).collect::<Vec<_>>());
        let producers = class_permutations(
            cfg.producers,
            &producer_classes.iter().map(|c| c.iter().map(|p| configured_producer(*p)).collect()).collect::<Vec<_>>(),
        );
        let mut elements = Vec::with_capacity(brokers.len() * producers.len());
        for b in &brokers {
            for p in &producers {
                let element = Permutation::new(
                    b.iter().copied().map(BrokerId).collect(),
                    p.iter().map(|&p| ProducerId(u32::from(p))).collect(),
                )
                .expect("class permutations are bijections");
                elements.push(element);
            }
        }
        debug_assert!(elements[0].is_identity());
        Symmetry { broker_classes, producer_classes, elements }
    }
}

/// A configured producer's id as the permutation tables hold it (at most 4 producers are configured).
fn configured_producer(p: ProducerId) -> u8 {
    u8::try_from(p.0).expect("configured producer ids are 1 to 4")
}

fn write_class<T: fmt::Display>(f: &mut fmt::Formatter<'_>, role: &str, class: &[T]) -> fmt::Result {
    let ids: Vec<String> = class.iter().map(|x| x.to_string()).collect();
    write!(f, "{role} {{{}}} interchangeable", ids.join(","))
}

impl fmt::Display for Symmetry {
    /// `none`, or the interchangeable classes: `brokers {3,4} interchangeable, producers {1,2}
    /// interchangeable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_trivial() {
            return write!(f, "none");
        }
        let mut first = true;
        for class in &self.broker_classes {
            if !std::mem::take(&mut first) {
                write!(f, ", ")?;
            }
            write_class(f, "brokers", class)?;
        }
        for class in &self.producer_classes {
            if !std::mem::take(&mut first) {
                write!(f, ", ")?;
            }
            let ids: Vec<u32> = class.iter().map(|p| p.0).collect();
            write_class(f, "producers", &ids)?;
        }
        Ok(())
    }
}

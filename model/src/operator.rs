//! The operator (`Config::operator_demotes`): a person with Cruise Control at hand, who watches
//! the producers' alerts. When a producer's requests to a broker time out (`ProduceStalled`), they
//! demote that broker the way Cruise Control's `demote_broker` does: every partition's replica
//! list is reordered with the broker last (AlterPartitionReassignments, KIP-455), then a preferred
//! election runs (ElectLeaders, KIP-460), so leadership leaves the broker without it failing. One
//! broker is demoted at a time: demoting another puts the first back in its place, which keeps
//! some broker at the top of every list. The controller's own rules decide who may lead, so a
//! demotion never elects a replica outside the ISR.

use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, PartitionId};
use crate::msg::{ClientRequest, ElectionType, Msg};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OperatorState {
    /// The broker demoted now, if any.
    pub demoted: Option<BrokerId>,
}

impl OperatorState {
    pub fn on_msg(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        // The controller's answers need no action. A refused election (the new first replica is
        // out of the ISR) leaves the order in place; this operator does not retry it, and
        // `auto.leader.rebalance.enable`, where on, finishes the move later.
        if let Msg::ProduceStalled { broker } = msg {
            self.demote(cfg, broker, fx);
        }
    }

    fn demote(&mut self, cfg: &Config, broker: BrokerId, fx: &mut Effects) {
        if self.demoted == Some(broker) {
            return;
        }
        let before = self.demoted.replace(broker);
        let mut reordered = Vec::new();
        for p in cfg.partition_ids() {
            let replicas = Self::priority(cfg, p, Some(broker));
            if replicas != Self::priority(cfg, p, before) {
                reordered.push(p);
                let request = ClientRequest::AlterPartitionReassignments { partition: p, replicas };
                fx.send(Address::Controller, Msg::Request(request));
            }
        }
        if !reordered.is_empty() {
            let request = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: reordered };
            fx.send(Address::Controller, Msg::Request(request));
        }
    }

    /// `p`'s assignment with `demoted` moved to the end: the leadership priority after a demotion.
    pub fn priority(cfg: &Config, p: PartitionId, demoted: Option<BrokerId>) -> Vec<BrokerId> {
        demoted_last(&cfg.replicas(p), demoted)
    }
}

/// `replicas` with `demoted` moved to the end, the others in their order: Cruise Control's
/// `demote_broker` order (also `kelp demote-broker` on the reference cluster).
pub fn demoted_last(replicas: &[BrokerId], demoted: Option<BrokerId>) -> Vec<BrokerId> {
    let (mut kept, last): (Vec<BrokerId>, Vec<BrokerId>) = replicas.iter().partition(|b| Some(**b) != demoted);
    kept.extend(last);
    kept
}

#[cfg(test)]
mod tests {
    //! The operator's handler: alert in, exact requests and state out.

    use super::*;
    use proptest::prelude::*;

    fn b(n: u8) -> BrokerId {
        BrokerId(n)
    }

    fn alert(op: &mut OperatorState, cfg: &Config, broker: u8) -> Effects {
        let mut fx = Effects::default();
        op.on_msg(cfg, Msg::ProduceStalled { broker: b(broker) }, &mut fx);
        fx
    }

    fn reorder(partition: u8, replicas: &[u8]) -> (Address, Msg) {
        let replicas = replicas.iter().copied().map(b).collect();
        let request = ClientRequest::AlterPartitionReassignments { partition: PartitionId(partition), replicas };
        (Address::Controller, Msg::Request(request))
    }

    fn preferred(partitions: &[u8]) -> (Address, Msg) {
        let partitions = partitions.iter().copied().map(PartitionId).collect();
        (
            Address::Controller,
            Msg::Request(ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions }),
        )
    }

    /// Two partitions: p0 assigned [1,2,3], p1 [2,3,1].
    fn two_partitions() -> Config {
        Config { partitions: 2, operator_demotes: true, ..Config::default() }
    }

    #[test]
    fn an_alert_moves_the_broker_last_then_asks_for_preferred_elections_where_the_order_changed() {
        let cfg = two_partitions();
        let mut op = OperatorState::default();
        let fx = alert(&mut op, &cfg, 1);
        // p1 [2,3,1] has broker 1 last already: only p0 changes.
        assert_eq!(fx.sends, vec![reorder(0, &[2, 3, 1]), preferred(&[0])]);
        assert_eq!(op.demoted, Some(b(1)));
    }

    #[test]
    fn a_repeated_alert_for_the_demoted_broker_asks_nothing() {
        let cfg = two_partitions();
        let mut op = OperatorState::default();
        alert(&mut op, &cfg, 1);
        assert_eq!(alert(&mut op, &cfg, 1), Effects::default());
        assert_eq!(op.demoted, Some(b(1)));
    }

    #[test]
    fn demoting_another_broker_restores_the_first_and_touches_only_changed_partitions() {
        let cfg = two_partitions();
        let mut op = OperatorState { demoted: Some(b(1)) };
        // Broker 3 last: p0 [1,2,3] is the configured order again, p1 becomes [2,1,3].
        let fx = alert(&mut op, &cfg, 3);
        assert_eq!(fx.sends, vec![reorder(0, &[1, 2, 3]), reorder(1, &[2, 1, 3]), preferred(&[0, 1])]);
        assert_eq!(op.demoted, Some(b(3)));
    }

    #[test]
    fn a_broker_already_last_everywhere_needs_no_request() {
        // One partition, RF 3: broker 3 is last in [1,2,3] already.
        let cfg = Config { operator_demotes: true, ..Config::default() };
        let mut op = OperatorState::default();
        assert_eq!(alert(&mut op, &cfg, 3), Effects::default());
        assert_eq!(op.demoted, Some(b(3)));
    }

    #[test]
    fn other_messages_are_ignored() {
        let cfg = two_partitions();
        let mut op = OperatorState::default();
        let mut fx = Effects::default();
        op.on_msg(&cfg, Msg::Request(ClientRequest::DescribePartitions), &mut fx);
        assert_eq!((fx, op), (Effects::default(), OperatorState::default()));
    }

    proptest! {
        /// The priority is the assignment with the demoted broker moved last, the others in order.
        #[test]
        fn priority_moves_only_the_demoted_broker(brokers in 1u8..=9, partitions in 1u8..=8, rf in 1u8..=9, demoted in 0u8..=9) {
            prop_assume!(rf <= brokers);
            let cfg = Config { brokers, partitions, replication_factor: rf, min_insync_replicas: 1, ..Config::default() };
            let demoted = (demoted > 0).then_some(BrokerId(demoted));
            for p in cfg.partition_ids() {
                let assigned = cfg.replicas(p);
                let priority = OperatorState::priority(&cfg, p, demoted);
                let mut sorted = priority.clone();
                sorted.sort_unstable();
                let mut expected = assigned.clone();
                expected.sort_unstable();
                prop_assert_eq!(sorted, expected, "a permutation of the assignment");
                let others: Vec<BrokerId> = assigned.iter().copied().filter(|b| Some(*b) != demoted).collect();
                prop_assert_eq!(&priority[..others.len()], &others[..]);
                if let Some(d) = demoted.filter(|d| assigned.contains(d)) {
                    prop_assert_eq!(priority.last(), Some(&d));
                }
            }
        }
    }
}

//! `kelp check --coverage`: how often each kind of action fired during the search (transitions
//! explored within the fault budget) and how many of those reached a state seen for the first time.
//! A kind is a delivered message by `Msg` variant (`deliver Fetch`) or a timer by `Timer` variant
//! (`timer Crash`). A rule that never fires is a model bug or a configuration that rules it out
//! (no power loss with `power_losses = 0`): the report flags it, and the run is not failed for it.

use crate::columns::{layout, Align};
use crate::trace::Action;
use kelp_model::msg::Msg;
use kelp_model::timer::Timer;
use serde::Serialize;
use stateright::actor::ActorModelAction;

/// Declares the kinds once: the enum and `Kind::ALL` come from the same list, so no kind can be
/// missing from the report. `classify` matches `Msg` and `Timer` without a wildcard: a new variant
/// does not compile until it is given a kind here.
macro_rules! kinds {
    ($($kind:ident => $name:literal,)*) => {
        /// A kind of action, as the coverage report counts it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($kind,)*
        }

        impl Kind {
            /// Every kind, in report order (`ALL[k as usize] == k`).
            pub const ALL: &'static [Kind] = &[$(Kind::$kind,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }
        }
    };
}

kinds! {
    // Broker -> controller.
    DeliverBrokerRegistration => "deliver BrokerRegistration",
    DeliverBrokerHeartbeat => "deliver BrokerHeartbeat",
    DeliverHeartbeatsStopped => "deliver HeartbeatsStopped",
    DeliverControlledShutdown => "deliver ControlledShutdown",
    DeliverAlterPartition => "deliver AlterPartition",
    // Controller -> broker.
    DeliverRegistrationAccepted => "deliver RegistrationAccepted",
    DeliverSessionExpired => "deliver SessionExpired",
    DeliverShutdownAccepted => "deliver ShutdownAccepted",
    DeliverAlterPartitionResponse => "deliver AlterPartitionResponse",
    DeliverPartitionChange => "deliver PartitionChange",
    // Follower <-> leader.
    DeliverFetch => "deliver Fetch",
    DeliverFetchResponse => "deliver FetchResponse",
    DeliverOffsetsForLeaderEpoch => "deliver OffsetsForLeaderEpoch",
    DeliverOffsetsForLeaderEpochResponse => "deliver OffsetsForLeaderEpochResponse",
    // Producer <-> leader.
    DeliverProduce => "deliver Produce",
    DeliverProduceResponse => "deliver ProduceResponse",
    // Producer -> operator -> controller (`operator_demotes` only).
    DeliverProduceStalled => "deliver ProduceStalled",
    DeliverClientRequest => "deliver client request",
    DeliverClientResponse => "deliver client response",
    // Timers.
    TimerCrash => "timer Crash",
    TimerPowerLoss => "timer PowerLoss",
    TimerShutdown => "timer Shutdown",
    TimerRestart => "timer Restart",
    TimerLagTimeout => "timer LagTimeout",
    TimerFetchBackoff => "timer FetchBackoff",
    TimerSessionTimeout => "timer SessionTimeout",
    TimerPreferredElection => "timer PreferredElection",
    TimerRequestTimeout => "timer RequestTimeout",
    TimerCutLink => "timer CutLink",
    // Controller candidates <-> coordinator (`controllers` > 1).
    DeliverCoordinatorWrite => "deliver CoordinatorWrite",
    DeliverWriteAccepted => "deliver WriteAccepted",
    DeliverWriteRejected => "deliver WriteRejected",
    DeliverControllerGone => "deliver ControllerGone",
    DeliverClaimController => "deliver ClaimController",
    DeliverControllerElected => "deliver ControllerElected",
    DeliverControllerSessionExpired => "deliver ControllerSessionExpired",
    DeliverNotController => "deliver NotController",
    TimerControllerSessionExpiry => "timer ControllerSessionExpiry",
    // stateright's own actions, which kelp's model never enables (its network loses nothing, its
    // actors neither crash through stateright nor choose at random): listed only if they fire.
    Stateright => "stateright Drop/Crash/Recover/SelectRandom",
    RuntimeOnly => "runtime only: heartbeats, fetch waits, resends, metadata fetches, resignations",
}

impl Kind {
    pub fn of_msg(msg: &Msg) -> Kind {
        match msg {
            Msg::RegisterBroker { .. } => Kind::DeliverBrokerRegistration,
            Msg::BrokerHeartbeat { .. } => Kind::DeliverBrokerHeartbeat,
            Msg::HeartbeatsStopped { .. } => Kind::DeliverHeartbeatsStopped,
            Msg::ControlledShutdown { .. } => Kind::DeliverControlledShutdown,
            Msg::AlterPartition { .. } => Kind::DeliverAlterPartition,
            Msg::RegistrationAccepted { .. } => Kind::DeliverRegistrationAccepted,
            Msg::SessionExpired { .. } => Kind::DeliverSessionExpired,
            Msg::ShutdownAccepted { .. } => Kind::DeliverShutdownAccepted,
            Msg::AlterPartitionResponse { .. } => Kind::DeliverAlterPartitionResponse,
            Msg::PartitionChange(_) => Kind::DeliverPartitionChange,
            Msg::Fetch(_) => Kind::DeliverFetch,
            Msg::FetchResponse { .. } => Kind::DeliverFetchResponse,
            Msg::OffsetsForLeaderEpoch { .. } => Kind::DeliverOffsetsForLeaderEpoch,
            Msg::OffsetsForLeaderEpochResponse { .. } => Kind::DeliverOffsetsForLeaderEpochResponse,
            Msg::Produce { .. } => Kind::DeliverProduce,
            Msg::ProduceResponse { .. } => Kind::DeliverProduceResponse,
            Msg::ProduceStalled { .. } => Kind::DeliverProduceStalled,
            Msg::Request(_) => Kind::DeliverClientRequest,
            Msg::Response(_) => Kind::DeliverClientResponse,
            // A controller's request counts as what it asks, whatever epoch stamps it.
            Msg::FromController { msg, .. } => Kind::of_msg(msg),
            Msg::CoordinatorWrite { .. } => Kind::DeliverCoordinatorWrite,
            Msg::WriteAccepted { .. } => Kind::DeliverWriteAccepted,
            Msg::WriteRejected => Kind::DeliverWriteRejected,
            Msg::ControllerGone => Kind::DeliverControllerGone,
            Msg::ClaimController => Kind::DeliverClaimController,
            Msg::ControllerElected { .. } => Kind::DeliverControllerElected,
            Msg::ControllerSessionExpired => Kind::DeliverControllerSessionExpired,
            Msg::NotController(_) => Kind::DeliverNotController,
            Msg::SessionHeartbeat
            | Msg::FetchMetadata { .. }
            | Msg::ResignController
            | Msg::WriteOutOfOrder { .. }
            | Msg::WriteApplied { .. } => Kind::RuntimeOnly,
        }
    }

    pub fn of_timer(timer: &Timer) -> Kind {
        match timer {
            Timer::Crash => Kind::TimerCrash,
            Timer::PowerLoss => Kind::TimerPowerLoss,
            Timer::Shutdown => Kind::TimerShutdown,
            Timer::Restart => Kind::TimerRestart,
            Timer::LagTimeout(..) => Kind::TimerLagTimeout,
            Timer::FetchBackoff(_) => Kind::TimerFetchBackoff,
            Timer::SessionTimeout(_) => Kind::TimerSessionTimeout,
            Timer::PreferredElection(_) => Kind::TimerPreferredElection,
            Timer::RequestTimeout => Kind::TimerRequestTimeout,
            Timer::Heartbeat
            | Timer::FetchMaxWait(_)
            | Timer::FetchTimeout(_)
            | Timer::ControllerRequestTimeout
            | Timer::MetadataFetch
            | Timer::CoordinatorWriteTimeout => Kind::RuntimeOnly,
            Timer::CutLink(_) => Kind::TimerCutLink,
            Timer::ControllerSessionExpiry => Kind::TimerControllerSessionExpiry,
        }
    }

    pub fn of_action(action: &Action) -> Kind {
        match action {
            ActorModelAction::Deliver { msg, .. } => Kind::of_msg(msg),
            ActorModelAction::Timeout(_, timer) => Kind::of_timer(timer),
            ActorModelAction::Drop(_)
            | ActorModelAction::Crash(_)
            | ActorModelAction::Recover(_)
            | ActorModelAction::SelectRandom { .. } => Kind::Stateright,
        }
    }
}

/// The engine's classifier: an action's kind as an index into `Kind::ALL`.
pub fn classify(action: &Action) -> usize {
    Kind::of_action(action) as usize
}

/// One line of the coverage report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub kind: &'static str,
    /// Transitions of this kind explored (within the fault budget), repeats included.
    pub fired: usize,
    /// Of those, the transitions that reached a state for the first time.
    pub new_states: usize,
}

/// Kinds that only some configurations can fire (an operator, link cuts, controller candidates), or none (stateright's
/// own actions, the runtime's): the report lists them only when they fired.
pub const LISTED_IF_FIRED: &[Kind] = &[
    Kind::DeliverProduceStalled,
    Kind::DeliverClientRequest,
    Kind::DeliverClientResponse,
    Kind::TimerCutLink,
    Kind::DeliverCoordinatorWrite,
    Kind::DeliverWriteAccepted,
    Kind::DeliverWriteRejected,
    Kind::DeliverControllerGone,
    Kind::DeliverClaimController,
    Kind::DeliverControllerElected,
    Kind::DeliverControllerSessionExpired,
    Kind::DeliverNotController,
    Kind::TimerControllerSessionExpiry,
    Kind::Stateright,
    Kind::RuntimeOnly,
];

/// The report's rows from the engine's counts (indexed like `Kind::ALL`): every kind, in order,
/// except those of `LISTED_IF_FIRED` that never fired.
pub fn rows(fired: &[usize], new_states: &[usize]) -> Vec<Row> {
    assert_eq!(fired.len(), Kind::ALL.len(), "one count per kind");
    assert_eq!(new_states.len(), Kind::ALL.len(), "one count per kind");
    Kind::ALL
        .iter()
        .enumerate()
        .filter(|(i, k)| fired[*i] > 0 || !LISTED_IF_FIRED.contains(k))
        .map(|(i, k)| Row { kind: k.name(), fired: fired[i], new_states: new_states[i] })
        .collect()
}

/// The text table, printed after the property table.
pub fn table(rows: &[Row]) -> String {
    let mut cells = vec![["action", "fired", "new states", ""].map(String::from).to_vec()];
    for row in rows {
        cells.push(vec![
            row.kind.to_string(),
            crate::report::thousands(row.fired),
            crate::report::thousands(row.new_states),
            (if row.fired == 0 { "NEVER FIRED" } else { "" }).to_string(),
        ]);
    }
    let mut out = String::new();
    for line in layout(&cells, &[Align::Left, Align::Right, Align::Right, Align::Left]).lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::broker_set::BrokerSet;
    use kelp_model::ids::{
        BrokerEpoch, BrokerId, Incarnation, LeaderEpoch, Offset, PartitionEpoch, PartitionId, ProducerId, Sequence,
        WriteCount,
    };
    use kelp_model::log::EpochEnd;
    use kelp_model::metadata::PartitionState;
    use kelp_model::msg::{
        ClientRequest, ClientResponse, ElectionType, FetchError, FetchRequest, FetchResult, ProduceError,
    };
    use stateright::actor::Id;

    fn partition() -> PartitionState {
        PartitionState {
            partition: PartitionId(0),
            replicas: vec![BrokerId(1)],
            leader: Some(BrokerId(1)),
            leader_epoch: LeaderEpoch(1),
            partition_epoch: PartitionEpoch(1),
            isr: BrokerSet::default(),
            elr: BrokerSet::default(),
            last_known_elr: BrokerSet::default(),
        }
    }

    /// One message of each variant.
    fn messages() -> Vec<Msg> {
        let (p, b, be, le) = (PartitionId(0), BrokerId(1), BrokerEpoch(1), LeaderEpoch(1));
        vec![
            Msg::RegisterBroker { broker: b, previous_epoch: None, incarnation: Incarnation(1) },
            Msg::BrokerHeartbeat { broker: b, broker_epoch: be },
            Msg::HeartbeatsStopped { broker: b, broker_epoch: be },
            Msg::ControlledShutdown { broker: b, broker_epoch: be },
            Msg::AlterPartition {
                partition: p,
                leader: b,
                broker_epoch: be,
                leader_epoch: le,
                partition_epoch: PartitionEpoch(1),
                isr: vec![],
            },
            Msg::RegistrationAccepted { broker_epoch: be, partitions: vec![], incarnation: Incarnation(1) },
            Msg::SessionExpired { broker_epoch: be },
            Msg::ShutdownAccepted { broker_epoch: be },
            Msg::AlterPartitionResponse {
                partition: p,
                request_partition_epoch: PartitionEpoch(1),
                result: Ok(partition()),
            },
            Msg::PartitionChange(partition()),
            Msg::Fetch(FetchRequest {
                partition: p,
                replica: b,
                broker_epoch: be,
                current_leader_epoch: le,
                fetch_offset: Offset(0),
                last_fetched_epoch: None,
                known_high_watermark: Offset(0),
            }),
            Msg::FetchResponse {
                partition: p,
                current_leader_epoch: le,
                fetch_offset: Offset(0),
                result: FetchResult::Error(FetchError::FencedLeaderEpoch),
            },
            Msg::OffsetsForLeaderEpoch { partition: p, replica: b, current_leader_epoch: le, epoch: le },
            Msg::OffsetsForLeaderEpochResponse {
                partition: p,
                current_leader_epoch: le,
                result: Ok(Some(EpochEnd { epoch: le, end_offset: Offset(0) })),
            },
            Msg::Produce {
                partition: p,
                producer: ProducerId(1),
                sequence: Sequence(0),
                acks: kelp_model::config::Acks::All,
                idempotent: true,
                value: Default::default(),
            },
            Msg::ProduceResponse { partition: p, sequence: Sequence(0), result: Err(ProduceError::TimedOut) },
            Msg::ProduceStalled { broker: b },
        ]
    }

    fn timers() -> Vec<Timer> {
        vec![
            Timer::Crash,
            Timer::PowerLoss,
            Timer::Shutdown,
            Timer::Restart,
            Timer::LagTimeout(PartitionId(0), BrokerId(2)),
            Timer::FetchBackoff(PartitionId(0)),
            Timer::SessionTimeout(BrokerId(1)),
            Timer::PreferredElection(PartitionId(0)),
            Timer::RequestTimeout,
            Timer::CutLink(ProducerId(1)),
        ]
    }

    #[test]
    fn kinds_are_listed_in_order_with_distinct_names() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    #[test]
    fn every_message_and_timer_has_a_kind_of_its_own_and_every_kind_has_one() {
        let mut kinds: Vec<Kind> = messages().iter().map(Kind::of_msg).collect();
        kinds.push(Kind::of_msg(&Msg::Request(ClientRequest::DescribePartitions)));
        kinds.push(Kind::of_msg(&Msg::Response(ClientResponse::Partitions(vec![]))));
        kinds.extend(timers().iter().map(Kind::of_timer));
        kinds.extend(coordination().iter().map(Kind::of_msg));
        kinds.push(Kind::of_timer(&Timer::ControllerSessionExpiry));
        kinds.push(Kind::Stateright);
        kinds.push(Kind::RuntimeOnly);
        // One sample per variant, each to a different kind, covering the whole list.
        assert_eq!(kinds, Kind::ALL);
    }

    /// The messages between controller candidates and the coordinator.
    fn coordination() -> Vec<Msg> {
        let image = Box::new(kelp_model::controller::ControllerState::bootstrap(&Default::default()));
        let epoch = kelp_model::ids::ControllerEpoch(1);
        vec![
            Msg::CoordinatorWrite { epoch, changes: Default::default(), then: vec![], cause: None },
            Msg::WriteAccepted { then: vec![] },
            Msg::WriteRejected,
            Msg::ControllerGone,
            Msg::ClaimController,
            Msg::ControllerElected { epoch, image },
            Msg::ControllerSessionExpired,
            Msg::NotController(Box::new(Msg::ClaimController)),
        ]
    }

    #[test]
    fn a_controller_s_stamped_request_counts_as_what_it_asks() {
        for msg in messages() {
            let stamped =
                Msg::FromController { epoch: kelp_model::ids::ControllerEpoch(2), msg: Box::new(msg.clone()) };
            assert_eq!(Kind::of_msg(&stamped), Kind::of_msg(&msg));
        }
    }

    #[test]
    fn client_requests_are_one_kind_each_way_and_heartbeats_are_the_runtime_s() {
        let requests = [
            ClientRequest::DescribePartitions,
            ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: vec![] },
            ClientRequest::AlterPartitionReassignments { partition: PartitionId(0), replicas: vec![] },
        ];
        for request in requests {
            assert_eq!(Kind::of_msg(&Msg::Request(request)), Kind::DeliverClientRequest);
        }
        let response = ClientResponse::PartitionReassigned { partition: PartitionId(0), result: Ok(()) };
        assert_eq!(Kind::of_msg(&Msg::Response(response)), Kind::DeliverClientResponse);
        let timers =
            [Timer::Heartbeat, Timer::ControllerRequestTimeout, Timer::MetadataFetch, Timer::CoordinatorWriteTimeout];
        for timer in timers {
            assert_eq!(Kind::of_timer(&timer), Kind::RuntimeOnly, "{timer:?}");
        }
        let out_of_order = Msg::WriteOutOfOrder {
            epoch: kelp_model::ids::ControllerEpoch(1),
            follows: WriteCount(2),
            applied: WriteCount(1),
        };
        let applied = Msg::WriteApplied { applied: WriteCount(2), then: vec![] };
        for msg in [Msg::FetchMetadata { broker: BrokerId(1) }, Msg::ResignController, out_of_order, applied] {
            assert_eq!(Kind::of_msg(&msg), Kind::RuntimeOnly, "{msg}");
        }
    }

    #[test]
    fn a_delivered_message_is_named_as_its_display_names_it() {
        for msg in messages() {
            let shown = msg.to_string();
            let name = shown.split('{').next().unwrap();
            let expected = match name {
                "(heartbeats stop)" => "HeartbeatsStopped",
                name => name,
            };
            assert_eq!(Kind::of_msg(&msg).name(), format!("deliver {expected}"), "{shown}");
        }
    }

    #[test]
    fn actions_are_classified_by_message_or_timer() {
        let deliver = ActorModelAction::Deliver {
            src: Id::from(1),
            dst: Id::from(0),
            msg: Msg::SessionExpired { broker_epoch: BrokerEpoch(2) },
        };
        assert_eq!(Kind::ALL[classify(&deliver)].name(), "deliver SessionExpired");
        let timeout: Action = ActorModelAction::Timeout(Id::from(2), Timer::LagTimeout(PartitionId(0), BrokerId(3)));
        assert_eq!(Kind::ALL[classify(&timeout)].name(), "timer LagTimeout");
        assert_eq!(Kind::ALL[classify(&ActorModelAction::Crash(Id::from(1)))], Kind::Stateright);
    }

    #[test]
    fn never_fired_kinds_are_flagged_and_stateright_actions_hidden_unless_fired() {
        let n = Kind::ALL.len();
        let mut fired = vec![0; n];
        let mut new_states = vec![0; n];
        fired[Kind::DeliverFetch as usize] = 1234;
        new_states[Kind::DeliverFetch as usize] = 56;
        let rows = rows(&fired, &new_states);
        let hidden = LISTED_IF_FIRED.len();
        assert_eq!(rows.len(), n - hidden, "kinds of other configurations, stateright's and the runtime's are hidden");
        let text = table(&rows);
        assert!(text.contains("\ndeliver Fetch                          1,234          56\n"), "{text}");
        assert!(text.contains("\ntimer Crash                                0           0  NEVER FIRED\n"), "{text}");
        fired[Kind::Stateright as usize] = 1;
        assert_eq!(super::rows(&fired, &new_states).len(), n - hidden + 1);
        fired[Kind::RuntimeOnly as usize] = 1;
        assert_eq!(super::rows(&fired, &new_states).len(), n - hidden + 2);
    }
}

//! Registrations (KIP-631) and restarts: a new incarnation fences the old one; an unclean restart
//! leaves the ELR (KIP-966).

use super::*;

/// The controller's acceptance of incarnation 1's registration, in broker epoch `broker_epoch`,
/// with every partition record.
fn accepted(broker_epoch: u32, partitions: Vec<PartitionState>) -> Msg {
    Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(broker_epoch), partitions, incarnation: Incarnation(1) }
}

#[test]
fn bootstrap_registers_every_broker_and_elects_the_preferred_leaders() {
    let cfg = Config::default();
    let c = ControllerState::bootstrap(&cfg);
    assert_eq!(
        c,
        ControllerState {
            brokers: vec![reg(1, false, false), reg(2, false, false), reg(3, false, false)],
            next_broker_epoch: BrokerEpoch(4),
            partitions: vec![record(Some(1), 1, 1, &[1, 2, 3], &[], &[])],
            session_expiries: 0,
            role: ControllerRole::Sole,
            writes: Writes::default(),
        }
    );
    assert_eq!(c.active_brokers(), set(&[1, 2, 3]));

    let cfg = Config { partitions: 2, ..Config::default() };
    let c = ControllerState::bootstrap(&cfg);
    assert_eq!(c.partitions[1].replicas, vec![b(2), b(3), b(1)]);
    assert_eq!(c.partitions[1].leader, Some(b(2)));
}

#[test]
fn registering_a_live_leader_fences_the_old_incarnation_and_moves_leadership() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(1), previous_epoch: None, incarnation: Incarnation(1) });
    // Broker 1 left the ISR (still at min ISR: no ELR) and broker 2 leads in epoch 2.
    let r = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    // The new record reaches brokers 2 and 3 and the producer, not the registering broker 1, which
    // gets every record in RegistrationAccepted instead.
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(2)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), Msg::PartitionChange(r.clone())),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(1)), accepted(4, vec![r.clone()])),
        ])
    );
    assert_eq!(c.brokers, vec![reg(4, true, false), reg(2, false, false), reg(3, false, false)]);
    assert_eq!(c.next_broker_epoch, BrokerEpoch(5));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.session_expiries, 0, "a re-registration is not a session expiry");
}

#[test]
fn registering_a_live_follower_tells_only_the_leader_about_the_isr_shrink() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    // A clean shutdown epoch matching the old registration: fenced, but no unclean-shutdown removal.
    let fx = step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(3)), incarnation: Incarnation(1) },
    );
    let r = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), accepted(4, vec![r.clone()])),
        ])
    );
    assert_eq!(c.brokers[2], reg(4, true, false));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn a_registration_sent_again_by_the_same_incarnation_amends_it_and_changes_nothing() {
    let cfg = Config { eligible_leader_replicas: true, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    let register = |incarnation| Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation };
    step(&mut c, &cfg, register(Incarnation(1)));
    step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(4) });
    assert_eq!(c.brokers[2], reg(4, false, false));
    // Its answer was lost: the same process asks again, unchanged. The same broker epoch, still
    // unfenced; no unclean-shutdown handling, no record changed.
    let before = c.clone();
    let fx = step(&mut c, &cfg, register(Incarnation(1)));
    assert_eq!(fx, sends(vec![(Address::Broker(b(3)), accepted(4, before.partitions.clone()))]));
    assert_eq!(c, before);
    // Another process of broker 3 is a restart: fenced, a new broker epoch.
    step(&mut c, &cfg, register(Incarnation(2)));
    assert_eq!(
        (c.brokers[2].epoch, c.brokers[2].fenced, c.brokers[2].incarnation),
        (BrokerEpoch(5), true, Incarnation(2))
    );
}

#[test]
fn an_unclean_restart_takes_the_broker_out_of_the_elr() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    // No previous epoch: the broker did not shut down cleanly (KIP-966) and may have lost data.
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation: Incarnation(1) });
    let r = record(Some(1), 1, 4, &[1], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), accepted(4, vec![r.clone()])),
        ])
    );
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.brokers, vec![reg(1, false, false), reg(2, true, false), reg(4, true, false)]);
    assert_eq!(c.next_broker_epoch, BrokerEpoch(5));
}

#[test]
fn a_previous_epoch_of_another_incarnation_is_an_unclean_restart_too() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(2)), incarnation: Incarnation(1) },
    );
    assert_eq!(c.partitions[0].elr, BrokerSet::EMPTY);
}

#[test]
fn a_clean_restart_keeps_the_broker_in_the_elr() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    let before = c.partitions.clone();
    let fx = step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(3)), incarnation: Incarnation(1) },
    );
    assert_eq!(fx, sends(vec![(Address::Broker(b(3)), accepted(4, before.clone()))]));
    assert_eq!(c.partitions, before);
    assert_eq!(c.partitions[0].elr, set(&[3]));
    assert_eq!(c.brokers[2], reg(4, true, false));
}

#[test]
fn without_elr_an_unclean_restart_changes_nothing_but_the_registration() {
    let cfg = Config { eligible_leader_replicas: false, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(3, true, false);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let before = c.partitions.clone();
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation: Incarnation(1) });
    assert_eq!(fx, sends(vec![(Address::Broker(b(3)), accepted(4, before.clone()))]));
    assert_eq!(c.partitions, before);
}

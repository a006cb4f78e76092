//! Broker lifecycle at the controller (`ClusterControlManager`, `BrokerHeartbeatManager`):
//! registration with a new broker epoch, unfencing by heartbeat, controlled shutdown, and session
//! expiry.

use super::{ControllerState, Registration};
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerEpoch, BrokerId, Incarnation};
use crate::msg::Msg;
use crate::timer::Timer;

impl ControllerState {
    /// `registerBroker` with a new incarnation. Kafka refuses it while the old session is still
    /// valid, and the broker retries until the session expires and the old incarnation is fenced;
    /// the model takes that wait as one step: fence the old incarnation first. With KIP-966, a
    /// broker whose `previous_epoch` does not match its last registration shut down uncleanly and
    /// leaves every ISR and ELR. The new registration gets a fresh broker epoch (KIP-380) and
    /// starts fenced. A registration sent again by the incarnation that registered (its answer
    /// was lost) amends it: the same broker epoch, fenced or not as it was, nothing else changes
    /// ("Amending registration of broker", `ClusterControlManager.registerBroker`).
    pub fn on_register(
        &mut self,
        cfg: &Config,
        broker: BrokerId,
        previous_epoch: Option<BrokerEpoch>,
        incarnation: Incarnation,
        fx: &mut Effects,
    ) {
        let old = *self.registration(broker);
        if old.incarnation == incarnation {
            let accepted =
                Msg::RegistrationAccepted { broker_epoch: old.epoch, partitions: self.partitions.clone(), incarnation };
            fx.send(Address::Broker(broker), accepted);
            return;
        }
        if !old.fenced {
            self.fence(cfg, broker, fx);
        }
        if cfg.eligible_leader_replicas && previous_epoch != Some(old.epoch) {
            self.remove_from_isrs(cfg, broker, true, fx);
        }
        // The new incarnation receives every record in RegistrationAccepted; records about the
        // old one's removal would reach it before that and be discarded unread.
        fx.sends.retain(|(to, msg)| !(*to == Address::Broker(broker) && matches!(msg, Msg::PartitionChange(_))));
        let epoch = self.next_broker_epoch;
        self.next_broker_epoch = epoch.next();
        *self.registration_mut(broker) =
            Registration { epoch, fenced: true, in_controlled_shutdown: false, silent: false, incarnation };
        fx.send(
            Address::Broker(broker),
            Msg::RegistrationAccepted { broker_epoch: epoch, partitions: self.partitions.clone(), incarnation },
        );
    }

    /// A heartbeat from a fenced broker of the current epoch unfences it (`handleBrokerUnfenced`);
    /// leaderless partitions then try an election. From an unfenced one it restarts the session
    /// timer (`BrokerHeartbeatManager.touch`; runtime heartbeats only). Heartbeats of an old
    /// incarnation are ignored.
    pub fn on_heartbeat(&mut self, cfg: &Config, broker: BrokerId, broker_epoch: BrokerEpoch, fx: &mut Effects) {
        let reg = self.registration_mut(broker);
        if reg.epoch != broker_epoch {
            return;
        }
        if !reg.fenced {
            if cfg.runtime.heartbeats {
                fx.restart_timer(Timer::SessionTimeout(broker));
            }
            return;
        }
        reg.fenced = false;
        self.elect_leaderless(cfg, fx);
    }

    /// `handleBrokerInControlledShutdown`: move the broker's leaderships away and take it out of
    /// every ISR, then let it stop.
    pub fn on_controlled_shutdown(
        &mut self,
        cfg: &Config,
        broker: BrokerId,
        broker_epoch: BrokerEpoch,
        fx: &mut Effects,
    ) {
        if self.registration(broker).epoch != broker_epoch {
            return;
        }
        if cfg.runtime.heartbeats {
            fx.restart_timer(Timer::SessionTimeout(broker));
        }
        self.registration_mut(broker).in_controlled_shutdown = true;
        self.remove_from_isrs(cfg, broker, false, fx);
        fx.send(Address::Broker(broker), Msg::ShutdownAccepted { broker_epoch });
    }

    /// The broker's process died: no heartbeat of this incarnation will come again.
    pub fn on_heartbeats_stopped(&mut self, broker: BrokerId, broker_epoch: BrokerEpoch) {
        let reg = self.registration_mut(broker);
        if reg.epoch == broker_epoch {
            reg.silent = true;
        }
    }

    /// `broker.session.timeout.ms` passed without a heartbeat (`BrokerHeartbeatManager`): fence the
    /// broker and tell it (its next heartbeat response would). The session of a dead broker always
    /// expires; a live broker's expiring (a GC pause, a slow network) is a fault of the budget.
    pub fn on_session_timeout(&mut self, cfg: &Config, broker: BrokerId, fx: &mut Effects) {
        let reg = *self.registration(broker);
        if reg.fenced {
            return;
        }
        if !reg.silent {
            self.session_expiries = self.session_expiries.saturating_add(1);
        }
        self.fence(cfg, broker, fx);
        let broker_epoch = self.registration(broker).epoch;
        fx.send(Address::Broker(broker), Msg::SessionExpired { broker_epoch });
    }

    /// `handleBrokerFenced`: mark fenced, then remove from every ISR and re-elect.
    fn fence(&mut self, cfg: &Config, broker: BrokerId, fx: &mut Effects) {
        self.registration_mut(broker).fenced = true;
        self.remove_from_isrs(cfg, broker, false, fx);
    }
}

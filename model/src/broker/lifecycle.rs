//! A broker's life: first start, the three kinds of stop (process crash, power loss, controlled
//! shutdown), restart with log recovery, and registration with the controller.

use super::{BrokerState, Ctx, Disk, FaultsSuffered, Process, Replica, Role, Session};
use crate::effects::{Address, Effects};
use crate::ids::{BrokerEpoch, ControllerEpoch, Incarnation};
use crate::metadata::PartitionState;
use crate::msg::Msg;

impl BrokerState {
    /// A broker of the freshly formatted cluster: registered in the bootstrap metadata with broker
    /// epoch = its id, having applied the bootstrap partition records (leading or fetching).
    pub fn bootstrap(ctx: Ctx<'_>, records: &[PartitionState], fx: &mut Effects) -> Self {
        let mut broker = BrokerState {
            disk: Disk::empty(ctx.cfg),
            process: Some(Process::new(ctx, Session::Registered(BrokerEpoch(u32::from(ctx.me.0))))),
            faults: FaultsSuffered::default(),
            links_cut: Vec::new(),
        };
        for record in records {
            broker.on_partition_change(ctx, record.clone(), fx);
        }
        broker
    }

    /// Starts a broker process (`incarnation`) from what is on disk (a restart): log recovery,
    /// removal of the clean-shutdown marker, and BrokerRegistration carrying the epoch of a clean
    /// shutdown.
    pub fn start_from_disk(
        ctx: Ctx<'_>,
        mut disk: Disk,
        faults: FaultsSuffered,
        incarnation: Incarnation,
        fx: &mut Effects,
    ) -> Self {
        disk.recover();
        let previous_epoch = disk.clean_shutdown_epoch.take();
        fx.save_disk = true;
        let session = Session::Registering { previous_epoch, incarnation };
        let mut broker = BrokerState { disk, process: Some(Process::new(ctx, session)), faults, links_cut: Vec::new() };
        broker.register(ctx, fx);
        broker
    }

    /// Sends BrokerRegistration, first at the start and again, unchanged, when it went unanswered
    /// (`BrokerLifecycleManager` sends it again after a failure).
    pub(super) fn register(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        let Some(Process { session: Session::Registering { previous_epoch, incarnation }, .. }) = self.process else {
            return;
        };
        fx.send(Address::Controller, Msg::RegisterBroker { broker: ctx.me, previous_epoch, incarnation });
    }

    /// SIGKILL: memory is gone, the page cache (every written record) survives.
    pub(super) fn crash(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        self.die(ctx, fx);
        self.faults.crashes += 1;
    }

    /// Power loss: memory and every unflushed record are gone.
    pub(super) fn power_loss(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        self.die(ctx, fx);
        self.faults.power_losses += 1;
        self.disk.lose_unflushed();
        fx.save_disk = true;
    }

    /// The process is gone, and with it the heartbeats of its session: the controller will fence it
    /// after `broker.session.timeout.ms` (recovery, not a fault: it is not in the fault budget).
    fn die(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        let process = self.process.take().expect("only a running broker dies");
        if let Session::Registered(broker_epoch) | Session::ShuttingDown(broker_epoch) = process.session {
            fx.send(Address::Controller, Msg::HeartbeatsStopped { broker: ctx.me, broker_epoch });
        }
    }

    pub(super) fn restart(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        if self.process.is_none() {
            let faults = FaultsSuffered { restarts: self.faults.restarts + 1, ..self.faults };
            let links_cut = std::mem::take(&mut self.links_cut);
            // The checker numbers the starts: the bootstrap process was 0.
            let incarnation = Incarnation(u64::from(faults.restarts));
            *self = BrokerState { links_cut, ..Self::start_from_disk(ctx, self.disk.clone(), faults, incarnation, fx) };
        }
    }

    /// Controlled shutdown (`kafka-server-stop`): ask the controller to move leadership away.
    pub(super) fn begin_controlled_shutdown(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        let process = self.process.as_mut().expect("only a running broker shuts down");
        if let Session::Registered(epoch) = process.session {
            process.session = Session::ShuttingDown(epoch);
            self.faults.shutdowns += 1;
            fx.send(Address::Controller, Msg::ControlledShutdown { broker: ctx.me, broker_epoch: epoch });
        }
    }

    /// The controller moved leadership away: flush, write the clean-shutdown marker, stop.
    pub(super) fn on_shutdown_accepted(&mut self, broker_epoch: BrokerEpoch, fx: &mut Effects) {
        let process = self.process.as_ref().expect("checked by on_msg");
        if process.session == Session::ShuttingDown(broker_epoch) {
            self.disk.flush_all();
            self.disk.clean_shutdown_epoch = Some(broker_epoch);
            self.process = None;
            fx.save_disk = true;
        }
    }

    /// Registered: fenced until a heartbeat; replay the metadata it missed. An answer to another
    /// process of this broker (one that died before it arrived) is not ours: Kafka would have
    /// sent it on that process's connection.
    pub(super) fn on_registration_accepted(
        &mut self,
        ctx: Ctx<'_>,
        broker_epoch: BrokerEpoch,
        partitions: Vec<PartitionState>,
        answered: Incarnation,
        fx: &mut Effects,
    ) {
        let process = self.process.as_mut().expect("checked by on_msg");
        if !matches!(process.session, Session::Registering { incarnation, .. } if incarnation == answered) {
            return;
        }
        process.session = Session::Registered(broker_epoch);
        fx.send(Address::Controller, Msg::BrokerHeartbeat { broker: ctx.me, broker_epoch });
        for meta in partitions {
            self.on_partition_change(ctx, meta, fx);
        }
    }

    /// `broker.heartbeat.interval.ms` (runtime heartbeats): a BrokerHeartbeat keeps the session
    /// alive; while shutting down, the heartbeat asks again to shut down (`wantShutDown`), so a
    /// lost request or answer is retried.
    pub(super) fn heartbeat(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        let Some(process) = &self.process else { return };
        let msg = match process.session {
            Session::Registering { .. } => return,
            Session::Registered(broker_epoch) => Msg::BrokerHeartbeat { broker: ctx.me, broker_epoch },
            Session::ShuttingDown(broker_epoch) => Msg::ControlledShutdown { broker: ctx.me, broker_epoch },
        };
        fx.send(Address::Controller, msg);
    }

    /// A fetch of the metadata log (`RuntimeSettings::metadata_fetch`): ask the controller for
    /// the records of this broker's partitions. A registering broker applies none yet.
    pub(super) fn fetch_metadata(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        if self.broker_epoch().is_some() {
            fx.send(Address::Controller, Msg::FetchMetadata { broker: ctx.me });
        }
    }

    /// The session expired and the controller fenced us: heartbeat to be unfenced.
    pub(super) fn on_session_expired(&mut self, ctx: Ctx<'_>, broker_epoch: BrokerEpoch, fx: &mut Effects) {
        if self.broker_epoch() == Some(broker_epoch) {
            fx.send(Address::Controller, Msg::BrokerHeartbeat { broker: ctx.me, broker_epoch });
        }
    }
}

impl Process {
    fn new(ctx: Ctx<'_>, session: Session) -> Self {
        let replicas = ctx.cfg.partition_ids().map(|_| Replica { meta: None, role: Role::None }).collect();
        Process { session, replicas, controller_epoch: ControllerEpoch::default() }
    }
}

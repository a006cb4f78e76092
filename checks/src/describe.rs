//! Each actor's state as named fields with readable values (`p0 log: [p1#0@e1]`), so that a
//! counterexample step can show only the fields that changed, before -> after.

use kelp_model::actor::KelpState;
use kelp_model::broker::{BrokerState, FetchState, Role, Session};
use kelp_model::config::Config;
use kelp_model::controller::{ControllerRole, ControllerState};
use kelp_model::coordinator::CoordinatorState;
use kelp_model::effects::Address;
use kelp_model::ids::{BrokerId, PartitionId};
use kelp_model::producer::{Outcome, ProducerState};
use kelp_model::timer::Timer;

pub type Fields = Vec<(String, String)>;

pub fn describe(cfg: &Config, actor: Address, state: &KelpState) -> Fields {
    match (state, actor) {
        (KelpState::Controller(c), _) => controller(cfg, c),
        (KelpState::Broker(b), Address::Broker(me)) => broker(cfg, me, b),
        (KelpState::Broker(_), _) => unreachable!("a broker state belongs to a broker"),
        (KelpState::Producer(p), _) => producer(p),
        (KelpState::Operator(o), _) => {
            let demoted = o.demoted.map_or_else(|| "none".to_string(), |b| format!("broker {b}"));
            vec![("demoted".into(), demoted)]
        }
        (KelpState::Coordinator(z), _) => coordinator(cfg, z),
    }
}

fn coordinator(cfg: &Config, z: &CoordinatorState) -> Fields {
    let owner = z.controller.map_or_else(|| "none (deleted)".to_string(), |c| format!("controller {c}"));
    let mut fields = vec![("/controller".into(), owner), ("/controller_epoch".into(), z.epoch.to_string())];
    fields.extend(controller(cfg, &z.committed).into_iter().map(|(k, v)| (format!("committed {k}"), v)));
    let waiting: Vec<String> = z.waiting.iter().map(ToString::to_string).collect();
    fields.push(("waiting".into(), format!("[{}]", waiting.join(", "))));
    fields.push(("controller session expiries".into(), z.expiries.to_string()));
    fields
}

fn controller(cfg: &Config, c: &ControllerState) -> Fields {
    let mut fields = Vec::new();
    for (i, r) in c.brokers.iter().enumerate() {
        fields.push((format!("broker {}", i + 1), r.to_string()));
    }
    for p in &c.partitions {
        let leader = p.leader.map_or_else(|| "none".to_string(), |l| l.to_string());
        fields.push((
            format!("p{}", p.partition),
            format!(
                "leader {leader}, leader epoch {}, partition epoch {}, isr [{}], elr [{}]",
                p.leader_epoch, p.partition_epoch, p.isr, p.elr
            ),
        ));
        // The leadership priority, once an operator changed it.
        if p.replicas != cfg.replicas(p.partition) {
            let order: Vec<String> = p.replicas.iter().map(ToString::to_string).collect();
            fields.push((format!("p{} replicas", p.partition), format!("[{}]", order.join(","))));
        }
    }
    fields.push(("session expiries".into(), c.session_expiries.to_string()));
    match c.role {
        ControllerRole::Sole => {}
        ControllerRole::Active(epoch) => fields.push(("role".into(), format!("active in controller epoch {epoch}"))),
        ControllerRole::Standby => fields.push(("role".into(), "standby (watching /controller)".into())),
    }
    fields
}

fn broker(cfg: &Config, me: BrokerId, b: &BrokerState) -> Fields {
    let mut fields = Vec::new();
    let status = match b.process.as_ref().map(|p| p.session) {
        None => "down".to_string(),
        Some(Session::Registering { .. }) => "up, registering".to_string(),
        Some(Session::Registered(e)) => format!("up, broker epoch {e}"),
        Some(Session::ShuttingDown(e)) => format!("up, broker epoch {e}, shutting down"),
    };
    fields.push(("process".into(), status));
    for p in cfg.partition_ids() {
        if !cfg.replicas(p).contains(&me) {
            continue;
        }
        let disk = b.disk.replica(p);
        fields.push((format!("p{p} log"), disk.log.to_string()));
        let epochs: Vec<String> = disk.log.epochs.iter().map(|e| format!("e{}@{}", e.epoch, e.start_offset)).collect();
        fields.push((format!("p{p} epoch cache"), format!("[{}]", epochs.join(" "))));
        fields.push((format!("p{p} hw"), disk.high_watermark.to_string()));
        fields.push((format!("p{p} flushed"), disk.flushed.to_string()));
        if let Some(replica) = b.replica(p) {
            fields.extend(role(p, replica));
        }
    }
    if let Some(e) = b.disk.clean_shutdown_epoch {
        fields.push(("clean-shutdown marker".into(), format!("epoch {e}")));
    }
    let f = b.faults;
    let counts: Vec<String> = [
        ("crashes", f.crashes),
        ("power losses", f.power_losses),
        ("shutdowns", f.shutdowns),
        ("isr shrinks", f.isr_shrinks),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(what, n)| format!("{what} {n}"))
    .collect();
    fields.push(("faults".into(), if counts.is_empty() { "none".to_string() } else { counts.join(", ") }));
    if !b.links_cut.is_empty() {
        let cut: Vec<String> = b.links_cut.iter().map(|p| format!("producer {}", p.0)).collect();
        fields.push(("links cut".into(), cut.join(", ")));
    }
    fields
}

fn role(p: PartitionId, replica: &kelp_model::broker::Replica) -> Fields {
    let epoch = replica.meta.as_ref().map_or_else(|| "-".to_string(), |m| m.leader_epoch.to_string());
    let mut fields = Vec::new();
    let role = match &replica.role {
        Role::None => "none".to_string(),
        Role::Leader(_) => format!("leader in epoch {epoch}"),
        Role::Follower(fetch) => {
            let leader = replica
                .meta
                .as_ref()
                .and_then(|m| m.leader)
                .map_or_else(|| "nobody".to_string(), |l| format!("broker {l}"));
            let doing = match fetch {
                FetchState::Idle => "idle".to_string(),
                FetchState::AwaitingEpochEnd { epoch } => format!("asking where epoch {epoch} ends"),
                FetchState::Fetching { fetch_offset } => format!("fetching at {fetch_offset}"),
                FetchState::Backoff { .. } => "backing off".to_string(),
            };
            format!("follower of {leader} in epoch {epoch}, {doing}")
        }
    };
    fields.push((format!("p{p} role"), role));
    if let (Role::Leader(l), Some(meta)) = (&replica.role, &replica.meta) {
        fields.push((format!("p{p} isr"), meta.isr.to_string()));
        if let Some(pending) = &l.pending_isr {
            fields.push((format!("p{p} pending isr"), pending.isr().to_string()));
        }
        let ends: Vec<String> = l
            .followers
            .iter()
            .map(|f| format!("{}:{}", f.broker, f.end_offset.map_or_else(|| "?".to_string(), |e| e.to_string())))
            .collect();
        fields.push((format!("p{p} follower ends"), ends.join(" ")));
        let acks: Vec<String> =
            l.pending_acks.iter().map(|a| format!("{}#{}@{}", a.producer, a.sequence, a.offset)).collect();
        fields.push((format!("p{p} waiting acks"), format!("[{}]", acks.join(" "))));
        let parked: Vec<String> =
            l.followers.iter().filter(|f| f.parked.is_some()).map(|f| f.broker.to_string()).collect();
        fields.push((format!("p{p} fetches held"), format!("[{}]", parked.join(","))));
    }
    fields
}

fn producer(p: &ProducerState) -> Fields {
    let mut fields = Vec::new();
    for (i, info) in p.leaders.iter().enumerate() {
        let leader = info.leader.map_or_else(|| "none".to_string(), |l| format!("broker {l}"));
        fields.push((format!("p{i} leader"), format!("{leader} (epoch {})", info.leader_epoch)));
    }
    let in_flight = match p.in_flight {
        None => "none".to_string(),
        Some(f) => match f.sent_to {
            Some(b) => format!("#{} to broker {b}, attempt {}", f.sequence, f.attempts),
            None => format!("#{} waiting to be sent", f.sequence),
        },
    };
    fields.push(("in flight".into(), in_flight));
    let outcomes: Vec<String> = p
        .outcomes
        .iter()
        .enumerate()
        .map(|(s, o)| match o {
            Outcome::Acked { partition, offset } => format!("#{s} acked at p{partition} offset {offset}"),
            Outcome::Failed { error, .. } => format!("#{s} failed: {error:?}"),
            Outcome::Sent { .. } => format!("#{s} sent (acks=0)"),
        })
        .collect();
    fields.push(("outcomes".into(), format!("[{}]", outcomes.join(", "))));
    fields
}

/// What a timer firing means, in Kafka's words.
pub fn timer(t: &Timer) -> String {
    match t {
        Timer::Crash => "process crash (SIGKILL)".to_string(),
        Timer::PowerLoss => "power loss (unflushed data lost)".to_string(),
        Timer::Shutdown => "controlled shutdown requested".to_string(),
        Timer::Restart => "process restart".to_string(),
        Timer::LagTimeout(p, b) => format!("replica.lag.time.max.ms passed for broker {b} on p{p}"),
        Timer::FetchBackoff(p) => format!("fetch backoff over for p{p}"),
        Timer::SessionTimeout(b) => format!("session of broker {b} expired"),
        Timer::PreferredElection(p) => format!("auto leader rebalance for p{p}"),
        Timer::RequestTimeout => "request.timeout.ms passed".to_string(),
        Timer::Heartbeat => "broker.heartbeat.interval.ms passed".to_string(),
        Timer::FetchMaxWait(p) => format!("replica.fetch.wait.max.ms passed for p{p}"),
        Timer::ControllerRequestTimeout => "controller.socket.timeout.ms passed: requests sent again".to_string(),
        Timer::MetadataFetch => "fetch of the metadata log".to_string(),
        Timer::FetchTimeout(p) => format!("replica.socket.timeout.ms passed for p{p}'s fetch"),
        Timer::CutLink(p) => format!("link to producer {} cut (partial partition)", p.0),
        Timer::ControllerSessionExpiry => "the controller's ZooKeeper session expired".to_string(),
        Timer::CoordinatorWriteTimeout => {
            "writes to ZooKeeper unanswered: the controller gives up /controller".to_string()
        }
    }
}

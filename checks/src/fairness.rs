//! Which of the model's actions weak fairness forces, for the native checker's liveness search
//! (`engine::liveness`). Recovery is fair: a message on a live TCP connection is delivered, a
//! stopped broker that may come back does (`Restart`), the controller fences a broker whose
//! heartbeats stopped (`broker.session.timeout.ms`), a fetch back-off and a producer's
//! `request.timeout.ms` run out, the auto-rebalance check runs. Faults are never forced: a crash,
//! a power loss, a controlled shutdown, an ISR shrink of a slow follower, the session expiry of a
//! live broker, a link cut (all bounded by the budget).

use crate::engine::fingerprint::fingerprint;
use crate::engine::liveness::Fairness;
use crate::trace::Action;
use kelp_model::config::Config;
use kelp_model::system::{self, SystemState};
use kelp_model::timer::Timer;
use kelp_model::view::View;
use stateright::actor::ActorModelAction;

/// The weak-fairness class of `action` in `state`: one class per message channel (source and
/// destination: TCP delivers in order, so the channel's head is what fairness forces) and one per
/// actor's recovery timer; `None` for faults.
pub fn class(cfg: &Config, state: &SystemState, action: &Action) -> Option<u64> {
    match action {
        ActorModelAction::Deliver { src, dst, .. } => Some(fingerprint(&("deliver", *src, *dst))),
        ActorModelAction::Timeout(id, timer) => {
            let fair = match timer {
                Timer::Crash
                | Timer::PowerLoss
                | Timer::Shutdown
                | Timer::LagTimeout(..)
                | Timer::CutLink(_)
                | Timer::ControllerSessionExpiry => false,
                // A dead broker's session runs out for sure; a live broker's expiry is a fault.
                Timer::SessionTimeout(b) => View::new(cfg, state).controller().registration(*b).silent,
                Timer::Restart
                | Timer::FetchBackoff(_)
                | Timer::PreferredElection(_)
                | Timer::RequestTimeout
                | Timer::Heartbeat
                | Timer::FetchMaxWait(_)
                | Timer::FetchTimeout(_)
                | Timer::ControllerRequestTimeout
                | Timer::MetadataFetch
                | Timer::CoordinatorWriteTimeout => true,
            };
            fair.then(|| fingerprint(&("timer", *id, *timer)))
        }
        // kelp's model never enables stateright's own faults (its network loses nothing).
        ActorModelAction::Drop(_)
        | ActorModelAction::Crash(_)
        | ActorModelAction::Recover(_)
        | ActorModelAction::SelectRandom { .. } => None,
    }
}

/// Runs `body` with the fairness of `cfg`'s model.
pub fn with<R>(cfg: &Config, body: impl FnOnce(Fairness<'_, SystemState, Action>) -> R) -> R {
    let class = |state: &SystemState, action: &Action| class(cfg, state, action);
    let beyond_bound = |state: &SystemState| system::beyond_exploration_bound(&View::new(cfg, state));
    body(Fairness { class: &class, beyond_bound: &beyond_bound })
}

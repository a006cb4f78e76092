//! One random walk: from the initial state, a uniformly random step among those enabled and within
//! the fault budget, judging every property after each step, until the depth limit, a terminal
//! state or the first violation. The walk records the actions themselves (not their indices, which
//! shift as stateright's own simulation shows) and the fingerprints of the states they led to (the
//! states themselves, kept for a long walk, grew its memory by a state per step).

use super::rng::SplitMix64;
use crate::engine::fingerprint::fingerprint;
use crate::trace::Action;
use kelp_model::properties::{self, Kind, Property};
use kelp_model::system::{KelpModel, SystemState};
use stateright::actor::ActorModelAction;
use stateright::Model;

/// Why a walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum End {
    /// It took `--depth` steps.
    Depth,
    /// No action is enabled at all: the system is at rest (where `eventually` is judged).
    Terminal,
    /// Every enabled action would spend more faults than the budget holds.
    Boundary,
    /// A property broke.
    Violation,
}

/// The walk up to a violated property: the actions taken and the fingerprints of the states they
/// led to (`fingerprints[0]` the initial state's, `fingerprints[i]` the state's after
/// `actions[i - 1]`).
pub struct Violation {
    pub property: &'static Property,
    pub actions: Vec<Action>,
    pub fingerprints: Vec<u64>,
}

pub struct Walk {
    pub steps: usize,
    pub end: End,
    /// The `sometimes` properties reached, as bits over `properties::ALL`.
    pub reached: u64,
    pub violation: Option<Violation>,
}

/// Every action stateright offers in `state`, in an order fixed across processes: stateright keeps
/// each actor's timers in a hash set whose iteration order depends on a hasher seeded at random
/// per process, so the timeouts are sorted (deliveries come first, in the network's own order).
pub fn actions(model: &KelpModel, state: &SystemState) -> Vec<Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.sort_by_key(|a| match a {
        ActorModelAction::Timeout(id, timer) => Some((usize::from(*id), *timer)),
        _ => None,
    });
    actions
}

/// What the properties have shown so far on a walk.
#[derive(Default)]
struct Ledger {
    reached: u64,
    /// `eventually` properties that held somewhere on the walk.
    satisfied: u64,
}

impl Ledger {
    /// Judges `state`; returns the first `always` property it breaks.
    fn observe(&mut self, model: &KelpModel, state: &SystemState) -> Option<&'static Property> {
        let mut broken = None;
        for (i, p) in properties::ALL.iter().enumerate() {
            let holds = (p.condition)(model, state);
            match p.kind {
                Kind::Always if !holds => broken = broken.or(Some(p)),
                Kind::Sometimes if holds => self.reached |= 1 << i,
                Kind::Eventually if holds => self.satisfied |= 1 << i,
                _ => {}
            }
        }
        broken
    }

    /// The first `eventually` property that never held on the walk.
    fn unsatisfied(&self) -> Option<&'static Property> {
        properties::ALL
            .iter()
            .enumerate()
            .find(|(i, p)| p.kind == Kind::Eventually && self.satisfied & (1 << i) == 0)
            .map(|(_, p)| p)
    }
}

/// A step out of `state` chosen uniformly among the enabled actions whose next state is within
/// the boundary (sampling without replacement until one is), or why there is none.
fn step(model: &KelpModel, state: &SystemState, rng: &mut SplitMix64) -> Result<(Action, SystemState), End> {
    let mut candidates = actions(model, state);
    let mut enabled = false;
    while !candidates.is_empty() {
        let action = candidates.swap_remove(rng.below(candidates.len()));
        if let Some(next) = model.next_state(state, action.clone()) {
            enabled = true;
            if model.within_boundary(&next) {
                return Ok((action, next));
            }
        }
    }
    Err(if enabled { End::Boundary } else { End::Terminal })
}

/// Walks at most `depth` steps from the model's initial state with the generator seeded `seed`.
pub fn walk(model: &KelpModel, seed: u64, depth: usize) -> Walk {
    let mut rng = SplitMix64::new(seed);
    let mut ledger = Ledger::default();
    let mut state = model.init_states().into_iter().next().expect("the model has an initial state");
    let mut fingerprints = vec![fingerprint(&state)];
    let mut actions = Vec::new();
    let mut broken = ledger.observe(model, &state);
    let end = loop {
        if broken.is_some() {
            break End::Violation;
        }
        if actions.len() == depth {
            break End::Depth;
        }
        match step(model, &state, &mut rng) {
            Ok((action, next)) => {
                broken = ledger.observe(model, &next);
                actions.push(action);
                fingerprints.push(fingerprint(&next));
                state = next;
            }
            Err(End::Terminal) => {
                broken = ledger.unsatisfied();
                break if broken.is_some() { End::Violation } else { End::Terminal };
            }
            Err(end) => break end,
        }
    };
    Walk {
        steps: actions.len(),
        end,
        reached: ledger.reached,
        violation: broken.map(|property| Violation { property, actions, fingerprints }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn timeouts_come_sorted_whatever_the_timer_sets_hashers() {
        // Each `init_states` call seeds the timer sets' hashers anew: their raw order may differ.
        let model = kelp_model::system::build(Scenario::named("healthy").unwrap().config);
        let first = actions(&model, &model.init_states()[0]);
        let timeouts: Vec<_> = first
            .iter()
            .filter_map(|a| match a {
                ActorModelAction::Timeout(id, timer) => Some((usize::from(*id), *timer)),
                _ => None,
            })
            .collect();
        assert!(timeouts.len() > 2 && timeouts.is_sorted(), "{timeouts:?}");
        for _ in 0..16 {
            assert_eq!(actions(&model, &model.init_states()[0]), first);
        }
    }

    #[test]
    fn a_walk_is_a_function_of_its_seed() {
        let model = kelp_model::system::build(Scenario::named("healthy").unwrap().config);
        let (a, b) = (walk(&model, 5, 50), walk(&model, 5, 50));
        assert_eq!((a.steps, a.end, a.reached), (b.steps, b.end, b.reached));
        assert!(a.steps > 0 && a.violation.is_none());
    }

    #[test]
    fn a_walk_stops_at_the_depth_limit() {
        let model = kelp_model::system::build(Scenario::named("healthy").unwrap().config);
        let w = walk(&model, 5, 3);
        assert_eq!((w.steps, w.end), (3, End::Depth));
    }
}

//! The model as the Explorer sees it, with its actions in a fixed order. stateright keeps an
//! actor's timers in a hash set seeded at random for every new set, so two calls of
//! `init_states` can list the same timeouts in different orders, and the Explorer, which rebuilds
//! each path from action indices on every request, would open another step than the one its URL
//! names. Here each state's actions are sorted by the fingerprint of the state they lead to.

use crate::engine::fingerprint::fingerprint;
use crate::trace::Action;
use kelp_model::system::{KelpModel, SystemState};
use stateright::{Expectation, Model, Path, Property};

pub struct Canonical(pub KelpModel);

impl Model for Canonical {
    type State = SystemState;
    type Action = Action;

    fn init_states(&self) -> Vec<SystemState> {
        self.0.init_states()
    }

    fn actions(&self, state: &SystemState, actions: &mut Vec<Action>) {
        let mut listed = Vec::new();
        self.0.actions(state, &mut listed);
        let mut keyed: Vec<(u64, String, Action)> = listed
            .into_iter()
            .map(|action| {
                let next = self.0.next_state(state, action.clone()).map_or(u64::MAX, |s| fingerprint(&s));
                (next, format!("{action:?}"), action)
            })
            .collect();
        keyed.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
        actions.extend(keyed.into_iter().map(|(_, _, action)| action));
    }

    fn next_state(&self, last: &SystemState, action: Action) -> Option<SystemState> {
        self.0.next_state(last, action)
    }

    fn format_action(&self, action: &Action) -> String {
        self.0.format_action(action)
    }

    fn format_step(&self, last: &SystemState, action: Action) -> Option<String> {
        self.0.format_step(last, action)
    }

    fn as_svg(&self, path: Path<SystemState, Action>) -> Option<String> {
        let steps = path.into_vec();
        let init = steps.first()?.0.clone();
        let actions: Vec<Action> = steps.into_iter().filter_map(|(_, action)| action).collect();
        let inner = Path::from_actions(&self.0, init, &actions)?;
        self.0.as_svg(inner)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.0.properties().iter().enumerate().map(|(i, p)| wrap(i, p.expectation.clone(), p.name)).collect()
    }

    fn within_boundary(&self, state: &SystemState) -> bool {
        Model::within_boundary(&self.0, state)
    }
}

/// The inner model's property number `index`: `Property` holds a plain function pointer, so each
/// index gets its own instance of `holds`.
fn wrap(index: usize, expectation: Expectation, name: &'static str) -> Property<Canonical> {
    const CONDITIONS: [fn(&Canonical, &SystemState) -> bool; 16] = [
        holds::<0>,
        holds::<1>,
        holds::<2>,
        holds::<3>,
        holds::<4>,
        holds::<5>,
        holds::<6>,
        holds::<7>,
        holds::<8>,
        holds::<9>,
        holds::<10>,
        holds::<11>,
        holds::<12>,
        holds::<13>,
        holds::<14>,
        holds::<15>,
    ];
    let condition = *CONDITIONS.get(index).expect("kelp has at most 16 properties");
    Property { expectation, name, condition }
}

fn holds<const I: usize>(model: &Canonical, state: &SystemState) -> bool {
    (model.0.properties()[I].condition)(&model.0, state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_come_in_the_same_order_from_every_initial_state_built() {
        let model = Canonical(kelp_model::system::build(kelp_model::config::Config::default()));
        let listed = |_| {
            let mut actions = Vec::new();
            model.actions(&model.init_states().remove(0), &mut actions);
            actions.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>()
        };
        let first = listed(0);
        assert!((1..20).all(|i| listed(i) == first));
    }

    #[test]
    fn properties_judge_as_the_inner_model_does() {
        let inner = kelp_model::system::build(kelp_model::config::Config::default());
        let init = inner.init_states().remove(0);
        let model = Canonical(kelp_model::system::build(kelp_model::config::Config::default()));
        for (outer, inner_p) in model.properties().iter().zip(inner.properties()) {
            assert_eq!(outer.name, inner_p.name);
            assert_eq!((outer.condition)(&model, &init), (inner_p.condition)(&inner, &init));
        }
    }
}

//! Renaming the whole system: envelopes, per-actor timers, and the network, rebuilt with renamed
//! endpoints and reindexed per-actor vectors.

use super::*;

impl Rename for Envelope<Msg> {
    fn rename(&self, p: &Permutation) -> Self {
        let Envelope { src, dst, msg } = self;
        Envelope { src: src.rename(p), dst: dst.rename(p), msg: msg.rename(p) }
    }
}

impl Rename for Timers<Timer> {
    fn rename(&self, p: &Permutation) -> Self {
        let mut renamed = Timers::new();
        for timer in self.iter() {
            renamed.set(timer.rename(p));
        }
        renamed
    }
}

impl Rename for Network<Msg> {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            // The model's network: FIFO flows keyed by (src, dst); each flow keeps its order.
            Network::Ordered(flows) => Network::Ordered(
                flows
                    .iter()
                    .map(|((src, dst), flow)| {
                        ((src.rename(p), dst.rename(p)), flow.iter().map(|m| m.rename(p)).collect())
                    })
                    .collect::<BTreeMap<_, _>>(),
            ),
            Network::UnorderedDuplicating(envelopes, last) => Network::new_unordered_duplicating_with_last_msg(
                envelopes.iter().map(|e| e.rename(p)),
                last.as_ref().map(|e| e.rename(p)),
            ),
            Network::UnorderedNonDuplicating(envelopes) => Network::new_unordered_nonduplicating(
                envelopes.iter().flat_map(|(e, count)| std::iter::repeat_n(e.rename(p), *count)),
            ),
        }
    }
}

/// Moves the value of actor `i` to index π(i), renaming it on the way.
fn reindex<T>(p: &Permutation, values: &[T], rename: impl Fn(&T) -> T) -> Vec<T> {
    let mut slots: Vec<Option<T>> = values.iter().map(|_| None).collect();
    for (i, value) in values.iter().enumerate() {
        let slot = &mut slots[p.actor_index(i)];
        assert!(slot.is_none(), "the permutation does not fit this state's actors");
        *slot = Some(rename(value));
    }
    slots.into_iter().map(|v| v.expect("a permutation of actor indices")).collect()
}

impl Rename for SystemState {
    fn rename(&self, p: &Permutation) -> Self {
        let SystemState { actor_states, network, timers_set, random_choices, crashed, history, actor_storages } = self;
        // Controller, brokers, producers, then the operator, the other controller candidates and
        // the coordinator if configured (they stay in place).
        let permuted = 1 + usize::from(p.broker_count()) + usize::from(p.producer_count());
        assert!(
            actor_states.len() >= permuted,
            "the permutation is of another cluster: {} actors, {permuted} permuted",
            actor_states.len()
        );
        SystemState {
            actor_states: reindex(p, actor_states, |s| Arc::new(s.rename(p))),
            network: network.rename(p),
            timers_set: reindex(p, timers_set, |t| t.rename(p)),
            // `Random = ()`: the choices name no actor.
            random_choices: reindex(p, random_choices, Clone::clone),
            crashed: reindex(p, crashed, |c| *c),
            history: *history,
            actor_storages: reindex(p, actor_storages, |d| d.rename(p)),
        }
    }
}

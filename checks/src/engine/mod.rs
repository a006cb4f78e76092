//! kelp's own checker over stateright's `Model` trait. `bfs` is a level-synchronous parallel
//! breadth-first search: each depth's frontier is expanded in parallel (rayon) and de-duplicated
//! in frontier order, so the unique-state count, the depth and every counterexample are the same
//! for any number of threads, and a counterexample is always a shortest one. Visited states are
//! kept as fingerprints (`fingerprint`: 64 bits, or 128) with a parent link (`visited`);
//! counterexample states are rebuilt by replay. `successors` fingerprints states (whole, incrementally for actor models, or by symmetry
//! representative); `liveness` judges `eventually` properties on fair cycles after the search;
//! `collision` estimates the chance that two states shared a fingerprint.

pub mod bfs;
pub mod collision;
pub mod dfs;
pub mod fingerprint;
mod interner;
pub mod liveness;
pub mod memo;
mod owned;
pub mod successors;
mod undo;
pub mod visited;

/// The actor the engine's unit tests drive: its messages, state, timers and storage are numbers.
#[cfg(test)]
mod test_actor {
    use stateright::actor::{Actor, Id, Out};

    pub struct Numbers;

    impl Actor for Numbers {
        type Msg = u8;
        type State = u32;
        type Timer = u8;
        type Random = ();
        type Storage = u8;

        fn on_start(&self, _: Id, _: &Option<u8>, _: &mut Out<Self>) -> u32 {
            0
        }
    }
}

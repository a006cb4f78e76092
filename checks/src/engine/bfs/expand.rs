//! Expanding one frontier state: each successor claimed in the visited set (the new ones kept,
//! to be admitted in frontier order), and, where an `eventually` property fails in the state, its
//! transitions with their fairness classes, for the liveness graph.

use super::level::{Expansion, Node, Unclassed};
use super::outcome::Classify;
use crate::engine::fingerprint::Fingerprint;
use crate::engine::liveness::{Batch, Fairness, Transitions};
use crate::engine::successors::{Lookup, Step, Successors};
use crate::engine::visited::{Claim, Visited};
use stateright::Model;

/// What expanding a level's states reads of the search.
pub(super) struct Expander<'s, M: Model, F: Fingerprint> {
    pub model: &'s M,
    pub successors: &'s dyn Successors<M, F>,
    pub visited: &'s Visited<F>,
    pub classify: Option<Classify<'s, M::Action>>,
    pub fairness: Option<&'s Fairness<'s, M::State, M::Action>>,
    /// Whether the liveness graph is recorded (there is an `eventually` property).
    pub record: bool,
    /// The level the successors are in.
    pub level: u32,
}

impl<M, F: Fingerprint> Expander<'_, M, F>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    /// Expands `node`, the level's node `claim`; its transitions go to `batch` (through
    /// `scratch`, the list's buffer, so that no state has vectors of its own).
    pub(super) fn expand(
        &self,
        mut node: Node<M::State, F>,
        claim: u32,
        batch: &mut Batch<F>,
        scratch: &mut Transitions<F>,
    ) -> Expansion<M::State, F> {
        let Expander { model, successors, visited, classify, fairness, record, level } = *self;
        let (parent_fp, failing) = (node.fp, node.failing);
        let mut expansion = Expansion { claim, successors: Vec::new(), fired: Vec::new(), generated: 0 };
        let mut transitions = (record && failing != 0).then(|| {
            scratch.edges.clear();
            scratch.cut.clear();
            &mut *scratch
        });
        // The actions of transitions whose fairness class waits for the parent to be back.
        let mut unclassed: Vec<(Unclassed, M::Action)> = Vec::new();
        let seen = |fp: F| visited.seen(fp, level, claim);
        let prefetch = |fp: F| visited.prefetch(fp);
        let lookup = Lookup { seen: &seen, prefetch: &prefetch };
        successors.for_each_prefetching(&mut node.state, parent_fp, lookup, &mut |action, step, parent| {
            let kind = classify.map_or(0, |classify| classify(&action.get()) as u16);
            let (class, later) = match (&transitions, fairness, parent) {
                (Some(_), Some(f), Some(parent)) => ((f.class)(parent, &action.get()), false),
                (Some(_), Some(_), None) => (None, true),
                _ => (None, false),
            };
            let fp = match step {
                Step::Seen(fp) => fp,
                Step::New(fp, next) => {
                    if !model.within_boundary(&next) {
                        if let (Some(t), Some(f)) = (&mut transitions, fairness) {
                            if (f.beyond_bound)(&next) {
                                if later {
                                    unclassed.push((Unclassed::Cut(t.cut.len()), action.into_owned()));
                                }
                                t.cut.push(class);
                            }
                        }
                        return;
                    }
                    if visited.claim(fp, level, claim, node.fp) == Claim::Kept {
                        expansion.successors.push((fp, kind, next.into_owned()));
                    }
                    fp
                }
            };
            expansion.generated += 1;
            if classify.is_some() {
                expansion.fired.push(kind);
            }
            if let Some(t) = &mut transitions {
                if later {
                    unclassed.push((Unclassed::Edge(t.edges.len()), action.into_owned()));
                }
                t.edges.push((fp, class));
            }
        });
        if let (Some(t), Some(f)) = (&mut transitions, fairness) {
            for (at, action) in unclassed {
                let class = (f.class)(&node.state, &action);
                match at {
                    Unclassed::Edge(i) => t.edges[i].1 = class,
                    Unclassed::Cut(i) => t.cut[i] = class,
                }
            }
        }
        if let Some(t) = transitions {
            batch.push(parent_fp, failing, t);
        }
        expansion
    }
}

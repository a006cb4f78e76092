//! `eventually-leader` (EventuallyLeaderElected): every partition eventually has a live leader
//! that knows it leads. Judged with stateright's `eventually`: every path to a terminal state must
//! pass a state where the cluster has settled: every broker up, nothing in flight, and every
//! partition led by a live broker in the controller's current epoch. (The model starts with
//! messages in flight, so this is not satisfied at the start.) Neither engine sees cycles yet: a
//! path that loops forever (retries, fetch back-offs) is never judged; a fair-cycle check is the
//! native checker's next step (issue 5).

use crate::view::View;

pub const DESCRIPTION: &str =
    "Every path settles in a state where all brokers are up and every partition has a live leader in the current epoch.";

pub fn violation(view: &View<'_>) -> Option<String> {
    if let Some(p) = view.cfg.partition_ids().find(|p| view.current_leader(*p).is_none()) {
        return Some(format!("partition {p} has no live leader: {}", view.controller().partitions[usize::from(p.0)]));
    }
    if let Some((b, _)) = view.brokers().find(|(_, b)| !b.is_up()) {
        return Some(format!("broker {b} is down"));
    }
    let in_flight = view.state.network.len();
    (in_flight > 0).then(|| format!("{in_flight} message(s) still in flight"))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::system::build;
    use crate::view::View;
    use stateright::Model;

    #[test]
    fn the_start_has_not_settled_yet() {
        let cfg = Config::default();
        let model = build(cfg.clone());
        let init = &model.init_states()[0];
        let why = super::violation(&View::new(&cfg, init)).expect("messages are in flight at the start");
        assert!(why.contains("in flight"), "{why}");
    }
}

//! `log-matching` (LogMatching in the TLA+ specs): two replicas agree on every offset below both
//! their high watermarks (as on disk: a broker that is down is judged by what it will restart with).

use crate::view::View;

pub const DESCRIPTION: &str = "Two replicas agree on every offset below both their high watermarks (TLA+ LogMatching).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for p in view.cfg.partition_ids() {
        let replicas = view.cfg.replicas(p);
        for (i, a) in replicas.iter().enumerate() {
            for b in &replicas[i + 1..] {
                let (da, db) = (view.broker(*a).disk.replica(p), view.broker(*b).disk.replica(p));
                let below = da.high_watermark.min(db.high_watermark).min(da.log.end_offset()).min(db.log.end_offset());
                let agree = da.log.common_prefix(&db.log);
                if agree < below {
                    return Some(format!(
                        "brokers {a} and {b} disagree at offset {agree} of partition {p}, below both high watermarks: \
                         {} vs {}",
                        da.log, db.log
                    ));
                }
            }
        }
    }
    None
}

//! ISR membership as the leader judges it (`Partition.scala`): who is out of sync and may be
//! shrunk away, and who has caught up and may be added back.

use crate::ids::Offset;

/// `getOutOfSyncReplicas`/`isCaughtUp`: a follower whose log end equals the leader's is caught up
/// and is never removed; any other follower may have been lagging for `replica.lag.time.max.ms`
/// (time is abstracted: the model lets the lag timeout fire at any moment).
pub fn is_out_of_sync(follower_end: Option<Offset>, leader_end: Offset) -> bool {
    follower_end != Some(leader_end)
}

/// `isFollowerInSync`: a follower may join the ISR once its log end reaches the HW and, with the
/// KAFKA-7128 fix, the start offset of the leader's current epoch.
pub fn may_join_isr(follower_end: Offset, leader_hw: Offset, epoch_start: Offset, epoch_start_check: bool) -> bool {
    follower_end >= leader_hw && (!epoch_start_check || follower_end >= epoch_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_up_followers_stay() {
        assert!(!is_out_of_sync(Some(Offset(3)), Offset(3)));
        assert!(is_out_of_sync(Some(Offset(2)), Offset(3)));
        assert!(is_out_of_sync(None, Offset(0)));
    }

    #[test]
    fn joining_needs_the_hw_and_the_epoch_start() {
        assert!(may_join_isr(Offset(2), Offset(2), Offset(1), true));
        assert!(!may_join_isr(Offset(1), Offset(2), Offset(0), true));
        assert!(!may_join_isr(Offset(2), Offset(1), Offset(3), true));
        assert!(may_join_isr(Offset(2), Offset(1), Offset(3), false));
    }
}

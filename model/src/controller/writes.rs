//! The reference cluster's bookkeeping of a controller candidate's writes to the coordinator,
//! where a datagram may be lost (`RuntimeSettings::controller_request_timeout`): how many are
//! unanswered, which times them out, and how many the state follows, which orders them. The
//! checker's network loses nothing and it keeps no such book: both counts stay 0 there.

use crate::config::Config;
use crate::ids::WriteCount;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Writes {
    /// An acting candidate's writes not answered yet: `Timer::CoordinatorWriteTimeout` runs
    /// while there are any (an answer to a later write does not show that an earlier one, maybe
    /// lost, committed).
    pub unanswered: u16,
    /// The writes this state follows (`WriteCount`): an acting candidate's, counting its own in
    /// flight; the coordinator's committed image's, those it applied. Not reset at a take-over:
    /// the new controller goes on from the count it read.
    pub count: WriteCount,
}

impl Writes {
    /// Nothing counted: always, in the checker.
    pub fn is_none(&self) -> bool {
        *self == Writes::default()
    }

    /// A write is sent: counted where writes are.
    pub fn sent(&mut self, cfg: &Config) {
        if cfg.runtime.controller_request_timeout {
            self.unanswered = self.unanswered.saturating_add(1);
            self.count = self.count.next();
        }
    }

    /// A write is answered.
    pub fn answered(&mut self) {
        self.unanswered = self.unanswered.saturating_sub(1);
    }

    /// What of this book is committed with the state: the count, not the writes in flight.
    pub fn committed(self) -> Self {
        Writes { unanswered: 0, ..self }
    }
}

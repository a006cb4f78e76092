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
    /// An acting candidate's writes not answered yet, directly or by an answer to a later one:
    /// `Timer::CoordinatorWriteTimeout` runs while there are any.
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

    /// The `applied`-th write is answered (`Msg::WriteApplied`), and with it every write before
    /// it: only those sent after it are unanswered. A late answer from an earlier term (the count
    /// went on since) answers nothing new.
    pub fn applied(&mut self, applied: WriteCount) {
        let after = u16::try_from(self.count.0.saturating_sub(applied.0)).unwrap_or(u16::MAX);
        self.unanswered = self.unanswered.min(after);
    }

    /// What of this book is committed with the state: the count, not the writes in flight.
    pub fn committed(self) -> Self {
        Writes { unanswered: 0, ..self }
    }
}

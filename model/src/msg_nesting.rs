//! How deep a decoded message may nest. A message can hold others: a controller's request inside
//! `FromController`, a refused request inside `NotController`, the requests a ZooKeeper write
//! sends on once committed. In any run they nest a few levels at most. Decoding, each level is a
//! stack frame, so bytes from the network that nest thousands of levels (one byte a level: a 64 KB
//! datagram holds 60,000) would overflow the stack and abort the process, which no `catch_unwind`
//! stops. Deeper than `MAX_DEPTH`, decoding fails with an error instead, as for any bad body.
//! (Pure bookkeeping of the decoder: a counter per thread, no I/O.)

use crate::effects::Address;
use crate::msg::Msg;
use serde::de::Error;
use serde::{Deserialize, Deserializer};
use std::cell::Cell;

/// Levels of messages within messages a decoder accepts: far more than any run makes (3), far
/// fewer than would strain a thread's stack.
pub const MAX_DEPTH: u32 = 32;

thread_local! {
    /// The messages being decoded on this thread, one within the other.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Leaves a level when dropped, however its decoding ended.
struct Level;

impl Level {
    fn enter<E: Error>() -> Result<Level, E> {
        let depth = DEPTH.get();
        if depth >= MAX_DEPTH {
            return Err(E::custom(format!("messages nested more than {MAX_DEPTH} deep")));
        }
        DEPTH.set(depth + 1);
        Ok(Level)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get() - 1);
    }
}

/// Decodes what holds messages one level further in.
fn within<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    let _level = Level::enter()?;
    T::deserialize(d)
}

/// A message inside another (`FromController`, `NotController`).
pub fn boxed<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Msg>, D::Error> {
    within(d)
}

/// A message that may be inside another (`CoordinatorWrite::cause`).
pub fn maybe_boxed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<Msg>>, D::Error> {
    within(d)
}

/// The messages a committed write sends on (`CoordinatorWrite::then`, `WriteAccepted::then`,
/// `WriteApplied::then`).
pub fn sends<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Address, Msg)>, D::Error> {
    within(d)
}

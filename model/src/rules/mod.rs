//! The protocol's decisions as pure functions, free of actors and messages, so they can be tested
//! exhaustively (proptest) and read against Kafka's code: elections and ISR/ELR changes
//! (`partition_change`), the high watermark (`high_watermark`), ISR membership (`isr`) and the
//! follower's truncation point (`truncation`).

pub mod high_watermark;
pub mod isr;
pub mod partition_change;
pub mod truncation;

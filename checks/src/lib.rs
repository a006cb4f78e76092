//! The `kelp` checker: named scenarios, the stateright run, counterexample traces for people, and
//! the text and JSON reports. `main.rs` is only the command line's entry point.

pub mod bench;
pub mod cli;
pub mod columns;
pub mod coverage;
pub mod describe;
pub mod engine;
pub mod explore;
pub mod fairness;
pub mod matrix;
pub mod progress;
pub mod replay;
pub mod report;
pub mod run;
pub mod scenario;
pub mod simulate;
pub mod simulated;
pub mod trace;
pub mod trace_cmd;
pub mod trace_file;

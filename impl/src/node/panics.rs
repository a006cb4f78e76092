//! A model handler's panic on a message it cannot take: caught, so that the node drops the
//! message and keeps its state (`Driver::deliver` logs it, throttled), and kept out of the
//! standard panic report, so that such messages cannot flood the log with backtraces.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// Whether this thread is in a handler of the model, whose panic `run_handler` catches.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
}

/// Runs a model handler: its result, or what its panic said.
pub(super) fn run_handler<R>(handler: impl FnOnce() -> R) -> Result<R, String> {
    IN_HANDLER.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(handler));
    IN_HANDLER.set(false);
    outcome.map_err(|payload| panic_message(payload.as_ref()).to_string())
}

/// What a caught panic said.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => text,
        (_, Some(text)) => text,
        _ => "a panic",
    }
}

/// A handler's panic on a message it cannot take is logged by `Driver::deliver`, throttled, in
/// one line: not also by the standard hook, whose report (a backtrace with `RUST_BACKTRACE` set)
/// would let such messages flood the log. Any other panic is reported as before.
pub fn report_only_unexpected_panics() {
    let standard = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_HANDLER.get() {
            standard(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handler_gives_its_result_or_what_its_panic_said() {
        assert_eq!(run_handler(|| 7), Ok(7));
        assert_eq!(run_handler(|| -> u8 { panic!("no partition 9") }), Err("no partition 9".to_string()));
        let partition = 9;
        assert_eq!(run_handler(|| -> u8 { panic!("no partition {partition}") }), Err("no partition 9".to_string()));
        assert!(!IN_HANDLER.get(), "the flag is down again after a panic");
    }
}

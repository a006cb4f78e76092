//! A node's log: one line per event on stderr (the cluster commands send it to
//! `DIR/logs/<name>.log`), at the level `KELP_LOG` asks for.

use tracing::{debug, error, info, warn, Level};

/// Sets up logging to `writer` (the cluster commands send a node's stderr to
/// `DIR/logs/<name>.log`): one line per event, `info` unless `KELP_LOG` says otherwise (an
/// `EnvFilter` directive such as `debug`). A second call changes nothing.
pub fn init_logging<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = tracing_subscriber::EnvFilter::try_from_env("KELP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

/// Logs `line` at `level`.
pub(super) fn log(level: Level, line: &str) {
    match level {
        Level::ERROR => error!("{line}"),
        Level::WARN => warn!("{line}"),
        Level::INFO => info!("{line}"),
        Level::DEBUG => debug!("{line}"),
        _ => tracing::trace!("{line}"),
    }
}

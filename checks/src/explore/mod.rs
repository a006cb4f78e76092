//! `kelp explore`: stateright's Explorer (a web UI to walk the model's states step by step) for a
//! scenario, on loopback only, and the Explorer URL that opens a recorded action path in it.

mod canonical;

use crate::cli::ExploreArgs;
use crate::trace_file::json;
use stateright::Model;
use std::fmt;
use std::net::{SocketAddr, TcpListener};

#[derive(Debug)]
pub enum ExploreError {
    /// The Explorer has no authentication: it only listens on loopback.
    NotLoopback(SocketAddr),
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    /// A recorded action is not enabled in the state the path has reached.
    NotEnabled {
        step: usize,
    },
}

impl fmt::Display for ExploreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExploreError::NotLoopback(address) => {
                write!(f, "--bind {address}: the Explorer listens on loopback only (127.0.0.1 or [::1])")
            }
            ExploreError::Bind { address, source } => write!(f, "cannot listen on {address}: {source}"),
            ExploreError::NotEnabled { step } => {
                write!(f, "step {step} of the trace is not enabled in today's model (see `kelp trace replay`)")
            }
        }
    }
}

impl std::error::Error for ExploreError {}

/// Checks that `address` is loopback and free, so that the Explorer's own bind cannot fail, and
/// returns it with the port the system chose where it was 0 (the URL printed names that port).
pub fn check_bind(address: SocketAddr) -> Result<SocketAddr, ExploreError> {
    if !address.ip().is_loopback() {
        return Err(ExploreError::NotLoopback(address));
    }
    let listener = TcpListener::bind(address).map_err(|source| ExploreError::Bind { address, source })?;
    listener.local_addr().map_err(|source| ExploreError::Bind { address, source })
}

/// The Explorer's URL for a path: `#/steps/` then the index of the initial state among the
/// model's initial states, then for each step the index of its action among the actions enabled
/// in the state before it (the Explorer's own encoding).
pub fn path_url<M>(address: SocketAddr, model: &M, actions: &[M::Action]) -> Result<String, ExploreError>
where
    M: Model,
    M::State: PartialEq,
    M::Action: PartialEq,
{
    let mut state = model.init_states().into_iter().next().expect("the model has an initial state");
    let mut indices = vec![0];
    for (step, action) in actions.iter().enumerate() {
        let mut enabled = Vec::new();
        model.actions(&state, &mut enabled);
        let index = enabled.iter().position(|a| a == action).ok_or(ExploreError::NotEnabled { step: step + 1 })?;
        state =
            model.next_state(&state, enabled.swap_remove(index)).ok_or(ExploreError::NotEnabled { step: step + 1 })?;
        indices.push(index);
    }
    let path: Vec<String> = indices.iter().map(usize::to_string).collect();
    Ok(format!("http://{address}/#/steps/{}", path.join("/")))
}

/// Serves the Explorer for `model` on `address` until the process is stopped (stateright's
/// `serve` returns only when its web server does).
pub fn serve<M>(model: M, address: SocketAddr)
where
    M: 'static + Model + Send + Sync,
    M::Action: fmt::Debug + Send + Sync + Clone + PartialEq,
    M::State: fmt::Debug + std::hash::Hash + Send + Sync + Clone + PartialEq,
{
    model.checker().serve(address);
}

/// `kelp explore`: prints the Explorer's address (and the URL of the trace's path), then serves
/// until stopped. Errors are bad input (exit 2).
pub fn command(args: &ExploreArgs) -> Result<(), String> {
    let bind = check_bind(args.bind).map_err(|e| e.to_string())?;
    let (config, actions) = match &args.trace {
        Some(path) => {
            let trace = json::read(path).map_err(|e| e.to_string())?;
            let mut config = trace.config.clone();
            if args.selection.overrides.apply(&mut config) {
                return Err("--trace explores the trace's own configuration: drop the configuration flags".to_string());
            }
            let actions: Vec<_> = trace.actions.iter().map(|a| a.to_model(&config)).collect();
            (config, Some(actions))
        }
        None => {
            let scenario = args.selection.select().map_err(|e| e.to_string())?;
            (scenario.config, None)
        }
    };
    let model = canonical::Canonical(kelp_model::system::build(config));
    // The trace's URL first: a trace that does not replay is refused before anything is printed.
    let trace_url = actions.map(|actions| path_url(bind, &model, &actions)).transpose().map_err(|e| e.to_string())?;
    let trace_line = trace_url.map(|url| format!("trace: {url}\n")).unwrap_or_default();
    kelp_impl::commands::write_out(&format!("Explorer: http://{bind}/\n{trace_line}"))?;
    serve(model, bind);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_0_is_the_port_the_system_chose() {
        let bound = check_bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(bound.port() != 0 && bound.ip().is_loopback(), "{bound}");
    }

    #[test]
    fn only_loopback_is_served() {
        let err = check_bind("0.0.0.0:3000".parse().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "--bind 0.0.0.0:3000: the Explorer listens on loopback only (127.0.0.1 or [::1])");
    }

    #[test]
    fn a_path_opens_at_its_action_indices() {
        let model = canonical::Canonical(kelp_model::system::build(kelp_model::config::Config::default()));
        let mut state = model.init_states().remove(0);
        let mut actions = Vec::new();
        for pick in [0, 1, 0] {
            let mut enabled = Vec::new();
            model.actions(&state, &mut enabled);
            let action = enabled.swap_remove(pick);
            actions.push(action.clone());
            state = model.next_state(&state, action).unwrap();
        }
        let address: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(path_url(address, &model, &actions).unwrap(), "http://127.0.0.1:3000/#/steps/0/0/1/0");
        // The controller never arms a restart timer.
        actions.insert(1, stateright::actor::ActorModelAction::Timeout(0.into(), kelp_model::timer::Timer::Restart));
        assert!(matches!(path_url(address, &model, &actions), Err(ExploreError::NotEnabled { step: 2 })));
    }

    #[test]
    fn a_taken_port_is_a_clear_error() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let err = check_bind(address).unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot listen on {address}: ")), "{err}");
    }
}

//! A node's life: it opens its storage (a broker's log directory; the metadata file of the sole
//! controller, a candidate or ZooKeeper), binds its address, starts its actor, says it is up, and
//! runs the actor until it is asked to stop, a broker by a controlled shutdown.

use super::changes::session_line;
use super::endpoint::actor_id;
use super::{data_dir, node_name, ArmPolicy, Driver, Endpoint, NodeError, SaveSink, Stop};
use crate::cluster_file::{last_node_id, ClusterFile, Role as NodeRole};
use crate::storage::{MetadataFile, Storage, StorageError};
use kelp_model::broker::Session;
use kelp_model::effects::Address;
use kelp_model::ids::BrokerId;
use kelp_model::saved::{self, Saved};
use kelp_model::timer::Timer;
use std::path::Path;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// How often the loop looks at the stop flag while nothing happens.
const POLL: Duration = Duration::from_millis(100);
/// How long a broker waits for the controller to accept its controlled shutdown before it gives
/// up and stops without the clean-shutdown marker.
pub const CONTROLLED_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs node `id` of the cluster in `dir` until `stop` (or, for a broker, until the model says it
/// stopped). The controller stops at the first request. A broker's first request starts its
/// controlled shutdown (the model's `Timer::Shutdown`): it returns `Ok` once the controller
/// accepted it and the broker flushed and wrote its clean-shutdown marker; a second request, or
/// `CONTROLLED_SHUTDOWN_TIMEOUT` without an answer, stops it without the marker
/// (`ShutdownIncomplete`), as a kill would. A failed save is fatal (`NodeError::Save`).
pub fn run(dir: &Path, id: u32, stop: &Stop) -> Result<(), NodeError> {
    let cluster = ClusterFile::load(dir)?;
    let node = *cluster.node(id).ok_or(NodeError::UnknownNode { id, last: last_node_id(&cluster.config) })?;
    let span = tracing::info_span!("node", name = %node_name(&cluster.config, id));
    let _entered = span.enter();
    let role = Address::of(actor_id(id), &cluster.config);
    let (sink, saved) = open_storage(dir, &cluster, id, node.role, role)?;
    let cluster_id = cluster.cluster_id.clone();
    let endpoint = Endpoint::node(cluster, id)?;
    info!("{} listening on {} (cluster {cluster_id})", node_name(&endpoint.cluster().config, id), node.address);
    let mut driver = Driver::start(endpoint, role, sink, saved, ArmPolicy::KeepRunning)?;
    // Up once it started: what its start saved (a candidate's mark above all) is on disk.
    let config = &driver.endpoint().cluster().config;
    crate::cluster::process::announce_ready(dir, config, id).map_err(NodeError::Announce)?;

    let mut shutdown: Option<(Instant, usize)> = None;
    loop {
        let requests = stop.requests();
        if requests > 0 {
            let Some(broker) = driver.state().as_broker() else {
                info!("stop requested: the controller exits");
                return Ok(());
            };
            match shutdown {
                None => {
                    if !broker.is_up() {
                        break;
                    }
                    info!("stop requested: controlled shutdown");
                    driver.fire(Timer::Shutdown)?;
                    let broker = driver.state().as_broker().expect("a broker stays a broker");
                    let shutting_down =
                        broker.process.as_ref().is_some_and(|p| matches!(p.session, Session::ShuttingDown(_)));
                    if broker.is_up() && !shutting_down {
                        let reason = format!("the broker is not registered ({})", session_line(broker));
                        warn!("controlled shutdown impossible: {reason}; stopping without the clean-shutdown marker");
                        return Err(NodeError::ShutdownIncomplete { reason });
                    }
                    shutdown = Some((Instant::now() + CONTROLLED_SHUTDOWN_TIMEOUT, requests));
                }
                Some((_, seen)) if requests > seen => {
                    let reason = "stopped again before the controller answered".to_string();
                    warn!("{reason}: stopping without the clean-shutdown marker");
                    return Err(NodeError::ShutdownIncomplete { reason });
                }
                Some((deadline, _)) if Instant::now() >= deadline => {
                    let reason = format!("no answer from the controller in {CONTROLLED_SHUTDOWN_TIMEOUT:?}");
                    warn!("{reason}: stopping without the clean-shutdown marker");
                    return Err(NodeError::ShutdownIncomplete { reason });
                }
                Some(_) => {}
            }
        }
        if driver.state().as_broker().is_some_and(|b| !b.is_up()) {
            break;
        }
        driver.step(POLL)?;
    }
    info!("the broker stopped: exiting");
    Ok(())
}

/// A node's storage, and what it recovered from it (none for a client).
type Stored = (Option<Box<dyn SaveSink>>, Option<Saved>);

/// Opens node `id`'s storage: a broker's log directory (`Storage`), or the `MetadataFile` of the
/// sole controller, ZooKeeper or a controller candidate, refused when what it holds does not fit
/// this cluster.
fn open_storage(
    dir: &Path,
    cluster: &ClusterFile,
    id: u32,
    node_role: NodeRole,
    role: Address,
) -> Result<Stored, NodeError> {
    // What the model saves of the sole controller, ZooKeeper and a candidate goes to a `MetadataFile`.
    let metadata_kind = saved::metadata_kind(&cluster.config, role);
    Ok(match (node_role, role, metadata_kind) {
        (NodeRole::Broker, Address::Broker(broker), _) => {
            let data = data_dir(dir, &cluster.config, id);
            let partitions = usize::from(cluster.config.partitions);
            let (storage, disk) =
                Storage::open(&data, &cluster.cluster_id, broker, partitions).map_err(NodeError::OpenStorage)?;
            match &disk {
                Some(_) => info!("recovered the data directory {}", data.display()),
                None => info!("a fresh data directory {}", data.display()),
            }
            (Some(Box::new(storage)), disk.map(Saved::Broker))
        }
        (_, _, Some(kind)) => {
            let data = data_dir(dir, &cluster.config, id);
            let node_id = u8::try_from(id)
                .map(BrokerId)
                .map_err(|_| NodeError::UnknownNode { id, last: last_node_id(&cluster.config) })?;
            let (file, saved) =
                MetadataFile::open(&data, &cluster.cluster_id, node_id, kind).map_err(NodeError::OpenStorage)?;
            if let Some(reason) = saved.as_ref().and_then(|s| s.fits(&cluster.config).err()) {
                let reason = format!("does not fit this cluster: {reason}");
                return Err(NodeError::OpenStorage(StorageError::inconsistent(file.path(), reason)));
            }
            match &saved {
                Some(_) => info!("recovered {kind} from {}", file.path().display()),
                None => info!("nothing saved yet in {}: a first start, from the formatted cluster", data.display()),
            }
            (Some(Box::new(file)), saved)
        }
        _ => (None, None),
    })
}

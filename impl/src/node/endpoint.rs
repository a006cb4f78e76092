//! A node's or a client's UDP socket on 127.0.0.1, speaking for one actor id of one cluster:
//! model messages framed by `wire`, nodes found in the cluster file, clients answered where they
//! spoke from, and every datagram that does not decode dropped with a (throttled) warning.

use super::{NodeError, SendError};
use crate::cluster_file::{last_node_id, ClusterFile};
use crate::throttle::{self, Throttle};
use crate::wire::{self, ClusterTag};
use kelp_model::msg::Msg;
use stateright::actor::Id;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// The receive buffer: larger than any UDP datagram over IPv4 (65,507 bytes), so an oversize
/// datagram arrives whole and is refused as oversize rather than silently cut.
const RECV_BUFFER: usize = 65_536;
/// At most this many clients' addresses are remembered (a flood of ids cannot grow memory).
const MAX_CLIENTS: usize = 4096;

fn wire_id(id: Id) -> Result<u32, SendError> {
    let raw = usize::from(id) as u64;
    u32::try_from(raw).map_err(|_| SendError::IdOutOfRange { to: raw })
}

/// The model's actor id of wire id `id`.
pub(super) fn actor_id(id: u32) -> Id {
    Id::from(id as usize)
}

/// A UDP socket on 127.0.0.1 speaking for one actor id of one cluster: it frames and sends model
/// messages, and receives them, dropping (with a warning) every datagram that does not decode or
/// is addressed to another actor. Nodes are found in the cluster file; any other actor (a client)
/// is answered at the address its last datagram came from.
#[derive(Debug)]
pub struct Endpoint {
    socket: UdpSocket,
    me: u32,
    cluster: ClusterFile,
    tag: ClusterTag,
    clients: HashMap<u32, SocketAddr>,
    buffer: Vec<u8>,
    /// How often a dropped datagram or message gets a log line of its own.
    drops: Throttle,
}

impl Endpoint {
    /// The endpoint of node `id`, bound to the node's address in the cluster file.
    pub fn node(cluster: ClusterFile, id: u32) -> Result<Self, NodeError> {
        let address =
            cluster.address_of(id).ok_or(NodeError::UnknownNode { id, last: last_node_id(&cluster.config) })?;
        let socket = UdpSocket::bind(address).map_err(|source| NodeError::Bind { address, source })?;
        Ok(Self::with_socket(socket, cluster, id))
    }

    /// A client's endpoint for actor id `id`, bound to an ephemeral port of 127.0.0.1.
    pub fn client(cluster: ClusterFile, id: u32) -> Result<Self, NodeError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let socket = UdpSocket::bind(address).map_err(|source| NodeError::Bind { address, source })?;
        Ok(Self::with_socket(socket, cluster, id))
    }

    /// A random actor id for a client that is no configured actor: above the controller, the
    /// brokers and the producers of the cluster's configuration.
    pub fn fresh_client_id(cluster: &ClusterFile) -> u32 {
        let first = cluster.config.actor_count() as u32;
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        // 2^30 ids: two clients of one cluster share an id (and, as producers, would see each
        // other's records as duplicates) with probability n^2 / 2^31 for n clients.
        first + (hasher.finish() % (1 << 30)) as u32
    }

    fn with_socket(socket: UdpSocket, cluster: ClusterFile, me: u32) -> Self {
        let tag = cluster.tag();
        let buffer = vec![0; RECV_BUFFER];
        Endpoint { socket, me, cluster, tag, clients: HashMap::new(), buffer, drops: Throttle::default() }
    }

    /// This endpoint's actor id.
    pub fn id(&self) -> Id {
        actor_id(self.me)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub fn cluster(&self) -> &ClusterFile {
        &self.cluster
    }

    /// The socket itself, for tests that look at what is queued on it.
    #[cfg(test)]
    pub(super) fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Where actor `to` is: its node address, or where a client's last datagram came from.
    pub fn address_of(&self, to: Id) -> Option<SocketAddr> {
        let to = wire_id(to).ok()?;
        self.cluster.address_of(to).or_else(|| self.clients.get(&to).copied())
    }

    /// Sends `msg` to actor `to`.
    pub fn send(&mut self, to: Id, msg: &Msg) -> Result<(), SendError> {
        let to_wire = wire_id(to)?;
        let address = self.address_of(to).ok_or(SendError::NoAddress { to: usize::from(to) as u64 })?;
        let frame = wire::encode(self.tag, self.me, to_wire, msg)?;
        self.socket.send_to(&frame, address).map_err(|source| SendError::Io { address, source })?;
        Ok(())
    }

    /// The next message for this actor, waiting at most `timeout`; `None` if none came (or a
    /// signal interrupted the wait). Datagrams that do not decode, or are addressed to another
    /// actor, are logged and dropped, and the wait goes on.
    pub fn recv(&mut self, timeout: Duration) -> Option<(Id, Msg)> {
        if let Some(unlogged) = self.drops.closed_at(Instant::now()) {
            warn!("{}", throttle::summary(unlogged));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            if let Err(e) = self.socket.set_read_timeout(Some(left.max(Duration::from_millis(1)))) {
                warn!("cannot set the socket's read timeout: {e}");
                return None;
            }
            match self.socket.recv_from(&mut self.buffer) {
                Ok((len, source)) => {
                    if let Some(received) = self.accept(len, source) {
                        return Some(received);
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return None,
                Err(e) => {
                    warn!("receive failed: {e}");
                    return None;
                }
            }
        }
    }

    /// Logs a warning about something dropped (`line` says what), unless too many came of late
    /// (`Throttle`).
    pub fn dropped(&mut self, line: impl FnOnce() -> String) {
        let verdict = self.drops.drop_at(Instant::now());
        if let Some(unlogged) = verdict.unlogged_before {
            warn!("{}", throttle::summary(unlogged));
        }
        if verdict.log {
            warn!("{}", line());
        }
    }

    /// Decodes the datagram in the buffer; `None` (logged) when it is refused.
    fn accept(&mut self, len: usize, source: SocketAddr) -> Option<(Id, Msg)> {
        let frame = match wire::decode(&self.buffer[..len], self.tag) {
            Ok(frame) => frame,
            Err(e) => {
                self.dropped(|| format!("dropped a {len}-byte datagram from {source}: {e}"));
                return None;
            }
        };
        if frame.to != self.me {
            let me = self.me;
            self.dropped(|| {
                format!(
                    "dropped a frame from {source} (actor {}) for actor {}: this is actor {me}",
                    frame.from, frame.to
                )
            });
            return None;
        }
        match self.cluster.address_of(frame.from) {
            Some(known) if known != source => {
                debug!("actor {} (a node, at {known}) speaks from {source}", frame.from);
            }
            Some(_) => {}
            None => {
                if self.clients.len() >= MAX_CLIENTS && !self.clients.contains_key(&frame.from) {
                    let evicted = *self.clients.keys().next().expect("full");
                    self.clients.remove(&evicted);
                }
                self.clients.insert(frame.from, source);
            }
        }
        Some((actor_id(frame.from), frame.msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::test_support::{config, heartbeat};

    #[test]
    fn clients_are_answered_where_they_spoke_from() {
        let cluster = ClusterFile::on_free_ports(config(1)).unwrap();
        let mut node = Endpoint::node(cluster.clone(), 1).unwrap();
        let client_id = Endpoint::fresh_client_id(&cluster);
        assert!(client_id > 2, "above the controller, the broker and the producer");
        let mut client = Endpoint::client(cluster, client_id).unwrap();
        assert!(matches!(node.send(client.id(), &heartbeat()), Err(SendError::NoAddress { .. })));
        client.send(Id::from(1), &heartbeat()).unwrap();
        assert_eq!(node.recv(Duration::from_secs(2)), Some((client.id(), heartbeat())));
        assert_eq!(node.address_of(client.id()), Some(client.local_addr().unwrap()));
        node.send(client.id(), &heartbeat()).unwrap();
        assert_eq!(client.recv(Duration::from_secs(2)), Some((Id::from(1), heartbeat())));
    }

    #[test]
    fn garbage_is_dropped_and_the_next_message_still_arrives() {
        let cluster = ClusterFile::on_free_ports(config(1)).unwrap();
        let mut node = Endpoint::node(cluster.clone(), 1).unwrap();
        let to = node.local_addr().unwrap();
        let raw = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        raw.send_to(b"GET / HTTP/1.1\r\n\r\n", to).unwrap();
        raw.send_to(&wire::encode(ClusterTag::of("kelp-other"), 0, 1, &heartbeat()).unwrap(), to).unwrap();
        raw.send_to(&wire::encode(cluster.tag(), 0, 5, &heartbeat()).unwrap(), to).unwrap();
        raw.send_to(&vec![7u8; 65_100], to).unwrap();
        raw.send_to(&wire::encode(cluster.tag(), 0, 1, &heartbeat()).unwrap(), to).unwrap();
        assert_eq!(node.recv(Duration::from_secs(2)), Some((Id::from(0), heartbeat())));
        assert_eq!(node.recv(Duration::from_millis(50)), None);
    }
}

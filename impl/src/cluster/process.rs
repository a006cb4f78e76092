//! The cluster's processes, one per actor, as the cluster commands see them: where each one's pid
//! file, log and data live under the cluster directory, how one is started detached from the
//! command that starts it, and how it is signalled, watched and waited for. Liveness is read from
//! `/proc`: a pid counts only while it is a running `kelp node` process for that very node of that
//! very cluster directory (a zombie, a reused pid or another program does not).

use crate::cluster_file::Role;
pub use crate::node::node_name;
use kelp_model::config::Config;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The files of a cluster directory, named after the nodes of its configuration.
#[derive(Clone, Debug)]
pub struct Layout {
    pub dir: PathBuf,
    config: Config,
}

impl Layout {
    pub fn new(dir: &Path, config: &Config) -> Self {
        Layout { dir: dir.to_path_buf(), config: config.clone() }
    }

    /// What node `node` is.
    pub fn role(&self, node: u32) -> Role {
        Role::of_id(&self.config, node)
    }

    /// How node `node` is named in file names and messages (`crate::node::node_name`).
    pub fn name(&self, node: u32) -> String {
        node_name(&self.config, node)
    }

    pub fn log_file(&self, node: u32) -> PathBuf {
        self.dir.join("logs").join(format!("{}.log", self.name(node)))
    }

    pub fn pid_file(&self, node: u32) -> PathBuf {
        self.dir.join("run").join(format!("{}.pid", self.name(node)))
    }

    /// Written by the node itself, with its pid, once it listens (`announce_ready`): what the
    /// commands that start it wait for.
    pub fn ready_file(&self, node: u32) -> PathBuf {
        self.dir.join("run").join(format!("{}.ready", self.name(node)))
    }

    /// Node `node`'s data directory (a broker's `log.dirs`; the controller's, a candidate's or
    /// ZooKeeper's metadata).
    pub fn data_dir(&self, node: u32) -> PathBuf {
        self.dir.join("data").join(self.name(node))
    }

    /// The next free producer id's file (each `kelp produce` is a new idempotent producer).
    pub fn producer_ids(&self) -> PathBuf {
        self.dir.join("run").join("next-producer-id")
    }
}

/// Starts `kelp node --dir DIR --id NODE` in a session of its own (so it outlives the command and
/// no terminal signal reaches it), its output appended to its log, and records its pid.
pub fn start(layout: &Layout, node: u32) -> io::Result<u32> {
    fs::create_dir_all(layout.dir.join("logs"))?;
    fs::create_dir_all(layout.dir.join("run"))?;
    forget(layout, node);
    let log = fs::OpenOptions::new().create(true).append(true).open(layout.log_file(node))?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("node")
        .arg("--dir")
        .arg(&layout.dir)
        .arg("--id")
        .arg(node.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| if libc::setsid() < 0 { Err(io::Error::last_os_error()) } else { Ok(()) });
    }
    let child = command.spawn()?;
    let pid = child.id();
    fs::write(layout.pid_file(node), format!("{pid}\n"))?;
    Ok(pid)
}

/// The pid of `node` if it is running.
pub fn running(layout: &Layout, node: u32) -> Option<u32> {
    let pid: u32 = fs::read_to_string(layout.pid_file(node)).ok()?.trim().parse().ok()?;
    is_node_of(pid, layout, node).then_some(pid)
}

/// Whether `pid` is live and runs node `node` of the cluster in `layout`'s directory. A pid file
/// can outlive its process and the pid be reused by any program: the cluster commands signal only
/// what this lets through.
fn is_node_of(pid: u32, layout: &Layout, node: u32) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let Ok(cwd) = fs::read_link(format!("/proc/{pid}/cwd")) else { return false };
    let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    runs_node(&args, &cwd, layout, node) && has_live_thread(pid)
}

/// Whether the command line `args` of a process running in `cwd` is the one `start` gives node
/// `node` of `layout`'s cluster: `node --dir DIR --id NODE` after the program, with DIR (taken
/// from `cwd` if relative) the same directory as `layout`'s.
fn runs_node(args: &[&[u8]], cwd: &Path, layout: &Layout, node: u32) -> bool {
    let [_, b"node", b"--dir", dir, b"--id", id, ..] = args[..] else { return false };
    if id != node.to_string().as_bytes() {
        return false;
    }
    let dir = cwd.join(Path::new(std::ffi::OsStr::from_bytes(dir)));
    match (dir.canonicalize(), layout.dir.canonicalize()) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => false,
    }
}

/// Said by node `node` of the cluster in `dir`, once it listens: it is up (`ready`).
pub fn announce_ready(dir: &Path, config: &Config, node: u32) -> io::Result<()> {
    let file = Layout::new(dir, config).ready_file(node);
    fs::create_dir_all(file.parent().expect("run/ holds the file"))?;
    fs::write(file, format!("{}\n", std::process::id()))
}

/// Whether the node started as `pid` announced that it listens.
pub fn ready(layout: &Layout, node: u32, pid: u32) -> bool {
    let announced = fs::read_to_string(layout.ready_file(node)).ok().and_then(|text| text.trim().parse().ok());
    announced == Some(pid)
}

/// Whether one of `pid`'s threads has not exited yet (from fork on, before it runs `kelp node`).
/// The main thread alone is not enough: after SIGKILL it can turn zombie (and its command line
/// empty) while the other threads still hold the process's files, and so its data directory's
/// lock.
pub fn has_live_thread(pid: u32) -> bool {
    let Ok(threads) = fs::read_dir(format!("/proc/{pid}/task")) else { return false };
    threads.flatten().any(|thread| {
        let Ok(stat) = fs::read_to_string(thread.path().join("stat")) else { return false };
        // The state follows the parenthesised command name: `1234 (kelp) S ...`.
        let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next());
        !matches!(state, None | Some('Z' | 'X'))
    })
}

/// Sends `signal` (libc's SIGKILL, SIGTERM) to `pid`.
pub fn signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    // SAFETY: kill takes no pointers.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Waits until every thread of `pid` (a `kelp node` that was sent a signal) has exited; false if
/// `timeout` passed first.
pub fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while has_live_thread(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Forgets `node`'s pid and readiness (it stopped, was killed, or is about to start again).
pub fn forget(layout: &Layout, node: u32) {
    let _ = fs::remove_file(layout.pid_file(node));
    let _ = fs::remove_file(layout.ready_file(node));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_named_as_kafka_operators_would() {
        let cfg = Config::default();
        assert_eq!(node_name(&cfg, 0), "controller");
        assert_eq!(node_name(&cfg, 2), "broker-2");
        let layout = Layout::new(Path::new("/tmp/c"), &cfg);
        assert_eq!(layout.pid_file(3), Path::new("/tmp/c/run/broker-3.pid"));
        assert_eq!(layout.data_dir(1), Path::new("/tmp/c/data/broker-1"));
        // With candidates (no configured producers, as the reference cluster runs).
        let cfg = Config { controllers: 2, producers: 0, ..cfg };
        assert_eq!(node_name(&cfg, 4), "controller-2");
        assert_eq!(node_name(&cfg, 5), "zookeeper");
        assert_eq!(Layout::new(Path::new("/tmp/c"), &cfg).log_file(5), Path::new("/tmp/c/logs/zookeeper.log"));
    }

    #[test]
    fn a_pid_that_is_not_a_kelp_node_does_not_count() {
        let layout = Layout::new(Path::new("/tmp"), &Config::default());
        assert!(!is_node_of(std::process::id(), &layout, 1), "the test runner is not `kelp node`");
        assert!(!is_node_of(u32::MAX, &layout, 1));
    }

    #[test]
    fn only_the_command_line_of_this_node_of_this_directory_counts() {
        let root = tempfile::tempdir().unwrap();
        let (cluster, other) = (root.path().join("c"), root.path().join("other"));
        fs::create_dir_all(&cluster).unwrap();
        fs::create_dir_all(&other).unwrap();
        let layout = Layout::new(&cluster, &Config::default());
        let c = cluster.to_str().unwrap().as_bytes();
        fn line<'a>(args: &[&'a [u8]]) -> Vec<&'a [u8]> {
            [&[b"/usr/bin/kelp" as &[u8]][..], args].concat()
        }
        assert!(runs_node(&line(&[b"node", b"--dir", c, b"--id", b"2"]), Path::new("/"), &layout, 2));
        // The same directory named from where the node runs.
        assert!(runs_node(&line(&[b"node", b"--dir", b"c", b"--id", b"2"]), root.path(), &layout, 2));
        assert!(runs_node(&line(&[b"node", b"--dir", b"../c", b"--id", b"2"]), &other, &layout, 2));
        // Another node, another cluster, another program with an argument `node`.
        assert!(!runs_node(&line(&[b"node", b"--dir", c, b"--id", b"3"]), Path::new("/"), &layout, 2));
        assert!(!runs_node(&line(&[b"node", b"--dir", b"other", b"--id", b"2"]), root.path(), &layout, 2));
        assert!(!runs_node(&line(&[b"node", b"300"]), Path::new("/"), &layout, 2));
        assert!(!runs_node(&[b"node" as &[u8]], Path::new("/"), &layout, 2));
        assert!(!runs_node(&line(&[b"node", b"--dir", b"/nonexistent", b"--id", b"2"]), Path::new("/"), &layout, 2));
    }
}

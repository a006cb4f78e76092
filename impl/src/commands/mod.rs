//! The reference cluster's commands: parsed arguments (`args`) in, the cluster and client
//! modules' work done, lines printed, an exit code out. The exit codes are the checker's: 0 when
//! the command did its work and all is well; 1 when it did its work and what it found is a
//! failure (a record not delivered, an election refused, logs that disagree); 2 when it could not
//! do its work (bad input, no cluster there, a node not answering), with one `error: ...` line on
//! stderr. Nothing here panics on bad input.

pub mod args;

use crate::client::{self, ConsumeOptions, ElectionTarget, ProduceOptions, TopicsFilter};
use crate::cluster::{self, UpOptions, MAX_VALUE_BYTES};
use crate::cluster_file::ClusterFile;
use crate::node::{self, Stop};
use args::*;
use kelp_model::config::{Acks, FlushPolicy, MAX_RECORDS};
use kelp_model::log::Value;
use kelp_model::msg;
use std::fmt::Display;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: the command did its work, and what it found is a failure (every `kelp` command).
pub const FOUND_A_FAILURE: u8 = 1;
/// Exit code: the command could not do its work (every `kelp` command).
pub const COULD_NOT: u8 = 2;

/// Writes `text` to standard output. A reader that went away (a closed pipe, as under `| head`) had
/// what it wanted: the rest is dropped without a word, as `cat` and `grep` do, and the exit code
/// still tells the outcome. Any other failure (a full disk) is the command's error.
pub fn write_out(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("writing standard output: {e}")),
        _ => Ok(()),
    }
}

/// Each line, then `\n`, to standard output (`write_out`).
fn write_lines(lines: &[String]) -> Result<(), String> {
    write_out(&lines.iter().map(|line| format!("{line}\n")).collect::<String>())
}

fn print_lines<E: Display>(result: Result<Vec<String>, E>) -> ExitCode {
    match result.map_err(|e| e.to_string()).and_then(|lines| write_lines(&lines)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// The command could not do its work: `e` on stderr, exit 2.
fn fail(e: impl Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(COULD_NOT)
}

/// The command did its work and found a failure: `what` on stderr, exit 1.
fn found(what: impl Display) -> ExitCode {
    eprintln!("error: {what}");
    ExitCode::from(FOUND_A_FAILURE)
}

/// `kelp cluster ...`.
pub fn cluster(command: &ClusterCommand) -> ExitCode {
    match command {
        ClusterCommand::Up(a) => print_lines(cluster::up(&a.dir.dir, &up_options(a))),
        ClusterCommand::Down(d) => print_lines(cluster::down(&d.dir)),
        ClusterCommand::Status(d) => print_lines(cluster::status(&d.dir)),
        ClusterCommand::Kill(n) => print_lines(cluster::kill(&n.dir.dir, n.node).map(|l| vec![l])),
        ClusterCommand::KillController(d) => print_lines(cluster::kill_controller(&d.dir)),
        ClusterCommand::Start(n) => print_lines(cluster::start(&n.dir.dir, n.node).map(|l| vec![l])),
        ClusterCommand::Stop(n) => print_lines(cluster::stop(&n.dir.dir, n.node).map(|l| vec![l])),
        ClusterCommand::PowerLoss(n) => print_lines(cluster::power_loss(&n.dir.dir, n.node)),
        ClusterCommand::CheckLogs(d) => match cluster::check_logs(&d.dir) {
            Err(e) if e.is_finding() => found(e),
            result => print_lines(result),
        },
        ClusterCommand::Logs(a) => cluster_logs(a),
    }
}

/// `kelp cluster logs`: with `--follow`, until SIGINT or SIGTERM (then exit 0).
fn cluster_logs(a: &LogsArgs) -> ExitCode {
    let stop = match a.follow.then(Stop::on_signals).transpose() {
        Ok(stop) => stop,
        Err(e) => return fail(e),
    };
    let request = cluster::logs::LogsRequest { nodes: &a.nodes, tail: a.tail, follow: stop.as_ref() };
    match cluster::logs::logs(&a.dir.dir, &request, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn up_options(a: &UpArgs) -> UpOptions {
    UpOptions {
        brokers: a.brokers,
        partitions: a.partitions,
        replication_factor: a.replication_factor,
        min_insync_replicas: a.min_insync_replicas,
        controllers: a.controllers,
        eligible_leader_replicas: a.eligible_leader_replicas,
        unclean_leader_election: a.unclean_leader_election,
        auto_leader_rebalance: a.auto_leader_rebalance,
        flush: a.flush.map(|flush| match flush {
            Flush::Never => FlushPolicy::Never,
            Flush::Always => FlushPolicy::Always,
        }),
    }
}

/// `kelp node --id N` (what the cluster commands start): runs until stopped.
pub fn node(a: &NodeRunArgs) -> ExitCode {
    node::init_logging(std::io::stderr);
    node::report_only_unexpected_panics();
    let stop = match Stop::on_signals() {
        Ok(stop) => stop,
        Err(e) => return fail(e),
    };
    match node::run(&a.dir.dir, a.id, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            fail(e)
        }
    }
}

/// `kelp topics --describe [filter]`.
pub fn topics(a: &TopicsArgs) -> ExitCode {
    let filter = if a.under_replicated_partitions {
        TopicsFilter::UnderReplicated
    } else if a.unavailable_partitions {
        TopicsFilter::Unavailable
    } else if a.under_min_isr_partitions {
        TopicsFilter::UnderMinIsr
    } else {
        TopicsFilter::All
    };
    print_lines(client::describe(&a.dir.dir, filter))
}

/// `kelp demote-broker --broker N`: exit 1 if a reordering or an election failed.
pub fn demote_broker(a: &DemoteBrokerArgs) -> ExitCode {
    lines_and_verdict(client::demote_broker(&a.dir.dir, kelp_model::ids::BrokerId(a.broker)))
}

/// `kelp leader-election`: exit 1 if any partition's election failed.
pub fn leader_election(a: &LeaderElectionArgs) -> ExitCode {
    let election = match a.election_type {
        ElectionType::Preferred => msg::ElectionType::Preferred,
        ElectionType::Unclean => msg::ElectionType::Unclean,
    };
    let target = match a.partition {
        Some(p) => ElectionTarget::Partition(p),
        None => ElectionTarget::AllTopicPartitions,
    };
    lines_and_verdict(client::leader_election(&a.dir.dir, election, target))
}

/// Prints the lines; exit 1 if the command reported a failure among them.
fn lines_and_verdict(result: Result<(Vec<String>, bool), client::ClientError>) -> ExitCode {
    match result {
        Ok((lines, ok)) => {
            if let Err(e) = write_lines(&lines) {
                return fail(e);
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FOUND_A_FAILURE)
            }
        }
        Err(e) => fail(e),
    }
}

/// `kelp produce`: every line of stdin (read to its end first, once the cluster's file is found)
/// is a record; exit 1 if any record failed.
pub fn produce(a: &ProduceArgs) -> ExitCode {
    if let Err(e) = ClusterFile::load(&a.dir.dir) {
        return fail(e);
    }
    let values = match read_values(std::io::stdin().lock()) {
        Ok(values) => values,
        Err(e) => return fail(format!("{e}; nothing was sent")),
    };
    let options = ProduceOptions {
        acks: match a.acks {
            AcksArg::All => Acks::All,
            AcksArg::One => Acks::One,
            AcksArg::Zero => Acks::Zero,
        },
        idempotence: a.idempotence,
        request_timeout: Duration::from_millis(a.request_timeout_ms),
        retries: a.retries,
        delivery_timeout: Duration::from_millis(a.delivery_timeout_ms),
    };
    let mut out = ReportOnly { out: std::io::stdout().lock(), failed: None };
    let result = client::produce(&a.dir.dir, values, &options, &mut out);
    if let Some(e) = out.failed.filter(|e| e.kind() != std::io::ErrorKind::BrokenPipe) {
        eprintln!("warning: writing standard output: {e}: the report stops there; every record was still sent");
    }
    match result {
        Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
        Ok(summary) => found(format!("{} record(s) failed", summary.failed)),
        Err(e) => fail(e),
    }
}

/// Standard output for `kelp produce`, whose records go out whoever reads its report: a failed
/// write ends the report (its error kept), not the sending, which would leave the records after
/// it unsent while those before it stay written.
struct ReportOnly<W: Write> {
    out: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Write for ReportOnly<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failed.is_none() {
            self.failed = self.out.write_all(buf).err();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failed.is_none() {
            self.failed = self.out.flush().err();
        }
        Ok(())
    }
}

/// The records of `kelp produce`: one per line of `input` (its line end left out), read to the
/// end. A line longer than a record may hold, or more lines than one run sends, is refused as soon
/// as it is read, so that an endless input is not held in memory first.
fn read_values(mut input: impl BufRead) -> Result<Vec<Value>, String> {
    let mut values = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        // The longest record, its line end and one byte more: enough to tell a line too long.
        let limit = MAX_VALUE_BYTES as u64 + 3;
        let read = std::io::Read::take(&mut input, limit).read_until(b'\n', &mut line);
        if read.map_err(|e| format!("reading standard input: {e}"))? == 0 {
            return Ok(values);
        }
        let n = values.len() + 1;
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        if line.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "line {n}: more than {MAX_VALUE_BYTES} bytes, more than a record may hold (Kafka: RECORD_TOO_LARGE)"
            ));
        }
        if values.len() == MAX_RECORDS as usize {
            return Err(format!(
                "more than {MAX_RECORDS} lines: one run of produce sends at most {MAX_RECORDS} records"
            ));
        }
        let text = std::str::from_utf8(&line).map_err(|_| format!("line {n}: not UTF-8"))?;
        values.push(Value::from(text));
    }
}

/// `kelp consume`.
pub fn consume(a: &ConsumeArgs) -> ExitCode {
    let options = ConsumeOptions {
        from_beginning: a.from_beginning,
        max_messages: a.max_messages,
        idle_timeout: a.timeout_ms.map(Duration::from_millis),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = client::consume(&a.dir.dir, &options, &mut out);
    let result = result.and_then(|_| out.flush().map_err(client::ClientError::Output));
    match result {
        // The reader went away (`| head`): it has what it wanted.
        Ok(()) => ExitCode::SUCCESS,
        Err(client::ClientError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose every write fails as `kind` does.
    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(self.0.into())
        }
    }

    #[test]
    fn a_report_that_cannot_be_written_keeps_its_first_error_and_lets_the_work_go_on() {
        let mut out = ReportOnly { out: Failing(std::io::ErrorKind::StorageFull), failed: None };
        assert!(writeln!(out, "record 0: t-0 offset 0").is_ok() && out.flush().is_ok());
        assert_eq!(out.failed.map(|e| e.kind()), Some(std::io::ErrorKind::StorageFull));
        let mut out = ReportOnly { out: Vec::new(), failed: None };
        writeln!(out, "record 0: t-0 offset 0").unwrap();
        assert_eq!((out.out, out.failed.is_none()), (b"record 0: t-0 offset 0\n".to_vec(), true));
    }

    #[test]
    fn each_line_is_a_record_without_its_line_end() {
        let values = read_values(&b"a\r\nb\n\nlast"[..]).unwrap();
        assert_eq!(values, ["a", "b", "", "last"].map(Value::from).to_vec());
    }

    #[test]
    fn a_line_longer_than_a_record_is_refused_before_the_rest_is_read() {
        let fits = "x".repeat(MAX_VALUE_BYTES);
        assert_eq!(read_values(format!("{fits}\r\n").as_bytes()).unwrap(), vec![Value::from(fits.as_str())]);
        let long = "x".repeat(MAX_VALUE_BYTES + 1);
        let err = read_values(format!("ok\n{long}\nnever read").as_bytes()).unwrap_err();
        assert_eq!(
            err,
            format!("line 2: more than {MAX_VALUE_BYTES} bytes, more than a record may hold (Kafka: RECORD_TOO_LARGE)")
        );
        // An endless line is refused after the first bytes past the limit.
        let endless = std::io::repeat(b'x');
        assert!(read_values(std::io::BufReader::new(endless)).unwrap_err().starts_with("line 1: more than"));
    }

    #[test]
    fn more_lines_than_one_run_sends_are_refused() {
        let endless = std::io::BufReader::new(std::io::repeat(b'\n'));
        let err = read_values(endless).unwrap_err();
        assert_eq!(
            err,
            format!("more than {MAX_RECORDS} lines: one run of produce sends at most {MAX_RECORDS} records")
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named() {
        assert_eq!(read_values(&b"ok\n\xff\xfe\n"[..]).unwrap_err(), "line 2: not UTF-8");
    }
}

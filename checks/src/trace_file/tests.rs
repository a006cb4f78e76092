//! Each writer on a small hand-made trace, pinned exactly; reading a file back; what reading refuses.

use super::action::TraceAction;
use super::json::{complete, parse, to_json};
use super::markdown::{render, Options};
use super::ordered::Ordered;
use super::write::{markdown, svg};
use super::{Snapshot, TraceFile, VERSION};
use crate::trace::{Change, Step};
use kelp_model::config::{Config, FaultBudget};
use kelp_model::effects::Address;
use kelp_model::ids::{BrokerId, PartitionId, ProducerId, Sequence};
use kelp_model::msg::Msg;
use kelp_model::timer::Timer;

fn state(leader: &str, log: &str, process: &str) -> Snapshot {
    let fields = |pairs: &[(&str, &str)]| Ordered(pairs.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect());
    Ordered(vec![
        ("controller".to_string(), fields(&[("p0", leader)])),
        ("broker 1".to_string(), fields(&[("process", process), ("p0 log", log)])),
        ("broker 2".to_string(), fields(&[("process", "up, broker epoch 2"), ("p0 log", "[]")])),
        ("producer 1".to_string(), fields(&[("outcomes", "[]")])),
    ])
}

fn step(step: usize, actor: &str, action: &str, changes: &[(&str, &str, &str)], sent: &[&str]) -> Step {
    Step {
        step,
        actor: actor.to_string(),
        action: action.to_string(),
        changes: changes
            .iter()
            .map(|(f, b, a)| Change { field: f.to_string(), before: b.to_string(), after: a.to_string() })
            .collect(),
        sent: sent.iter().map(|s| s.to_string()).collect(),
        partitions: Vec::new(),
        lost: None,
    }
}

/// Two brokers, a record written to broker 1, broker 1 crashing, the controller moving leadership.
fn hand_made() -> TraceFile {
    let config = Config {
        brokers: 2,
        replication_factor: 2,
        min_insync_replicas: 1,
        records: 1,
        budget: FaultBudget { crashes: 1, ..FaultBudget::none() },
        ..Config::default()
    };
    let produce = Msg::Produce {
        partition: PartitionId(0),
        producer: ProducerId(1),
        sequence: Sequence(0),
        acks: kelp_model::config::Acks::All,
        idempotent: true,
        value: Default::default(),
    };
    let mut expired = step(
        3,
        "controller",
        "session of broker 1 expired",
        &[("p0", "leader 1", "leader 2")],
        &["SessionExpired{broker epoch 1} to broker 1"],
    );
    expired
        .partitions
        .push("Topic: t\tPartition: 0\tLeader: 2\tReplicas: 1,2\tIsr: 2\tElr: \tLastKnownElr: ".to_string());
    TraceFile {
        version: VERSION,
        scenario: "hand-made".to_string(),
        description: "a record written to one broker only, which crashes".to_string(),
        property: "no-acked-loss".to_string(),
        verdict: "no-acked-loss violated after 3 steps".to_string(),
        config,
        actions: vec![
            TraceAction::Deliver {
                from: Address::Producer(ProducerId(1)),
                to: Address::Broker(BrokerId(1)),
                msg: produce,
            },
            TraceAction::Timeout { actor: Address::Broker(BrokerId(1)), timer: Timer::Crash },
            TraceAction::Timeout { actor: Address::Controller, timer: Timer::SessionTimeout(BrokerId(1)) },
        ],
        steps: vec![
            step(1, "broker 1", "receives Produce{p0 p1#0} from producer 1", &[("p0 log", "[]", "[p1#0@e1]")], &[]),
            step(2, "broker 1", "process crash (SIGKILL)", &[("process", "up, broker epoch 1", "down")], &[]),
            expired,
        ],
        states: vec![
            state("leader 1", "[]", "up, broker epoch 1"),
            state("leader 1", "[p1#0@e1]", "up, broker epoch 1"),
            state("leader 1", "[p1#0@e1]", "down"),
            state("leader 2", "[p1#0@e1]", "down"),
        ],
        explanation: "record p1#0 was acknowledged at offset 0 of partition 0, but leader broker 2 has nothing there"
            .to_string(),
        loop_start: None,
    }
}

#[test]
fn markdown_tells_the_steps_and_ends_with_the_diagram() {
    insta::assert_snapshot!("hand_made_md", markdown(&hand_made()));
}

#[test]
fn show_full_prints_every_field_of_every_actor() {
    insta::assert_snapshot!("hand_made_show_full", render(&hand_made(), Options { diagram: false, full: true }));
}

#[test]
fn svg_draws_the_same_diagram() {
    let svg = svg(&hand_made());
    assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>\n"));
    insta::assert_snapshot!("hand_made_svg", svg);
}

#[test]
fn json_reads_back_as_written() {
    let file = hand_made();
    let json = to_json(&file);
    insta::assert_snapshot!("hand_made_json", json);
    assert_eq!(parse("t.json", &json).expect("valid"), file);
}

#[test]
fn reading_refuses_what_no_tool_could_use() {
    let json = to_json(&hand_made());
    let error = |text: &str| parse("t.json", text).expect_err("refused").to_string();
    assert_eq!(
        error("{\"version\": 1"),
        "t.json is not a kelp trace file: EOF while parsing an object at line 1 column 13"
    );
    assert_eq!(
        error(&json.replace("\"version\": 1", "\"version\": 2")),
        "t.json: trace file version 2, but this kelp reads version 1 only"
    );
    assert_eq!(error("[]"), "t.json is not a kelp trace file: no \"version\" field");
    assert!(error(&json.replace("\"scenario\"", "\"scenery\""))
        .starts_with("t.json is not a kelp trace file: unknown field `scenery`"));
    assert!(error(&json.replace("\"brokers\"", "\"brokerz\"")).contains("unknown field `brokerz`"));
    assert_eq!(
        error(&json.replace("\"no-acked-loss\"", "\"power-loss\"")),
        "t.json: 'power-loss' is a reachability witness, which has no counterexample"
    );
    assert_eq!(
        error(&json.replace("\"brokers\": 2", "\"brokers\": 0")),
        "t.json: invalid configuration: brokers = 0: must be 1 to 9"
    );
    assert_eq!(
        error(&json.replace("\"Broker\": 1", "\"Broker\": 7")),
        "t.json: step 1 names broker 7, which this configuration does not have"
    );
    let with_loop = |at: usize| json.replace("\n}\n", &format!(",\n  \"loop_start\": {at}\n}}\n"));
    assert_eq!(
        error(&with_loop(1)),
        "t.json: loop_start is for an `eventually` property's cycle, and 'no-acked-loss' is not one"
    );
    let eventually = |at: usize| {
        let verdict = format!("eventually-leader violated after 3 steps, then steps {}-3 repeat for ever", at + 1);
        with_loop(at)
            .replace("no-acked-loss violated after 3 steps", &verdict)
            .replace("\"no-acked-loss\"", "\"eventually-leader\"")
    };
    let whole = |text: &str| complete(&parse("t.json", text).expect("readable"));
    assert_eq!(whole(&eventually(2)), Ok(()));
    // A cycle must start at one of the path's steps: refused on reading, for replays too.
    assert_eq!(error(&eventually(3)), "t.json: loop_start 3 leaves no step for the cycle (the path has 3 steps)");
    assert_eq!(
        whole(&json.replace("after 3 steps", "after 6 steps")),
        Err("the verdict says 'no-acked-loss violated after 6 steps', but its 3 actions make it 'no-acked-loss violated after 3 steps'".into())
    );
}

use kelp_model::config::*;
use stateright::{Checker, Model};
fn main() {
    let mut cfg = Config::default();
    let args: Vec<String> = std::env::args().collect();
    for a in &args[1..] {
        let (k, v) = a.split_once('=').unwrap();
        let v: u8 = v.parse().unwrap();
        match k {
            "crashes" => cfg.budget.crashes = v,
            "power" => cfg.budget.power_losses = v,
            "exp" => cfg.budget.session_expiries = v,
            "shrink" => cfg.budget.isr_shrinks = v,
            "epochs" => cfg.budget.leader_epochs = v,
            "records" => cfg.records = v,
            "retries" => cfg.retries = v,
            "acks1" => cfg.acks = if v == 1 { Acks::One } else { Acks::All },
            "shut" => cfg.budget.shutdowns = v,
            _ => panic!("{k}"),
        }
    }
    let t = std::time::Instant::now();
    let model = kelp_model::system::build(cfg);
    let c = model.checker().threads(2).spawn_bfs().join();
    println!("states={} unique={} depth={} secs={:.1}", c.state_count(), c.unique_state_count(), c.max_depth(), t.elapsed().as_secs_f64());
    for p in c.model().properties() {
        let d = c.discovery(p.name);
        println!("{:22} {:?} {}", p.name, p.expectation, if d.is_some() { format!("DISCOVERY len {}", d.unwrap().into_actions().len()) } else { "-".into() });
    }
}

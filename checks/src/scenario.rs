//! Named scenarios: a `Config` and the verdict each property is expected to reach. The built-in
//! ones are the TOML files under `checks/scenarios/` (compiled in, so `kelp` runs anywhere);
//! `kelp check --config FILE` reads a user's file of the same form.

use crate::cli::ConfigFlags;
use kelp_model::config::Config;
use kelp_model::properties::{self, Kind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What a property is expected to show. For `sometimes` properties `holds` means "reached".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Holds,
    Violated,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
        }
    }

    /// How the verdict reads in text, for a property of this kind.
    pub fn describe(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Verdict::Holds, Kind::Sometimes) => "reached",
            (Verdict::Violated, Kind::Sometimes) => "not reached",
            (v, _) => v.as_str(),
        }
    }
}

/// Which `kelp matrix` runs a scenario: `ci` (every CI run, minutes on 2 cores) or `full` only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    #[default]
    Ci,
    Full,
}

impl Tier {
    /// The name scenario files and `kelp scenarios` use.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Ci => "ci",
            Tier::Full => "full",
        }
    }
}

/// The walks `kelp matrix` takes through a simulated scenario (`kelp simulate`'s options).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SimulationBounds {
    pub seed: u64,
    pub runs: u32,
    pub depth: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub tier: Tier,
    #[serde(default)]
    pub config: Config,
    /// Set for a scenario too large to check exhaustively on a CI machine: `kelp matrix` judges it
    /// by these random walks instead (a violation found is real; "holds" then only means that no
    /// walk found one).
    #[serde(default)]
    pub simulate: Option<SimulationBounds>,
    /// Expected verdicts by property name; unlisted properties are expected to hold.
    #[serde(default)]
    pub expect: BTreeMap<String, Verdict>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario '{0}' (kelp scenarios lists them)")]
    Unknown(String),
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a valid scenario: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: unknown property '{name}' in [expect]")]
    UnknownProperty { path: String, name: String },
    #[error("{path}: {source}")]
    Config { path: String, source: kelp_model::config::ConfigError },
    #[error(
        "{path}: name '{name}' cannot name a directory: {rule} (counterexamples are written under traces/<name>/)",
        rule = crate::trace_file::write::NAME_RULE
    )]
    Name { path: String, name: String },
    #[error("{path}: [simulate] {field} = {value}: must be 1 to {max}")]
    Simulate { path: String, field: &'static str, value: u32, max: u32 },
    #[error(
        "{path}: [config.runtime] is for the reference cluster only (`kelp cluster up` turns it on): \
         the checker stands in for heartbeats, metadata refreshes and fetch waits, and with them on a \
         state space has no end"
    )]
    Runtime { path: String },
}

macro_rules! scenario_files {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../scenarios/", $file)))),*]
    };
}

/// Every file under `checks/scenarios/`, in the order `kelp scenarios` lists them.
const BUILT_IN: &[(&str, &str)] = scenario_files!(
    "healthy.toml",
    "acks-1.toml",
    "acks-1-fixed.toml",
    "unclean-election.toml",
    "min-isr-1.toml",
    "min-isr-1-fixed.toml",
    "kip-966-last-replica-standing.toml",
    "kip-966-elr.toml",
    "kip-966-last-known-leader.toml",
    "kip-966-last-known-leader-off.toml",
    "kip-966-no-strict-min-isr.toml",
    "kip-966-no-strict-min-isr-fixed.toml",
    "no-idempotence.toml",
    "no-idempotence-fixed.toml",
    "no-retries.toml",
    "kip-101-hw-truncation.toml",
    "kip-101-hw-truncation-fixed.toml",
    "kip-101-divergence.toml",
    "kip-101-divergence-fixed.toml",
    "kip-279-epoch-lookup.toml",
    "kip-279-epoch-lookup-fixed.toml",
    "kip-320-unfenced-fetch.toml",
    "kip-320-unfenced-fetch-fixed.toml",
    "kip-903-no-broker-epoch.toml",
    "kip-903-no-broker-epoch-fixed.toml",
    "kafka-7128-lagging-hw.toml",
    "kafka-7128-lagging-hw-fixed.toml",
    "leader-gone-for-good.toml",
    "preferred-election.toml",
    "partial-partition.toml",
    "partial-partition-demoted.toml",
    "zombie-controller.toml",
    "controller-failover.toml",
);

impl Scenario {
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        // The error's own text: its line, column and the line itself, then what is wrong there.
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        if let Some(name) = scenario.expect.keys().find(|n| properties::by_name(n).is_none()) {
            return Err(ScenarioError::UnknownProperty { path: path.to_string(), name: name.clone() });
        }
        scenario.config.validate().map_err(|source| ScenarioError::Config { path: path.to_string(), source })?;
        if !crate::trace_file::write::names_a_directory(&scenario.name) {
            return Err(ScenarioError::Name { path: path.to_string(), name: scenario.name });
        }
        if !scenario.config.runtime.is_off() {
            return Err(ScenarioError::Runtime { path: path.to_string() });
        }
        if let Some(bounds) = scenario.simulate {
            let limits = [("runs", bounds.runs, u32::MAX), ("depth", bounds.depth, crate::simulate::MAX_DEPTH)];
            if let Some((field, value, max)) = limits.into_iter().find(|&(_, value, max)| value == 0 || value > max) {
                return Err(ScenarioError::Simulate { path: path.to_string(), field, value, max });
            }
        }
        Ok(scenario)
    }

    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: shown.clone(), source })?;
        Self::parse(&shown, &text)
    }

    pub fn built_in() -> Vec<Scenario> {
        BUILT_IN
            .iter()
            .map(|(file, text)| Self::parse(file, text).unwrap_or_else(|e| panic!("built-in scenario {file}: {e}")))
            .collect()
    }

    pub fn named(name: &str) -> Result<Scenario, ScenarioError> {
        Self::built_in().into_iter().find(|s| s.name == name).ok_or_else(|| ScenarioError::Unknown(name.to_string()))
    }

    /// A scenario for a configuration given only by flags: every property expected to hold.
    pub fn ad_hoc(config: Config) -> Scenario {
        Scenario {
            name: "custom".to_string(),
            description: "configuration from the command line".to_string(),
            tier: Tier::Ci,
            config,
            simulate: None,
            expect: BTreeMap::new(),
        }
    }

    /// The scenario a command line names: `--scenario NAME`, `--config FILE` or neither (the
    /// default configuration), with the configuration flags written over it.
    pub fn select(name: Option<&str>, file: Option<&Path>, overrides: &ConfigFlags) -> Result<Scenario, ScenarioError> {
        let mut scenario = match (name, file) {
            (Some(name), _) => Scenario::named(name)?,
            (None, Some(path)) => Scenario::from_file(path)?,
            (None, None) => Scenario::ad_hoc(Config::default()),
        };
        if overrides.apply(&mut scenario.config) {
            scenario
                .config
                .validate()
                .map_err(|source| ScenarioError::Config { path: "command line".to_string(), source })?;
            // No longer the named scenario: its reports and trace files must not pass for it.
            scenario.name.push_str("+flags");
        }
        Ok(scenario)
    }

    pub fn expected(&self, property: &str) -> Verdict {
        self.expect.get(property).copied().unwrap_or(Verdict::Holds)
    }

    /// One line summing up what the scenario expects to break.
    pub fn expected_summary(&self) -> String {
        let broken: Vec<&str> = self
            .expect
            .iter()
            .filter(|(n, v)| **v == Verdict::Violated && is_safety(n))
            .map(|(n, _)| n.as_str())
            .collect();
        if broken.is_empty() {
            "every property holds".to_string()
        } else {
            format!("{} violated", broken.join(", "))
        }
    }
}

fn is_safety(name: &str) -> bool {
    properties::by_name(name).is_some_and(|p| p.kind != Kind::Sometimes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        let mut built_in: Vec<String> = BUILT_IN.iter().map(|(f, _)| f.to_string()).collect();
        built_in.sort();
        assert_eq!(files, built_in);
    }

    #[test]
    fn built_in_scenarios_parse_and_are_valid() {
        let names: Vec<String> = Scenario::built_in().into_iter().map(|s| s.name).collect();
        assert!(names.contains(&"healthy".to_string()) && names.contains(&"acks-1".to_string()));
    }

    #[test]
    fn files_spell_values_as_the_command_line_does() {
        let text =
            "name='x'\ndescription='d'\n[config]\nacks = '1'\ntruncation = 'kip-101'\n[config.budget]\nrestarts = 0\n";
        let s = Scenario::parse("x.toml", text).expect("valid");
        assert_eq!(s.config.acks, kelp_model::config::Acks::One);
        assert_eq!(s.config.truncation, kelp_model::config::TruncationRule::Kip101);
        assert_eq!(s.config.budget.restarts, Some(0));
    }

    #[test]
    fn an_unknown_property_is_named() {
        let err = Scenario::parse("x.toml", "name='x'\ndescription='d'\n[expect]\nno-such = 'holds'\n").unwrap_err();
        assert_eq!(err.to_string(), "x.toml: unknown property 'no-such' in [expect]");
    }

    #[test]
    fn a_bad_config_value_is_named() {
        let err = Scenario::parse("x.toml", "name='x'\ndescription='d'\n[config]\nbrokers = 0\n").unwrap_err();
        assert_eq!(err.to_string(), "x.toml: invalid configuration: brokers = 0: must be 1 to 9");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_shown_where_it_is() {
        let text = "name='x'\ndescription='d'\n[config.budget]\ncrashes = \"one\"\n";
        let err = Scenario::parse("x.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("x.toml is not a valid scenario: TOML parse error at line 4, column 11"), "{err}");
        assert!(
            err.contains("crashes = \"one\"") && err.ends_with("invalid type: string \"one\", expected u8"),
            "{err}"
        );
    }

    #[test]
    fn a_name_that_cannot_name_a_directory_is_refused_before_any_check() {
        let too_long = "a".repeat(65);
        for name in ["", ".", "..", "../escape", "a/b", "/abs", "x/", " ", "-rf", ".hidden", "a b", "é", &too_long] {
            let err = Scenario::parse("x.toml", &format!("name='{name}'\ndescription='d'\n")).unwrap_err().to_string();
            assert!(err.starts_with(&format!("x.toml: name '{name}' cannot name a directory")), "{name}: {err}");
        }
        assert!(Scenario::parse("x.toml", "name='my-scenario.v2'\ndescription='d'\n").is_ok());
        assert!(Scenario::parse("x.toml", &format!("name='{}'\ndescription='d'\n", "a".repeat(64))).is_ok());
    }

    #[test]
    fn simulation_bounds_are_checked_as_the_command_line_checks_them() {
        let text = |bounds: &str| format!("name='x'\ndescription='d'\n[simulate]\nseed = 1\n{bounds}\n");
        let err = |bounds: &str| Scenario::parse("x.toml", &text(bounds)).unwrap_err().to_string();
        assert_eq!(err("runs = 0\ndepth = 10"), "x.toml: [simulate] runs = 0: must be 1 to 4294967295");
        assert_eq!(err("runs = 5\ndepth = 0"), "x.toml: [simulate] depth = 0: must be 1 to 1000000");
        assert_eq!(err("runs = 5\ndepth = 1000001"), "x.toml: [simulate] depth = 1000001: must be 1 to 1000000");
        assert!(Scenario::parse("x.toml", &text("runs = 5\ndepth = 1000000")).is_ok());
    }

    #[test]
    fn runtime_settings_are_refused_as_the_reference_clusters_alone() {
        for setting in [
            "heartbeats = true",
            "metadata_refresh = true",
            "fetch_max_wait = true",
            "fetch_max_records = 1",
            "fetch_timeout = true",
            "controller_request_timeout = true",
            "metadata_fetch = true",
            "durable_metadata = true",
        ] {
            let text = format!("name='x'\ndescription='d'\n[config.runtime]\n{setting}\n");
            let err = Scenario::parse("x.toml", &text).unwrap_err().to_string();
            assert!(err.starts_with("x.toml: [config.runtime] is for the reference cluster only"), "{setting}: {err}");
        }
    }
}

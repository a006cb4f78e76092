//! The producer's delivery settings, as a scenario file, the cluster file and a trace spell them:
//! `acks` and `retries`. Each reads Kafka's own spellings and, given anything else, says what it
//! expects (a derived enum only said that no variant matched).

use serde::de::Error as _;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Producer `acks`. Written `"0"`, `"1"` or `"all"`; read also as Kafka's numbers (`acks = 1`,
/// `acks = -1` for all) and as `"zero"`, `"one"`, `"-1"`. In a binary format (the reference
/// cluster's datagrams) it is the ProduceRequest's int16: 0, 1 or -1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Acks {
    /// acks=0: fire and forget, no response.
    Zero,
    /// acks=1: the leader answers after its own append.
    One,
    /// acks=all (-1, Kafka's default since 3.0): the leader answers once the HW passes the record.
    All,
}

impl Acks {
    /// The ProduceRequest's `acks` field.
    fn kafka_number(self) -> i16 {
        match self {
            Acks::Zero => 0,
            Acks::One => 1,
            Acks::All => -1,
        }
    }

    /// The field read back; `None` for a number a broker refuses (Kafka: INVALID_REQUIRED_ACKS).
    fn from_kafka_number(n: i64) -> Option<Acks> {
        match n {
            0 => Some(Acks::Zero),
            1 => Some(Acks::One),
            -1 => Some(Acks::All),
            _ => None,
        }
    }
}

impl Serialize for Acks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            _ if !s.is_human_readable() => s.serialize_i16(self.kafka_number()),
            Acks::Zero => s.serialize_str("0"),
            Acks::One => s.serialize_str("1"),
            Acks::All => s.serialize_str("all"),
        }
    }
}

impl<'de> Deserialize<'de> for Acks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let expecting = "acks 0, 1 or all (-1)";
        if !d.is_human_readable() {
            let n = i16::deserialize(d)?;
            let unexpected = serde::de::Unexpected::Signed(n.into());
            return Acks::from_kafka_number(n.into()).ok_or_else(|| D::Error::invalid_value(unexpected, &expecting));
        }
        let word = |text: &str| text.parse().ok();
        d.deserialize_any(NumberOrWord { expecting, number: Acks::from_kafka_number, word })
    }
}

/// `0`, `1`, `all` or `-1`, as Kafka's producer config takes them, and `zero` and `one`.
impl std::str::FromStr for Acks {
    type Err = String;
    fn from_str(text: &str) -> Result<Acks, String> {
        match text {
            "0" | "zero" => Ok(Acks::Zero),
            "1" | "one" => Ok(Acks::One),
            "all" | "-1" => Ok(Acks::All),
            _ => Err(format!("expected 0, 1 or all (-1), found \"{text}\"")),
        }
    }
}

/// Producer `retries`: how often a record is sent again after an error or a time-out before it
/// fails back to the application. Written as a number, or the string `"forever"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retries {
    /// At most this many retries (`retries = N` with a `delivery.timeout.ms` that allows them).
    Times(u8),
    /// Never give up (Kafka's default `retries = 2147483647` with an unbounded
    /// `delivery.timeout.ms`, or an application that resends what timed out).
    Forever,
}

impl Serialize for Retries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Retries::Times(n) => s.serialize_u8(*n),
            Retries::Forever => s.serialize_str("forever"),
        }
    }
}

impl<'de> Deserialize<'de> for Retries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = |n| u8::try_from(n).ok().map(Retries::Times);
        let word = |text: &str| (text == "forever").then_some(Retries::Forever);
        d.deserialize_any(NumberOrWord { expecting: "a number of retries (0 to 16) or \"forever\"", number, word })
    }
}

impl Retries {
    /// Whether a record sent `attempts` times may be sent again.
    pub fn allow(self, attempts: u8) -> bool {
        match self {
            Retries::Times(retries) => attempts <= retries,
            Retries::Forever => true,
        }
    }

    /// The attempt count a producer keeps: with retries forever it stops at 2 ("retried"), so that
    /// a producer retrying for ever returns to the same state (a cycle the liveness check sees).
    pub fn count_attempt(self, attempts: u8) -> u8 {
        match self {
            Retries::Times(_) => attempts.saturating_add(1),
            Retries::Forever => attempts.saturating_add(1).min(2),
        }
    }
}

impl fmt::Display for Retries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retries::Times(n) => write!(f, "{n}"),
            Retries::Forever => write!(f, "forever"),
        }
    }
}

impl std::str::FromStr for Retries {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "forever" => Ok(Retries::Forever),
            n => n.parse().map(Retries::Times).map_err(|_| format!("expected 0 to 16 or \"forever\", found \"{n}\"")),
        }
    }
}

/// A setting written as a number or a word: `number` and `word` read the ones it takes, and
/// anything else is refused naming what was found and what is `expecting`. Only a format that
/// says what comes next (TOML, JSON) can be read so: not bincode.
struct NumberOrWord<N, W> {
    expecting: &'static str,
    number: N,
    word: W,
}

impl<T, N: Fn(i64) -> Option<T>, W: Fn(&str) -> Option<T>> serde::de::Visitor<'_> for NumberOrWord<N, W> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<T, E> {
        (self.number)(n).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<T, E> {
        let unexpected = || E::invalid_value(serde::de::Unexpected::Unsigned(n), &self);
        i64::try_from(n).ok().and_then(&self.number).ok_or_else(unexpected)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        (self.word)(text).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, String> {
        toml::from_str::<Config>(text).map_err(|e| e.message().to_string())
    }

    #[test]
    fn acks_are_read_as_kafka_spells_them_and_written_as_strings() {
        let acks = |text: &str| parse(text).map(|c| c.acks);
        for (text, want) in [
            ("acks = 0", Acks::Zero),
            ("acks = 1", Acks::One),
            ("acks = -1", Acks::All),
            ("acks = \"0\"", Acks::Zero),
            ("acks = \"1\"", Acks::One),
            ("acks = \"all\"", Acks::All),
            ("acks = \"-1\"", Acks::All),
            ("acks = \"one\"", Acks::One),
            ("acks = \"zero\"", Acks::Zero),
        ] {
            assert_eq!(acks(text), Ok(want), "{text}");
        }
        let expected = "expected acks 0, 1 or all (-1)";
        assert_eq!(acks("acks = 2"), Err(format!("invalid value: integer `2`, {expected}")));
        assert_eq!(acks("acks = \"most\""), Err(format!("invalid value: string \"most\", {expected}")));
        assert_eq!(acks("acks = true"), Err(format!("invalid type: boolean `true`, {expected}")));
        let written = [Acks::Zero, Acks::One, Acks::All].map(|a| toml::Value::try_from(a).unwrap());
        assert_eq!(written, ["0", "1", "all"].map(|s| toml::Value::String(s.into())));
    }

    #[test]
    fn retries_are_a_number_or_forever() {
        let retries = |text: &str| parse(text).map(|c| c.retries);
        assert_eq!(retries("retries = 3"), Ok(Retries::Times(3)));
        assert_eq!(retries("retries = \"forever\""), Ok(Retries::Forever));
        let expected = "expected a number of retries (0 to 16) or \"forever\"";
        assert_eq!(retries("retries = \"often\""), Err(format!("invalid value: string \"often\", {expected}")));
        assert_eq!(retries("retries = 99999"), Err(format!("invalid value: integer `99999`, {expected}")));
        assert_eq!(retries("retries = -1"), Err(format!("invalid value: integer `-1`, {expected}")));
        assert_eq!(retries("retries = 1.5"), Err(format!("invalid type: floating point `1.5`, {expected}")));
        assert_eq!(
            Config { retries: Retries::Times(17), ..Config::default() }.validate().unwrap_err().field,
            "retries"
        );
        let endless_copies = Config { retries: Retries::Forever, idempotence: false, ..Config::default() };
        assert_eq!(endless_copies.validate().unwrap_err().field, "retries");
        assert!(Retries::Forever.allow(200));
        assert_eq!(Retries::Forever.count_attempt(2), 2);
        assert!(!Retries::Times(1).allow(2));
    }
}

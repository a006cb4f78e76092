//! An ordered map written as a JSON object. A trace file's states keep the actors in actor order
//! and each actor's fields in the order the actor describes them; serde_json's own map would sort
//! them by name.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }

        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_both_ways() {
        let map = Ordered(vec![("z".to_string(), 1), ("a".to_string(), 2)]);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"z":1,"a":2}"#);
        assert_eq!(serde_json::from_str::<Ordered<i32>>(&json).unwrap(), map);
    }

    #[test]
    fn a_duplicate_key_is_an_error() {
        let err = serde_json::from_str::<Ordered<i32>>(r#"{"a":1,"a":2}"#).unwrap_err();
        assert!(err.to_string().starts_with("duplicate key `a`"), "{err}");
    }
}

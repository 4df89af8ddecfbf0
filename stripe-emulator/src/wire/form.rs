//! Stripe's form encoding: `application/x-www-form-urlencoded` with bracket notation.
//!
//! `metadata[order_id]=42` and `payment_method_data[billing_details][address][city]=x`
//! nest; arrays come as `expand[]=a&expand[]=b` or, as Stripe's Python SDK sends them,
//! `expand[0]=a&expand[1]=b`. Which of a map with numeric keys and an array was meant
//! is only known from the operation's schema, so [`Params`] keeps indexed keys as map
//! keys and the schema turns them into an array (see `wire::schema`).

use indexmap::IndexMap;

use crate::error::ApiError;

/// One decoded parameter: a string, a nested hash, or an `[]`-array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Str(String),
    Map(IndexMap<String, Param>),
    List(Vec<Param>),
}

/// The decoded top-level parameters of one request, in the order they came.
pub type Params = IndexMap<String, Param>;

/// Longest key path we follow; deeper nesting is refused rather than recursed into.
const MAX_DEPTH: usize = 12;

/// Decodes a query string or form body into nested parameters.
pub fn decode(input: &[u8]) -> Result<Params, ApiError> {
    let mut params = Params::new();
    for (key, value) in form_urlencoded::parse(input) {
        let path = split_key(&key)?;
        insert(&mut params, &key, &path, value.into_owned())?;
    }
    Ok(params)
}

/// `a[b][]` → `["a", "b", ""]`. An empty segment means "append to an array".
fn split_key(key: &str) -> Result<Vec<&str>, ApiError> {
    let invalid = || ApiError::invalid_param_name(key);
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(invalid());
    }
    let mut path = vec![head];
    while !rest.is_empty() {
        let close = rest.find(']').ok_or_else(invalid)?;
        if !rest.starts_with('[') {
            return Err(invalid());
        }
        let segment = &rest[1..close];
        if segment.contains('[') {
            return Err(invalid());
        }
        path.push(segment);
        rest = &rest[close + 1..];
    }
    if path.len() > MAX_DEPTH {
        return Err(invalid());
    }
    Ok(path)
}

fn insert(params: &mut Params, key: &str, path: &[&str], value: String) -> Result<(), ApiError> {
    let conflict = || ApiError::conflicting_param(key);
    let (first, rest) = path
        .split_first()
        .expect("split_key returns at least one segment");
    if rest.is_empty() {
        // A repeated scalar keeps the last value, as a form decoder does.
        params.insert((*first).to_string(), Param::Str(value));
        return Ok(());
    }
    let slot = params
        .entry((*first).to_string())
        .or_insert_with(|| container_for(rest[0]));
    insert_into(slot, rest, value).map_err(|()| conflict())
}

fn container_for(segment: &str) -> Param {
    if segment.is_empty() {
        Param::List(Vec::new())
    } else {
        Param::Map(IndexMap::new())
    }
}

fn insert_into(slot: &mut Param, path: &[&str], value: String) -> Result<(), ()> {
    let (segment, rest) = path.split_first().expect("never called with an empty path");
    match slot {
        Param::List(items) if segment.is_empty() => {
            match rest.first() {
                None => items.push(Param::Str(value)),
                // `a[][b]=1` starts a new element of an array of hashes.
                Some(next) => {
                    let mut element = container_for(next);
                    insert_into(&mut element, rest, value)?;
                    items.push(element);
                }
            }
            Ok(())
        }
        Param::Map(map) if !segment.is_empty() => match rest.first() {
            None => {
                map.insert((*segment).to_string(), Param::Str(value));
                Ok(())
            }
            Some(next) => {
                let child = map
                    .entry((*segment).to_string())
                    .or_insert_with(|| container_for(next));
                insert_into(child, rest, value)
            }
        },
        // `a=1&a[b]=2` or `a[]=1&a[b]=2`: one name used as two shapes.
        _ => Err(()),
    }
}

impl Param {
    /// The string value, when this parameter is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Param::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Param {
        Param::Str(v.into())
    }

    #[test]
    fn nests_brackets_and_keeps_order() {
        let p = decode(b"amount=2000&metadata[order_id]=42&payment_method_data[billing_details][address][postal_code]=94103").unwrap();
        assert_eq!(p["amount"], s("2000"));
        let Param::Map(meta) = &p["metadata"] else {
            panic!()
        };
        assert_eq!(meta["order_id"], s("42"));
        let Param::Map(pmd) = &p["payment_method_data"] else {
            panic!()
        };
        let Param::Map(bd) = &pmd["billing_details"] else {
            panic!()
        };
        let Param::Map(addr) = &bd["address"] else {
            panic!()
        };
        assert_eq!(addr["postal_code"], s("94103"));
    }

    #[test]
    fn both_array_forms() {
        let p = decode(b"expand[]=a&expand[]=b").unwrap();
        assert_eq!(p["expand"], Param::List(vec![s("a"), s("b")]));
        let p = decode(b"expand[0]=a&expand[1]=b").unwrap();
        let Param::Map(m) = &p["expand"] else {
            panic!()
        };
        assert_eq!(m["0"], s("a"));
        assert_eq!(m["1"], s("b"));
    }

    #[test]
    fn percent_and_plus_decoding() {
        let p = decode(b"description=T%C3%A9a+pot%26more").unwrap();
        assert_eq!(p["description"], s("Téa pot&more"));
    }

    #[test]
    fn empty_value_is_kept_for_unsetting() {
        let p = decode(b"metadata[k]=&description=").unwrap();
        let Param::Map(m) = &p["metadata"] else {
            panic!()
        };
        assert_eq!(m["k"], s(""));
        assert_eq!(p["description"], s(""));
    }

    #[test]
    fn malformed_keys_and_conflicts_are_errors_not_panics() {
        for bad in [
            "a[b=1",
            "[x]=1",
            "a]b[=1",
            "a[b[c]]=1",
            "a=1&a[b]=2",
            "a[]=1&a[b]=2",
        ] {
            assert!(decode(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = format!("a{}=1", "[x]".repeat(20));
        assert!(decode(deep.as_bytes()).is_err());
    }
}

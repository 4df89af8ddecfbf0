//! Lists: newest first, `limit` 1 to 100, `starting_after` / `ending_before` cursors,
//! no `total_count`; and the `created` filter they share.

use serde_json::Value;

use super::params::Call;
use crate::error::ApiError;

/// One page of `newest_first`, and whether there is more beyond it.
pub fn paginate<'a, T>(
    newest_first: Vec<&'a T>,
    id_of: impl Fn(&T) -> &str,
    exists: impl Fn(&str) -> bool,
    call: &Call,
    object: &str,
) -> Result<(Vec<&'a T>, bool), ApiError> {
    let limit = call.int("limit").unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_limit(limit));
    }
    let limit = limit as usize;
    let cursor = |param: &str| -> Result<Option<usize>, ApiError> {
        match call.text(param) {
            None => Ok(None),
            Some(id) if !exists(&id) => Err(ApiError::no_such(object, &id, param)),
            // A cursor filtered out of this list stands at its end.
            Some(id) => Ok(Some(
                newest_first
                    .iter()
                    .position(|item| id_of(item) == id)
                    .unwrap_or(newest_first.len()),
            )),
        }
    };
    Ok(
        match (cursor("starting_after")?, cursor("ending_before")?) {
            (Some(after), _) => {
                let rest = newest_first.get(after + 1..).unwrap_or_default();
                (
                    rest.iter().take(limit).copied().collect(),
                    rest.len() > limit,
                )
            }
            (None, Some(before)) => {
                let earlier = &newest_first[..before.min(newest_first.len())];
                let start = earlier.len().saturating_sub(limit);
                (earlier[start..].to_vec(), start > 0)
            }
            (None, None) => (
                newest_first.iter().take(limit).copied().collect(),
                newest_first.len() > limit,
            ),
        },
    )
}

/// `created=123` or `created[gte]=...`.
pub struct CreatedFilter {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl CreatedFilter {
    pub fn from(value: Option<&Value>) -> Self {
        let bound = |k: &str| value.and_then(|v| v.get(k)).and_then(Value::as_i64);
        match value.and_then(Value::as_i64) {
            Some(exact) => CreatedFilter {
                gt: None,
                gte: Some(exact),
                lt: None,
                lte: Some(exact),
            },
            None => CreatedFilter {
                gt: bound("gt"),
                gte: bound("gte"),
                lt: bound("lt"),
                lte: bound("lte"),
            },
        }
    }

    pub fn matches(&self, created: i64) -> bool {
        self.gt.is_none_or(|b| created > b)
            && self.gte.is_none_or(|b| created >= b)
            && self.lt.is_none_or(|b| created < b)
            && self.lte.is_none_or(|b| created <= b)
    }
}

//! `/v1/charges`.

use serde_json::Value;

use super::params::Call;
use super::render::{Expand, CHARGE_EXPANDABLE};
use crate::error::ApiError;
use crate::store::Store;

/// `GET /v1/charges/{id}`.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, CHARGE_EXPANDABLE, false)?;
    let charge = store
        .charges
        .get(id)
        .ok_or_else(|| ApiError::no_such("charge", id, "charge"))?;
    Ok(store.render_charge(charge, &expand))
}

//! UI pieces that belong to no feature. Nothing here imports a feature or `server`.

pub mod language;
pub mod notices;
pub mod site_header;

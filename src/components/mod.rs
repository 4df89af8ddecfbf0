//! UI pieces shared by pages.

pub mod cart_state;
pub mod notices;
pub mod site_header;
pub mod test_mode;

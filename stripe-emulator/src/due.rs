//! What comes due on the emulator clock: asynchronous refund outcomes and dispute
//! decisions. They are Stripe's own doing, so run them when no request is under way
//! (their events carry `request: {id: null}`): before each API call, after the clock
//! moves, and in the delivery worker.

use crate::store::Store;

/// Makes everything that is due happen; returns how many things did.
pub fn settle(store: &mut Store) -> usize {
    crate::refunds::settle_due(store) + crate::disputes::settle_due(store)
}

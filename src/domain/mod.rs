//! Types both the server and the browser share. Nothing in here does I/O: these are
//! the shop's vocabulary, and their constructors are the only way to make them.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod error;
pub mod ids;
pub mod money;
pub mod order;
pub mod quantity;
pub mod tax;

pub use cart::{CartLine, CartNotice, CartView};
pub use catalog::{Product, ProductId};
pub use checkout::{
    CheckoutSubmission, DeliveryDetails, DeliveryForm, Email, Field, FieldErrors, OrderTotals,
    PaymentMode, PaymentSession, Problem, ShippingOption, Submission,
};
pub use error::ShopError;
pub use ids::{EventId, OrderReference, PaymentIntentId};
pub use money::{describe_minor, Currency, Money};
pub use order::{DeliveryView, OrderLineView, OrderStatus, OrderView};
pub use quantity::{Quantity, QuantityError};
pub use tax::{Destination, Tax, TaxKind, TaxRate, TaxRule};

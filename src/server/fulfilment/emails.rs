//! What the shop's emails say: policy, kept out of the store, which only queues them
//! in the transaction that decides they go.

/// An email to queue: one per order and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// `order_confirmation` or `payment_failed` (the outbox's `kind`).
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

/// A line of a paid order, as the confirmation lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidLine {
    pub name: String,
    pub quantity: i64,
}

/// The confirmation of a paid (and fulfilled) order.
pub fn order_confirmation(order_id: &str, lines: &[PaidLine]) -> Email {
    let summary: String = lines
        .iter()
        .map(|line| format!("{} × {}\n", line.quantity, line.name))
        .collect();
    Email {
        kind: "order_confirmation",
        subject: "Your order is confirmed".to_owned(),
        body: format!("Thank you! We received your payment for order {order_id}:\n\n{summary}"),
    }
}

/// A payment that failed: nothing was charged, and the cart waits at the checkout.
pub fn payment_failed(shop_url: &str) -> Email {
    Email {
        kind: "payment_failed",
        subject: "Your payment did not go through".to_owned(),
        body: format!(
            "Your payment could not be completed, and nothing was charged. Your cart is \
             saved: you can try again, with another card if you like, at {shop_url}/checkout"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_lists_every_line() {
        let email = order_confirmation(
            "ord_1",
            &[
                PaidLine {
                    name: "Stoneware Mug".into(),
                    quantity: 2,
                },
                PaidLine {
                    name: "Canvas Tote".into(),
                    quantity: 1,
                },
            ],
        );
        assert_eq!(email.kind, "order_confirmation");
        assert!(email
            .body
            .contains("order ord_1:\n\n2 × Stoneware Mug\n1 × Canvas Tote\n"));
    }

    #[test]
    fn a_failed_payment_links_back_to_the_checkout() {
        let email = payment_failed("https://shop.example");
        assert!(email.body.ends_with("at https://shop.example/checkout"));
        assert!(email.body.contains("nothing was charged"));
    }
}

//! What the shop's emails say: policy, kept out of the store, which only queues them
//! in the transaction that decides they go. Every email has a plain-text part and an
//! HTML part saying the same thing; the HTML escapes everything that came from a
//! shopper or from Stripe.

use crate::{domain::OrderView, server::stripe::Dispute};

/// An email to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// `order_confirmation`, `payment_failed`, `refund` or `dispute_alert` (the
    /// outbox's `kind`).
    pub kind: &'static str,
    pub subject: String,
    /// The plain-text part.
    pub body: String,
    /// The HTML part.
    pub html: String,
}

/// A line of a paid order, as the confirmation lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidLine {
    pub name: String,
    pub quantity: i64,
    /// The line's total, formatted (`$24.00`).
    pub total: String,
}

/// What the confirmation of a paid order quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The `R…` reference the shopper saw on the confirmation page.
    pub reference: String,
    pub lines: Vec<PaidLine>,
    pub subtotal: String,
    pub shipping: String,
    /// The tax line: its label (`VAT (20%)`) and value (an amount, or why none).
    pub tax_label: String,
    pub tax: String,
    pub total: String,
    /// The delivery address, one line per entry, the name first.
    pub address: Vec<String>,
}

impl Receipt {
    /// The receipt of `order` as its owner sees it.
    pub fn of(order: &OrderView) -> Self {
        Receipt {
            reference: order.reference.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| PaidLine {
                    name: line.name.clone(),
                    quantity: i64::from(line.quantity),
                    total: line.line_total.to_string(),
                })
                .collect(),
            subtotal: order.subtotal.to_string(),
            shipping: order.shipping.to_string(),
            tax_label: order.tax.label(),
            tax: order.tax.value(),
            total: order.total.to_string(),
            address: order
                .delivery
                .as_ref()
                .map(|delivery| delivery.lines())
                .unwrap_or_default(),
        }
    }
}

/// Where a shopper finds their order again.
fn order_link(shop_url: &str, reference: &str) -> String {
    format!("{shop_url}/order-confirmation?order={reference}")
}

/// The confirmation of a paid (and fulfilled) order.
pub fn order_confirmation(shop_url: &str, receipt: &Receipt) -> Email {
    let link = order_link(shop_url, &receipt.reference);
    let lines: String = receipt
        .lines
        .iter()
        .map(|line| format!("{} × {}  {}\n", line.quantity, line.name, line.total))
        .collect();
    let address = receipt.address.join("\n");
    let body = format!(
        "Thank you! We received your payment for order {reference}.\n\n\
         {lines}\n\
         Subtotal: {subtotal}\nShipping: {shipping}\n{tax_label}: {tax}\nTotal: {total}\n\n\
         We will send it to:\n{address}\n\n\
         Your order: {link}\n",
        reference = receipt.reference,
        subtotal = receipt.subtotal,
        shipping = receipt.shipping,
        tax_label = receipt.tax_label,
        tax = receipt.tax,
        total = receipt.total,
    );
    let rows: String = receipt
        .lines
        .iter()
        .map(|line| {
            format!(
                "<tr><td>{} × {}</td><td style=\"text-align:right\">{}</td></tr>",
                line.quantity,
                escape(&line.name),
                escape(&line.total)
            )
        })
        .collect();
    let address_html: Vec<String> = receipt.address.iter().map(|line| escape(line)).collect();
    let html = page(&format!(
        "<p>Thank you! We received your payment for order <strong>{reference}</strong>.</p>\
         <table>{rows}\
         <tr><td>Subtotal</td><td style=\"text-align:right\">{subtotal}</td></tr>\
         <tr><td>Shipping</td><td style=\"text-align:right\">{shipping}</td></tr>\
         <tr><td>{tax_label}</td><td style=\"text-align:right\">{tax}</td></tr>\
         <tr><th style=\"text-align:left\">Total</th><th style=\"text-align:right\">{total}</th></tr>\
         </table>\
         <p>We will send it to:<br>{address}</p>\
         <p><a href=\"{link}\">See your order</a></p>",
        reference = escape(&receipt.reference),
        subtotal = escape(&receipt.subtotal),
        shipping = escape(&receipt.shipping),
        tax_label = escape(&receipt.tax_label),
        tax = escape(&receipt.tax),
        total = escape(&receipt.total),
        address = address_html.join("<br>"),
        link = escape(&link),
    ));
    Email {
        kind: "order_confirmation",
        subject: format!("Your order {} is confirmed", receipt.reference),
        body,
        html,
    }
}

/// A payment that failed: nothing was charged, and the cart waits at the checkout.
pub fn payment_failed(shop_url: &str) -> Email {
    let link = format!("{shop_url}/checkout");
    Email {
        kind: "payment_failed",
        subject: "Your payment did not go through".to_owned(),
        body: format!(
            "Your payment could not be completed, and nothing was charged. Your cart is \
             saved: you can try again, with another card if you like, at {link}"
        ),
        html: page(&format!(
            "<p>Your payment could not be completed, and nothing was charged.</p>\
             <p>Your cart is saved: you can <a href=\"{link}\">try again</a>, with another \
             card if you like.</p>",
            link = escape(&link)
        )),
    }
}

/// Money given back to the shopper.
pub fn refund(shop_url: &str, reference: &Option<String>, amount: &str) -> Email {
    let order = reference.as_deref().unwrap_or("your order");
    let link = reference
        .as_deref()
        .map(|reference| order_link(shop_url, reference));
    let mut body = format!(
        "We have refunded {amount} for {order}. Depending on your bank, it can take 5 to \
         10 business days to appear on your statement.\n"
    );
    if let Some(link) = &link {
        body.push_str(&format!("\nYour order: {link}\n"));
    }
    let link_html = link
        .map(|link| format!("<p><a href=\"{}\">See your order</a></p>", escape(&link)))
        .unwrap_or_default();
    Email {
        kind: "refund",
        subject: format!("A refund of {amount} is on its way"),
        body,
        html: page(&format!(
            "<p>We have refunded <strong>{amount}</strong> for {order}. Depending on your \
             bank, it can take 5 to 10 business days to appear on your statement.</p>{link_html}",
            amount = escape(amount),
            order = escape(order)
        )),
    }
}

/// Tells an operator that a payment is disputed (or that a dispute moved).
pub fn dispute_alert(
    shop_url: &str,
    reference: &Option<String>,
    dispute: &Dispute,
    amount: &str,
) -> Email {
    let order = reference.as_deref().unwrap_or("an order");
    let due = dispute
        .evidence_details
        .as_ref()
        .and_then(|details| details.due_by)
        .map(|due| format!(" Evidence is due by {} (unix time).", due))
        .unwrap_or_default();
    let link = format!(
        "{shop_url}/admin/orders?q={}",
        dispute.payment_intent.as_deref().unwrap_or("")
    );
    let summary = format!(
        "The payment for {order} is disputed: {amount} for {}, status {}.{due}",
        dispute.reason, dispute.status
    );
    Email {
        kind: "dispute_alert",
        subject: format!("Dispute {} on {order}: {}", dispute.id, dispute.status),
        body: format!("{summary}\n\nIn the shop's admin: {link}\n"),
        html: page(&format!(
            "<p>{}</p><p><a href=\"{}\">Open it in the shop's admin</a></p>",
            escape(&summary),
            escape(&link)
        )),
    }
}

/// An HTML document around `content`.
fn page(content: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif\">{content}</body></html>"
    )
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            reference: "R7K2Q9".into(),
            lines: vec![
                PaidLine {
                    name: "Stoneware Mug".into(),
                    quantity: 2,
                    total: "$48.00".into(),
                },
                PaidLine {
                    name: "Canvas <Tote>".into(),
                    quantity: 1,
                    total: "$18.00".into(),
                },
            ],
            subtotal: "$66.00".into(),
            shipping: "$5.00".into(),
            tax_label: "Sales tax (7.25%)".into(),
            tax: "$4.79".into(),
            total: "$75.79".into(),
            address: vec![
                "Ada Lovelace".into(),
                "1 Main St".into(),
                "Springfield 12345".into(),
                "US".into(),
            ],
        }
    }

    #[test]
    fn the_confirmation_quotes_the_reference_lines_totals_address_and_link() {
        let email = order_confirmation("https://shop.example", &receipt());
        assert_eq!(email.kind, "order_confirmation");
        assert_eq!(email.subject, "Your order R7K2Q9 is confirmed");
        for part in [
            "order R7K2Q9",
            "2 × Stoneware Mug  $48.00\n1 × Canvas <Tote>  $18.00\n",
            "Sales tax (7.25%): $4.79\nTotal: $75.79",
            "Ada Lovelace\n1 Main St\nSpringfield 12345\nUS",
            "https://shop.example/order-confirmation?order=R7K2Q9",
        ] {
            assert!(email.body.contains(part), "{part:?} in {}", email.body);
        }
        assert!(email.html.contains("Canvas &lt;Tote&gt;"), "escaped");
        assert!(!email.html.contains("<Tote>"));
        assert!(email.html.contains("<strong>R7K2Q9</strong>"));
        assert!(email.html.contains("<td>Sales tax (7.25%)</td>"));
    }

    #[test]
    fn a_failed_payment_links_back_to_the_checkout() {
        let email = payment_failed("https://shop.example");
        assert!(email.body.ends_with("at https://shop.example/checkout"));
        assert!(email.body.contains("nothing was charged"));
        assert!(email
            .html
            .contains("href=\"https://shop.example/checkout\""));
    }

    #[test]
    fn a_refund_names_its_amount_and_order() {
        let email = refund("https://shop.example", &Some("R7K2Q9".into()), "$12.50");
        assert_eq!(email.subject, "A refund of $12.50 is on its way");
        assert!(email.body.contains("refunded $12.50 for R7K2Q9"));
        assert!(email.html.contains("<strong>$12.50</strong>"));
    }
}

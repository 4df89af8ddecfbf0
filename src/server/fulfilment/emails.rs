//! What the shop's emails say: policy, kept out of the store, which only queues them
//! in the transaction that decides they go. Every email has a plain-text part and an
//! HTML part saying the same thing; the HTML escapes everything that came from a
//! shopper or from Stripe.

use crate::{
    domain::OrderView,
    i18n::{td_string, Locale},
    server::stripe::Dispute,
};
use leptos_i18n::display::Children;

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

/// What the confirmation of a paid order quotes, worded and formatted in the
/// shopper's language.
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
    /// The language the shopper checked out in.
    pub locale: Locale,
}

impl Receipt {
    /// The receipt of `order` as its owner sees it, in `locale`.
    pub fn of(order: &OrderView, locale: Locale) -> Self {
        Receipt {
            reference: order.reference.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| PaidLine {
                    name: line.name.clone(),
                    quantity: i64::from(line.quantity),
                    total: line.line_total.format(locale),
                })
                .collect(),
            subtotal: order.subtotal.format(locale),
            shipping: order.shipping.format(locale),
            tax_label: order.tax.label(locale),
            tax: order.tax.value(locale),
            total: order.total.format(locale),
            address: order
                .delivery
                .as_ref()
                .map(|delivery| delivery.lines())
                .unwrap_or_default(),
            locale,
        }
    }
}

/// Where a shopper finds their order again.
fn order_link(shop_url: &str, reference: &str) -> String {
    format!("{shop_url}/order-confirmation?order={reference}")
}

/// The confirmation of a paid (and fulfilled) order.
pub fn order_confirmation(shop_url: &str, receipt: &Receipt) -> Email {
    let locale = receipt.locale;
    let link = order_link(shop_url, &receipt.reference);
    let lines: String = receipt
        .lines
        .iter()
        .map(|line| format!("{} × {}  {}\n", line.quantity, line.name, line.total))
        .collect();
    let address = receipt.address.join("\n");
    let (subtotal, shipping, total) = (
        td_string!(locale, emails.subtotal),
        td_string!(locale, emails.shipping),
        td_string!(locale, emails.total),
    );
    let send_to = td_string!(locale, emails.send_to);
    let body = format!(
        "{thanks}\n\n\
         {lines}\n\
         {subtotal}: {subtotal_value}\n{shipping}: {shipping_value}\n{tax_label}: {tax}\n\
         {total}: {total_value}\n\n\
         {send_to}\n{address}\n\n\
         {your_order}\n",
        thanks =
            td_string!(locale, emails.thanks, reference = &receipt.reference, <strong> = plain),
        subtotal_value = receipt.subtotal,
        shipping_value = receipt.shipping,
        tax_label = receipt.tax_label,
        tax = receipt.tax,
        total_value = receipt.total,
        your_order = td_string!(locale, emails.your_order, link = &link),
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
    let html = page(
        locale,
        &format!(
            "<p>{thanks}</p>\
             <table>{rows}\
             <tr><td>{subtotal}</td><td style=\"text-align:right\">{subtotal_value}</td></tr>\
             <tr><td>{shipping}</td><td style=\"text-align:right\">{shipping_value}</td></tr>\
             <tr><td>{tax_label}</td><td style=\"text-align:right\">{tax}</td></tr>\
             <tr><th style=\"text-align:left\">{total}</th><th style=\"text-align:right\">{total_value}</th></tr>\
             </table>\
             <p>{send_to}<br>{address}</p>\
             <p><a href=\"{link}\">{see_order}</a></p>",
            thanks = td_string!(
                locale,
                emails.thanks,
                reference = escape(&receipt.reference),
                <strong> = "strong"
            ),
            subtotal_value = escape(&receipt.subtotal),
            shipping_value = escape(&receipt.shipping),
            tax_label = escape(&receipt.tax_label),
            tax = escape(&receipt.tax),
            total_value = escape(&receipt.total),
            address = address_html.join("<br>"),
            link = escape(&link),
            see_order = td_string!(locale, emails.see_order),
        ),
    );
    Email {
        kind: "order_confirmation",
        subject: td_string!(
            locale,
            emails.confirmation_subject,
            reference = &receipt.reference
        )
        .to_string(),
        body,
        html,
    }
}

/// A payment that failed: nothing was charged, and the cart waits at the checkout.
pub fn payment_failed(shop_url: &str, locale: Locale) -> Email {
    let link = format!("{shop_url}/checkout");
    let saved = |retry: &dyn Fn(&mut std::fmt::Formatter, Children) -> std::fmt::Result| {
        td_string!(locale, emails.failed_saved, <retry> = retry).to_string()
    };
    Email {
        kind: "payment_failed",
        subject: td_string!(locale, emails.failed_subject).to_owned(),
        body: format!(
            "{failed} {saved}\n{link}\n",
            failed = td_string!(locale, emails.failed_text),
            saved = saved(&|f, children| write!(f, "{children}")),
        ),
        html: page(
            locale,
            &format!(
                "<p>{failed}</p><p>{saved}</p>",
                failed = td_string!(locale, emails.failed_text),
                saved = saved(&|f, children| {
                    write!(f, "<a href=\"{}\">{children}</a>", escape(&link))
                }),
            ),
        ),
    }
}

/// Money given back to the shopper; `amount` is already formatted in `locale`.
pub fn refund(shop_url: &str, reference: &Option<String>, amount: &str, locale: Locale) -> Email {
    let order = reference
        .clone()
        .unwrap_or_else(|| td_string!(locale, emails.refund_your_order).to_owned());
    let link = reference
        .as_deref()
        .map(|reference| order_link(shop_url, reference));
    let mut body = td_string!(locale, emails.refund_text, amount, order = &order, <strong> = plain)
        .to_string();
    body.push('\n');
    if let Some(link) = &link {
        body.push_str(&format!(
            "\n{}\n",
            td_string!(locale, emails.your_order, link)
        ));
    }
    let link_html = link
        .map(|link| {
            format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape(&link),
                td_string!(locale, emails.see_order)
            )
        })
        .unwrap_or_default();
    Email {
        kind: "refund",
        subject: td_string!(locale, emails.refund_subject, amount).to_string(),
        body,
        html: page(
            locale,
            &format!(
                "<p>{text}</p>{link_html}",
                text = td_string!(
                    locale,
                    emails.refund_text,
                    amount = escape(amount),
                    order = escape(&order),
                    <strong> = "strong"
                ),
            ),
        ),
    }
}

/// A component of a translation written as its text alone (the plain-text part).
fn plain(f: &mut std::fmt::Formatter, children: Children) -> std::fmt::Result {
    write!(f, "{children}")
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
        html: page(
            Locale::en,
            &format!(
                "<p>{}</p><p><a href=\"{}\">Open it in the shop's admin</a></p>",
                escape(&summary),
                escape(&link)
            ),
        ),
    }
}

/// An HTML document around `content`, in `locale`.
fn page(locale: Locale, content: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:sans-serif\">{content}</body></html>",
        lang = leptos_i18n::Locale::as_str(locale),
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
            locale: Locale::en,
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
        assert!(email.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn the_confirmation_is_written_in_the_language_of_the_order() {
        let receipt = Receipt {
            locale: Locale::zh_CN,
            ..receipt()
        };
        let email = order_confirmation("https://shop.example", &receipt);
        assert!(email.subject.contains("R7K2Q9") && !email.subject.is_ascii());
        assert!(email.html.contains("<html lang=\"zh-CN\">"));
        assert!(
            email.html.contains("<strong>R7K2Q9</strong>"),
            "{}",
            email.html
        );
        assert!(!email.body.contains("Thank you") && !email.body.contains("Subtotal"));
        for email in [
            payment_failed("https://shop.example", Locale::zh_CN),
            refund("https://shop.example", &None, "US$12.50", Locale::zh_CN),
        ] {
            assert!(!email.subject.is_ascii(), "{}", email.subject);
            assert!(email.html.contains("<html lang=\"zh-CN\">"));
        }
    }

    #[test]
    fn a_failed_payment_links_back_to_the_checkout() {
        let email = payment_failed("https://shop.example", Locale::en);
        assert!(
            email.body.ends_with("https://shop.example/checkout\n"),
            "{}",
            email.body
        );
        assert!(email.body.contains("nothing was charged"));
        assert!(email
            .html
            .contains("<a href=\"https://shop.example/checkout\">try again</a>"));
    }

    #[test]
    fn a_refund_names_its_amount_and_order() {
        let email = refund(
            "https://shop.example",
            &Some("R7K2Q9".into()),
            "$12.50",
            Locale::en,
        );
        assert_eq!(email.subject, "A refund of $12.50 is on its way");
        assert!(email.body.contains("refunded $12.50 for R7K2Q9"));
        assert!(email.html.contains("<strong>$12.50</strong>"));
    }
}

//! The operator's pages: Leptos views rendered on the server only. They hydrate
//! nothing and need no JavaScript (every action is a form POST), so none of this
//! reaches the shoppers' wasm bundle. Leptos escapes every value it renders.

use super::session::Operator;
use crate::{
    domain::describe_minor,
    server::store::{
        refund_state, DisputeRow, OrderDetail, OrderFilter, OrderSummary, RefundRow, WorkItem,
        ORDER_STATUSES, REFUND_REASONS,
    },
};
use leptos::{prelude::*, tachys::view::RenderHtml};

/// A whole admin document around `main`.
pub fn document(title: &str, operator: Option<&Operator>, main: impl IntoView + 'static) -> String {
    let title = format!("{title} · Storefront admin");
    let operator = operator.map(|operator| operator.name.clone());
    let body = Owner::new().with(move || {
        view! {
            <header class="admin-header">
                <a class="admin-brand" href="/admin/orders">"Storefront admin"</a>
                {operator.map(|name| view! {
                    <nav aria-label="Admin">
                        <a href="/admin/orders">"Orders"</a>
                        <a href="/admin/events">"Events"</a>
                        <a href="/admin/commands">"Stripe commands"</a>
                    </nav>
                    <form method="post" action="/admin/logout" class="admin-signout">
                        <span>"Signed in as " <strong>{name}</strong></span>
                        <button type="submit">"Sign out"</button>
                    </form>
                })}
            </header>
            <main id="main" class="admin-main">{main}</main>
        }
        .to_html()
        // Empty comments are the markers hydration finds its place by (erased views
        // leave them even where no wasm will come): these pages never hydrate, and
        // every value in them is escaped, so none of them is anything but a marker.
        .replace("<!>", "")
    });
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/admin.css\"></head>\
         <body class=\"admin\">{body}</body></html>",
        crate::server::fulfilment::emails::escape(&title)
    )
}

/// A notice above a page's content: `Ok` for something done, `Err` for a refusal.
pub fn notice(message: Option<Result<String, String>>) -> impl IntoView {
    message.map(|message| match message {
        Ok(text) => view! { <p class="admin-notice" role="status">{text}</p> }.into_any(),
        Err(text) => {
            view! { <p class="admin-notice admin-error" role="alert">{text}</p> }.into_any()
        }
    })
}

/// The sign-in form.
pub fn login(error: Option<String>, enabled: bool) -> impl IntoView {
    view! {
        <h1>"Sign in"</h1>
        {notice(error.map(Err))}
        {if enabled {
            view! {
                <form method="post" action="/admin/login" class="admin-form admin-login">
                    <label for="name">"Name"</label>
                    <input id="name" name="name" autocomplete="username" required maxlength="64"/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password"
                        autocomplete="current-password" required maxlength="1024"/>
                    <button type="submit">"Sign in"</button>
                </form>
            }
            .into_any()
        } else {
            view! {
                <p>
                    "The admin is off: no operator account exists. Create one on the server with "
                    <code>"storefront operator add NAME"</code> "."
                </p>
            }
            .into_any()
        }}
    }
}

/// The orders list.
pub fn orders(
    filter: &OrderFilter,
    rows: Vec<OrderSummary>,
    next: Option<String>,
    message: Option<Result<String, String>>,
) -> impl IntoView {
    let status = filter.status.clone().unwrap_or_default();
    let search = filter.search.clone().unwrap_or_default();
    let next_link = next.map(|cursor| {
        let mut query = format!("after={}", encode(&cursor));
        if !status.is_empty() {
            query.push_str(&format!("&status={}", encode(&status)));
        }
        if !search.is_empty() {
            query.push_str(&format!("&q={}", encode(&search)));
        }
        format!("/admin/orders?{query}")
    });
    let options = ORDER_STATUSES.map(|option| {
        let selected = option == status;
        view! { <option value=option selected=selected>{option.replace('_', " ")}</option> }
    });
    let empty = rows.is_empty();
    view! {
        <h1>"Orders"</h1>
        {notice(message)}
        <form method="get" action="/admin/orders" class="admin-filter" role="search">
            <label for="status">"Status"</label>
            <select id="status" name="status">
                <option value="">"all but drafts"</option>
                {options.into_iter().collect_view()}
            </select>
            <label for="q">"Email, R… reference or pi_ id"</label>
            <input id="q" name="q" value=search.clone() maxlength="254"/>
            <button type="submit">"Find"</button>
        </form>
        {if empty {
            view! { <p>"No orders match."</p> }.into_any()
        } else {
            view! {
                <table class="admin-table">
                    {head(&["Order", "Status", "Email", "Total", "Placed"])}
                    <tbody>
                        {rows.into_iter().map(order_row).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }}
        {next_link.map(|href| view! { <p><a href=href rel="next">"Next page"</a></p> })}
    }
}

fn order_row(row: OrderSummary) -> impl IntoView {
    let href = format!("/admin/orders/{}", row.id);
    let label = row.reference.clone().unwrap_or_else(|| row.id.clone());
    let refund = refund_state(row.received_minor, row.refunded_minor);
    view! {
        <tr class:admin-attention=row.attention == 1>
            <td><a href=href>{label}</a></td>
            <td>
                {status_badge(&row.status)}
                {refund.map(|state| view! { " " <span class="admin-badge">{state}</span> })}
                {(row.disputed == 1).then(|| view! { " " <span class="admin-badge admin-badge-alert">"disputed"</span> })}
            </td>
            <td>{row.email.unwrap_or_default()}</td>
            <td>{describe_minor(row.total_minor, &row.currency)}</td>
            <td>{timestamp(row.created_at)}</td>
        </tr>
    }
}

/// A table's head row.
fn head(columns: &[&'static str]) -> impl IntoView {
    let cells = columns
        .iter()
        .map(|column| view! { <th scope="col">{*column}</th> })
        .collect_view();
    view! { <thead><tr>{cells}</tr></thead> }
}

fn status_badge(status: &str) -> impl IntoView {
    let alert = status == "needs_review";
    let text = status.replace('_', " ");
    view! { <span class="admin-badge" class:admin-badge-alert=alert>{text}</span> }
}

/// Whether the Stripe dashboard can show this shop's PaymentIntents (Stripe mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dashboard {
    pub available: bool,
    pub test_mode: bool,
}

/// One order, whole, with its actions.
pub fn order(
    detail: OrderDetail,
    dashboard: Dashboard,
    message: Option<Result<String, String>>,
) -> impl IntoView {
    let refund = detail.refund_state();
    let received = detail.received_minor();
    let refunded = detail.refunded_minor();
    let order = detail.order.clone();
    let id = order.id.clone();
    let title = order.reference.clone().unwrap_or_else(|| order.id.clone());
    let currency = order.currency.clone();
    let lines = detail.lines.clone();
    let in_review = order.status == "needs_review";
    let address: Vec<String> = [
        order.full_name.clone(),
        order.address_line1.clone(),
        order.address_line2.clone(),
        Some(
            [
                order.postal_code.clone(),
                order.city.clone(),
                order.region.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        ),
        order.country.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|line| !line.trim().is_empty())
    .collect();
    let disputed = !detail.disputes.is_empty();
    view! {
        <p><a href="/admin/orders">"← Orders"</a></p>
        <h1>"Order " {title}</h1>
        <p class="admin-status">
            {status_badge(&order.status)}
            {refund.map(|state| view! { " " <span class="admin-badge">{state}</span> })}
            {disputed.then(|| view! { " " <span class="admin-badge admin-badge-alert">"disputed"</span> })}
            " · placed " {timestamp(order.created_at)} " · id " <code>{order.id.clone()}</code>
        </p>
        {notice(message)}
        <section aria-labelledby="lines-heading">
            <h2 id="lines-heading">"Lines"</h2>
            <table class="admin-table">
                {head(&["Product", "Unit price", "Quantity", "Line total"])}
                <tbody>
                    {lines.iter().map(|line| view! {
                        <tr>
                            <td>{line.name.clone()}</td>
                            <td>{describe_minor(line.unit_price_minor, &currency)}</td>
                            <td>{line.quantity}</td>
                            <td>{describe_minor(line.line_total_minor, &currency)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><th scope="row" colspan="3">"Subtotal"</th><td>{describe_minor(order.subtotal_minor, &currency)}</td></tr>
                    <tr><th scope="row" colspan="3">"Shipping (" {order.shipping_option.clone()} ")"</th><td>{describe_minor(order.shipping_minor, &currency)}</td></tr>
                    <tr><th scope="row" colspan="3">{tax_label(&order.tax, order.tax_rate_bp)}</th><td>{describe_minor(order.tax_minor, &currency)}</td></tr>
                    <tr><th scope="row" colspan="3">"Total"</th><td>{describe_minor(order.total_minor, &currency)}</td></tr>
                    <tr><th scope="row" colspan="3">"Received"</th><td>{describe_minor(received, &currency)}</td></tr>
                    <tr><th scope="row" colspan="3">"Refunded"</th><td>{describe_minor(refunded, &currency)}</td></tr>
                </tfoot>
            </table>
        </section>
        <section aria-labelledby="contact-heading">
            <h2 id="contact-heading">"Contact and delivery"</h2>
            <p>{order.email.clone().unwrap_or_else(|| "no email".into())}</p>
            <address>{address.into_iter().map(|line| view! { {line} <br/> }).collect_view()}</address>
        </section>
        {payment_panel(&detail, dashboard)}
        {refund_form(&detail, &id)}
        {in_review.then(|| resolve_form(&id))}
        <section aria-labelledby="recheck-heading">
            <h2 id="recheck-heading">"Stripe"</h2>
            <form method="post" action=format!("/admin/orders/{id}/recheck")>
                <button type="submit">"Re-check with Stripe now"</button>
            </form>
        </section>
        {emails(&detail, &id)}
        <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            <ol class="admin-timeline">
                {detail.timeline.into_iter().map(|entry| view! {
                    <li>
                        <time>{timestamp(entry.at)}</time> " "
                        {entry.entry}
                        {entry.actor.map(|name| view! { " — " <strong>{name}</strong> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

fn payment_panel(detail: &OrderDetail, dashboard: Dashboard) -> impl IntoView {
    let payments = detail.payments.clone();
    let refunds = detail.refunds.clone();
    let disputes = detail.disputes.clone();
    view! {
        <section aria-labelledby="payments-heading">
            <h2 id="payments-heading">"Payments"</h2>
            <table class="admin-table">
                {head(&["PaymentIntent", "Amount", "Received", ""])}
                <tbody>
                    {payments.into_iter().map(|payment| {
                        let link = dashboard.available.then(|| format!(
                            "https://dashboard.stripe.com/{}payments/{}",
                            if dashboard.test_mode { "test/" } else { "" },
                            payment.id
                        ));
                        view! {
                            <tr>
                                <td>
                                    <code>{payment.id.clone()}</code>
                                    {link.map(|href| view! { " " <a href=href rel="noreferrer">"in Stripe"</a> })}
                                </td>
                                <td>{describe_minor(payment.amount_minor, &payment.currency)}</td>
                                <td>{describe_minor(payment.amount_received_minor, &payment.currency)}</td>
                                <td>{if payment.is_current == 1 { "current" } else { "superseded" }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Refunds"</h3>
            {if refunds.is_empty() {
                view! { <p>"None."</p> }.into_any()
            } else {
                view! {
                    <table class="admin-table admin-refunds">
                        {head(&["Amount", "Status", "Reason", "By", "Stripe id", "When"])}
                        <tbody>{refunds.into_iter().map(refund_row).collect_view()}</tbody>
                    </table>
                }
                .into_any()
            }}
            {(!disputes.is_empty()).then(|| view! {
                <h3>"Disputes"</h3>
                <table class="admin-table admin-disputes">
                    {head(&["Dispute", "Amount", "Reason", "Status", "Evidence due"])}
                    <tbody>{disputes.into_iter().map(dispute_row).collect_view()}</tbody>
                </table>
            })}
        </section>
    }
}

fn refund_row(refund: RefundRow) -> impl IntoView {
    let status = match &refund.failure_reason {
        Some(why) => format!("{}: {why}", refund.status),
        None => refund.status.clone(),
    };
    view! {
        <tr>
            <td>{describe_minor(refund.amount_minor, &refund.currency)}</td>
            <td>{status}</td>
            <td>{refund.reason.clone().unwrap_or_default().replace('_', " ")}</td>
            <td>{refund.requested_by.clone().unwrap_or_else(|| "Stripe dashboard".into())}</td>
            <td><code>{refund.stripe_id.clone().unwrap_or_else(|| "(not yet)".into())}</code></td>
            <td>{timestamp(refund.created_at)}</td>
        </tr>
    }
}

fn dispute_row(dispute: DisputeRow) -> impl IntoView {
    let open = dispute.is_open();
    view! {
        <tr class:admin-attention=open>
            <td><code>{dispute.id.clone()}</code></td>
            <td>{describe_minor(dispute.amount_minor, &dispute.currency)}</td>
            <td>{dispute.reason.replace('_', " ")}</td>
            <td>{dispute.status.replace('_', " ")}</td>
            <td>{dispute.evidence_due_by.map(timestamp).unwrap_or_default()}</td>
        </tr>
    }
}

fn refund_form(detail: &OrderDetail, id: &str) -> impl IntoView {
    // Only payments that received money can be refunded.
    let payments: Vec<_> = detail
        .payments
        .iter()
        .filter(|p| p.amount_received_minor > 0)
        .cloned()
        .collect();
    if payments.is_empty() {
        return view! {
            <section aria-labelledby="refund-heading">
                <h2 id="refund-heading">"Refund"</h2>
                <p>
                    "Nothing to refund: Stripe has reported no money received for this order. "
                    "A re-check with Stripe reads it again."
                </p>
            </section>
        }
        .into_any();
    }
    let lines = detail.lines.clone();
    let reasons = REFUND_REASONS.map(|reason| {
        view! { <option value=reason>{reason.replace('_', " ")}</option> }
    });
    view! {
        <section aria-labelledby="refund-heading">
            <h2 id="refund-heading">"Refund"</h2>
            <form method="post" action=format!("/admin/orders/{id}/refund") class="admin-form">
                // This form's refund: sent twice, it is still one refund.
                <input type="hidden" name="request" value=crate::server::store::new_id("rf")/>
                <label for="payment_intent">"Payment"</label>
                <select id="payment_intent" name="payment_intent">
                    {payments.into_iter().map(|p| {
                        let label = format!("{} ({} received)", p.id, describe_minor(p.amount_received_minor, &p.currency));
                        view! { <option value=p.id.clone()>{label}</option> }
                    }).collect_view()}
                </select>
                <label for="amount">"Amount (for example 12.50)"</label>
                <input id="amount" name="amount" inputmode="decimal" required maxlength="12"
                    pattern="[0-9]+([.][0-9]{1,2})?"/>
                <label for="reason">"Reason"</label>
                <select id="reason" name="reason">
                    <option value="">"none given"</option>
                    {reasons.into_iter().collect_view()}
                </select>
                <fieldset>
                    <legend>"Put back on the shelf when the refund succeeds"</legend>
                    {lines.into_iter().map(|line| {
                        let field = format!("restock_{}", line.product_id);
                        let label = format!("{} (bought {})", line.name, line.quantity);
                        view! {
                            <label for=field.clone()>{label}</label>
                            <input id=field.clone() name=field type="number" min="0"
                                max=line.quantity.to_string() value="0"/>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="refund-note">"Note (optional)"</label>
                <input id="refund-note" name="note" maxlength="500"/>
                <button type="submit">"Refund"</button>
            </form>
        </section>
    }
    .into_any()
}

fn resolve_form(id: &str) -> impl IntoView {
    view! {
        <section aria-labelledby="resolve-heading">
            <h2 id="resolve-heading">"Resolve the review"</h2>
            <form method="post" action=format!("/admin/orders/{id}/resolve") class="admin-form">
                <fieldset>
                    <legend>"Outcome"</legend>
                    <label>
                        <input type="radio" name="outcome" value="fulfilled" required/>
                        "Fulfilled by hand: mark it paid"
                    </label>
                    <label>
                        <input type="radio" name="outcome" value="closed"/>
                        "Closed: refunded or nothing owed, mark it canceled"
                    </label>
                </fieldset>
                <label for="resolve-note">"Note"</label>
                <input id="resolve-note" name="note" required maxlength="500"/>
                <button type="submit">"Resolve"</button>
            </form>
        </section>
    }
}

fn emails(detail: &OrderDetail, id: &str) -> impl IntoView {
    let emails = detail.emails.clone();
    let id = id.to_owned();
    view! {
        <section aria-labelledby="emails-heading">
            <h2 id="emails-heading">"Emails"</h2>
            {if emails.is_empty() {
                view! { <p>"None."</p> }.into_any()
            } else {
                view! {
                    <table class="admin-table">
                        {head(&["Subject", "To", "Sent", ""])}
                        <tbody>
                            {emails.into_iter().map(|email| {
                                let sent = match (email.sent_at, &email.last_error) {
                                    (Some(at), _) => timestamp(at),
                                    (None, Some(error)) => format!("not yet (last error: {error})"),
                                    (None, None) => "not yet".into(),
                                };
                                view! {
                                    <tr>
                                        <td>{email.subject.clone()}</td>
                                        <td>{email.recipient.clone()}</td>
                                        <td>{sent}</td>
                                        <td>
                                            <form method="post" action=format!("/admin/orders/{id}/resend")>
                                                <input type="hidden" name="email" value=email.id.clone()/>
                                                <button type="submit">"Send again"</button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

/// The inbox's or the command queue's items that need a look, each with a retry.
pub fn work(
    title: &'static str,
    retry_base: &'static str,
    items: Vec<WorkItem>,
    message: Option<Result<String, String>>,
) -> impl IntoView {
    let empty = items.is_empty();
    view! {
        <h1>{title}</h1>
        {notice(message)}
        {if empty {
            view! { <p>"Nothing is waiting or parked."</p> }.into_any()
        } else {
            view! {
                <table class="admin-table">
                    {head(&["Id", "Type", "PaymentIntent", "Status", "Attempts", "Last error", "Since", ""])}
                    <tbody>
                        {items.into_iter().map(|item| {
                            let action = format!("{retry_base}/{}/retry", item.id);
                            let parked = item.status == "parked";
                            view! {
                                <tr class:admin-attention=parked>
                                    <td><code>{item.id.clone()}</code></td>
                                    <td>{item.kind.clone()}</td>
                                    <td>{item.payment_intent.clone().unwrap_or_default()}</td>
                                    <td>{item.status.clone()}</td>
                                    <td>{item.attempts}</td>
                                    <td>{item.last_error.clone().unwrap_or_default()}</td>
                                    <td>{timestamp(item.at)}</td>
                                    <td>
                                        <form method="post" action=action>
                                            <button type="submit">"Retry now"</button>
                                        </form>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }}
    }
}

/// A page that says only `text` (not found, an error).
/// The tax row's heading: the kind and rate an order locked, or that none applied.
fn tax_label(code: &str, basis_points: i64) -> String {
    match crate::domain::TaxKind::parse(code) {
        Some(kind) => format!(
            "{} ({})",
            kind.label(crate::i18n::Locale::en),
            crate::domain::Tax::percent(u32::try_from(basis_points).unwrap_or(0))
        ),
        None if code == "pending" => "Tax (no address yet)".to_owned(),
        None => "Tax (none applies)".to_owned(),
    }
}

pub fn message(heading: &'static str, text: String) -> impl IntoView {
    view! {
        <h1>{heading}</h1>
        <p>{text}</p>
        <p><a href="/admin/orders">"Orders"</a></p>
    }
}

/// Unix seconds as `2026-12-06 08:43 UTC`.
pub fn timestamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_in_utc() {
        assert_eq!(timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(timestamp(1_796_546_535), "2026-12-06 08:42 UTC");
        assert_eq!(timestamp(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn pages_escape_what_shoppers_typed() {
        let html = document(
            "Orders",
            Some(&Operator {
                id: "op_1".into(),
                name: "<ada>".into(),
            }),
            message("Hello", "<script>alert(1)</script>".into()),
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;ada&gt;"));
        assert!(!html.contains("<script>"));
    }
}

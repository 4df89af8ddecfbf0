//! The mail sender: drains the outbox at least once. Each email's outbox id is its
//! Message-ID, so a resend after a crash is recognisable as the same message.

use super::backoff_secs;
use crate::server::{shopper::now, store::OutboxMail, AppState};
use std::time::Duration;

use lettre::{
    message::{Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

/// How mail leaves the shop.
#[derive(Clone, Default)]
pub enum MailSender {
    /// Writes each email to the log (the default: no mail server needed).
    #[default]
    Log,
    /// Sends through an SMTP server (`SMTP_URL`, such as `smtp://127.0.0.1:2525` or
    /// `smtps://user:password@mail.example:465`), from `MAIL_FROM`.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

// The SMTP URL may hold a password: it never prints.
impl std::fmt::Debug for MailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailSender::Log => f.write_str("MailSender::Log"),
            MailSender::Smtp { from, .. } => write!(f, "MailSender::Smtp {{ from: {from} }}"),
        }
    }
}

impl MailSender {
    /// The sender the configuration names: SMTP when `smtp_url` is set, else the log.
    pub fn from_config(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let Some(url) = smtp_url else {
            return Ok(MailSender::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("SMTP_URL is not a usable smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("MAIL_FROM {from:?} is not an address"))?;
        Ok(MailSender::Smtp { transport, from })
    }

    async fn send(&self, mail: &OutboxMail) -> Result<(), String> {
        match self {
            MailSender::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .recipient
                    .parse()
                    .map_err(|error| format!("recipient: {error}"))?;
                let message = Message::builder()
                    // The outbox id: a resend after a crash is the same message.
                    .message_id(Some(format!("<{}@storefront>", mail.id)))
                    .from(from.clone())
                    .to(to)
                    .subject(&mail.subject);
                // Plain text and HTML saying the same; the reader's client chooses.
                let message = match &mail.html_body {
                    Some(html) => message.multipart(MultiPart::alternative_plain_html(
                        mail.body.clone(),
                        html.clone(),
                    )),
                    None => message.singlepart(SinglePart::plain(mail.body.clone())),
                }
                .map_err(|error| error.to_string())?;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            }
            MailSender::Log => {
                // The address and the body are personal: only at debug level.
                tracing::info!(
                    message_id = %format!("<{}@storefront>", mail.id),
                    subject = %mail.subject,
                    "email sent (log sender)"
                );
                tracing::debug!(to = %mail.recipient, body = %mail.body, "email content");
                Ok(())
            }
        }
    }
}

/// Runs forever: sends what is due, then looks again a second later.
///
/// One email is claimed at a time: a claim's lease (`WORK_LEASE_SECS`, 120 s by
/// default) outlasts one send (the SMTP timeout is 20 s), so no other instance takes
/// over an email this one is still sending, and sends it twice.
pub async fn run(state: AppState, sender: MailSender) {
    loop {
        match state.store.due_mail(now(), 1).await {
            Ok(due) if !due.is_empty() => {
                for mail in due {
                    let result = sender.send(&mail).await;
                    if result.is_ok() {
                        crate::server::crash_point::reached("mail.sent");
                    }
                    if let Err(error) = &result {
                        state.metrics.mail_failures.inc();
                        tracing::warn!(id = %mail.id, %error, "sending an email failed; retrying later");
                    }
                    let next = now() + backoff_secs(mail.attempts);
                    if let Err(error) = state.store.mail_result(&mail.id, result, now(), next).await
                    {
                        tracing::error!(%error, "could not record a mail attempt");
                    }
                }
                // More may be due: look again at once.
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "the mail sender could not read the outbox"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

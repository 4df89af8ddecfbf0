//! The mail sender: drains the outbox at least once. Each email's outbox id is its
//! Message-ID, so a resend after a crash is recognisable as the same message.

use super::backoff_secs;
use crate::server::{shopper::now, store::OutboxMail, AppState};
use std::time::Duration;

/// How mail leaves the shop.
#[derive(Clone, Debug, Default)]
pub enum MailSender {
    /// Writes each email to the log (the default: no mail server needed).
    #[default]
    Log,
}

impl MailSender {
    async fn send(&self, mail: &OutboxMail) -> Result<(), String> {
        match self {
            MailSender::Log => {
                tracing::info!(
                    message_id = %format!("<{}@storefront>", mail.id),
                    to = %mail.recipient,
                    subject = %mail.subject,
                    "email sent (log sender)"
                );
                Ok(())
            }
        }
    }
}

/// Runs forever: sends what is due every second.
pub async fn run(state: AppState, sender: MailSender) {
    loop {
        match state.store.due_mail(now(), 50).await {
            Ok(due) => {
                for mail in due {
                    let result = sender.send(&mail).await;
                    if let Err(error) = &result {
                        tracing::warn!(id = %mail.id, %error, "sending an email failed; retrying later");
                    }
                    let next = now() + backoff_secs(mail.attempts);
                    if let Err(error) = state.store.mail_result(&mail.id, result, now(), next).await
                    {
                        tracing::error!(%error, "could not record a mail attempt");
                    }
                }
            }
            Err(error) => tracing::error!(%error, "the mail sender could not read the outbox"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

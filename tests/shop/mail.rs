//! The outbox sent through SMTP (`SMTP_URL`) to a local SMTP sink that records what a
//! mail server would receive.

use crate::helpers::{shop_with_webhooks, TestShop, TestStripe};
use sqlx::AnyPool;
use std::{sync::Arc, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::Mutex,
};

/// A minimal SMTP server: keeps the raw text of every message it accepts, after
/// turning away the first `busy` senders with a temporary failure (451).
async fn smtp_sink(busy: usize) -> (u16, Arc<Mutex<Vec<String>>>) {
    let busy = Arc::new(std::sync::atomic::AtomicUsize::new(busy));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            let busy = busy.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.ok();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            kept.lock().await.push(std::mem::take(body));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let turned_away = verb == "MAIL"
                        && busy
                            .fetch_update(
                                std::sync::atomic::Ordering::SeqCst,
                                std::sync::atomic::Ordering::SeqCst,
                                |n| n.checked_sub(1),
                            )
                            .is_ok();
                    let reply: &[u8] = match verb.as_str() {
                        _ if turned_away => b"451 busy, try again later\r\n",
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"502 not here\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, messages)
}

/// A shop sending its mail through a sink that turns the first `busy` messages away,
/// with one submitted order whose payment was just confirmed with `card`.
async fn smtp_shop_paying_with(
    card: &str,
    busy: usize,
) -> (TestStripe, TestShop, Arc<Mutex<Vec<String>>>) {
    let (port, messages) = smtp_sink(busy).await;
    let (stripe, mut shop) = shop_with_webhooks(move |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    stripe
        .confirm(session["payment_intent"].as_str().unwrap(), card)
        .await;
    (stripe, shop, messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_goes_out_by_smtp_with_the_outbox_id_as_message_id() {
    let (_stripe, shop, messages) = smtp_shop_paying_with("pm_card_visa", 0).await;
    let pool = crate::helpers::connect(&shop.database_url).await;
    for _ in 0..100 {
        let sent: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT id, sent_at FROM outbox WHERE kind = 'order_confirmation'")
                .fetch_optional(&pool)
                .await
                .unwrap();
        if let Some((outbox_id, Some(_))) = sent {
            let messages = messages.lock().await;
            assert_eq!(messages.len(), 1, "sent once");
            let message = &messages[0];
            assert!(
                message.contains(&format!("Message-ID: <{outbox_id}@storefront>")),
                "{message}"
            );
            assert!(message.contains("To: ada@example.com"), "{message}");
            // The subject quotes the reference the shopper saw; a text part and an HTML
            // part say the same.
            let reference: String = sqlx::query_scalar("SELECT reference FROM orders")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert!(
                message.contains(&format!("Subject: Your order {reference} is confirmed")),
                "{message}"
            );
            assert!(
                message.contains("Content-Type: multipart/alternative"),
                "{message}"
            );
            assert!(message.contains("Content-Type: text/plain"), "{message}");
            assert!(message.contains("Content-Type: text/html"), "{message}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the confirmation was never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_that_turns_mail_away_gets_it_again_later() {
    // The payment-failed email, through a server busy at the first attempt: kept in
    // the outbox with its error, retried after a backoff, delivered once.
    let (_stripe, shop, messages) = smtp_shop_paying_with("pm_card_chargeDeclined", 1).await;
    let pool = crate::helpers::connect(&shop.database_url).await;
    let outbox = |pool: AnyPool| async move {
        sqlx::query_as::<_, (String, i64, Option<String>, Option<i64>)>(
            "SELECT id, attempts, last_error, sent_at FROM outbox WHERE kind = 'payment_failed'",
        )
        .fetch_optional(&pool)
        .await
        .unwrap()
    };
    let mut turned_away = false;
    for _ in 0..100 {
        match outbox(pool.clone()).await {
            Some((_, 1, Some(error), None)) => {
                assert!(error.contains("451"), "{error}");
                turned_away = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(turned_away, "the first attempt failed and was kept");
    assert!(messages.lock().await.is_empty());
    for _ in 0..100 {
        if let Some((outbox_id, 2, _, Some(_))) = outbox(pool.clone()).await {
            let messages = messages.lock().await;
            assert_eq!(messages.len(), 1, "delivered once");
            let message = &messages[0];
            assert!(
                message.contains(&format!("Message-ID: <{outbox_id}@storefront>")),
                "{message}"
            );
            assert!(
                message.contains("Subject: Your payment did not go through"),
                "{message}"
            );
            // Quoted-printable: long lines are folded with "=" at their ends.
            let text = message.replace("=\n", "").replace("=3D", "=");
            assert!(
                text.contains(&format!("http://{}/checkout", shop.addr)),
                "a link back to checkout that works from a mail client: {message}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the email was never sent again");
}

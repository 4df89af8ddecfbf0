//! The outbox sent through SMTP (`SMTP_URL`) to a local SMTP sink that records what a
//! mail server would receive.

use crate::helpers::{spawn_app_against, TestStripe};
use reqwest::Method;
use std::{sync::Arc, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::Mutex,
};

/// A minimal SMTP server: accepts every message and keeps its raw text.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
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
                    let reply: &[u8] = match verb.as_str() {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_goes_out_by_smtp_with_the_outbox_id_as_message_id() {
    let (port, messages) = smtp_sink().await;
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, move |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    stripe
        .running
        .emulator
        .configure_webhook_urls(&[shop.url("/webhooks/stripe")])
        .unwrap();
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    stripe
        .api(
            Method::POST,
            &format!("/v1/payment_intents/{id}/confirm"),
            &[
                ("payment_method", "pm_card_visa"),
                ("return_url", "http://127.0.0.1/done"),
            ],
        )
        .await;
    let pool = sqlx::SqlitePool::connect(&shop.database_url).await.unwrap();
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
            assert!(
                message.contains("Subject: Your order is confirmed"),
                "{message}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the confirmation was never sent");
}

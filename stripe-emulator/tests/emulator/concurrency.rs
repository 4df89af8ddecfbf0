//! Many clients on the same PaymentIntents: no lost update, never two winning confirms.

use std::sync::Arc;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_confirms_updates_and_cancels_end_in_allowed_states() {
    let emu = Arc::new(spawn().await);
    let mut intents = Vec::new();
    for _ in 0..12 {
        intents.push(id(&emu.payment_intent().await));
    }
    let mut tasks = Vec::new();
    for (n, pi) in intents.iter().enumerate() {
        for client in 0..8 {
            let emu = emu.clone();
            let pi = pi.clone();
            tasks.push(tokio::spawn(async move {
                let action = (n + client) % 4;
                let answer = match action {
                    0 | 1 => {
                        emu.post(
                            &format!("/v1/payment_intents/{pi}/confirm"),
                            &[("payment_method", "pm_card_visa")],
                        )
                        .await
                    }
                    2 => {
                        emu.post(
                            &format!("/v1/payment_intents/{pi}"),
                            &[("amount", &(3000 + client).to_string())],
                        )
                        .await
                    }
                    _ if client == 7 => {
                        emu.post(&format!("/v1/payment_intents/{pi}/cancel"), &[])
                            .await
                    }
                    _ => {
                        emu.post(
                            &format!("/v1/payment_intents/{pi}"),
                            &[(&format!("metadata[client{client}]"), "seen")],
                        )
                        .await
                    }
                };
                (pi, action, client, answer.status, answer.json)
            }));
        }
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    for pi in &intents {
        let now = emu.get(&format!("/v1/payment_intents/{pi}")).await.json;
        let status = now["status"].as_str().unwrap();
        assert!(
            ["succeeded", "canceled", "requires_payment_method"].contains(&status),
            "{pi}: {status}"
        );
        let winning_confirms = results
            .iter()
            .filter(|r| &r.0 == pi && r.1 < 2 && r.3 == 200)
            .count();
        match status {
            "succeeded" => {
                assert_eq!(winning_confirms, 1, "{pi}: exactly one confirm wins");
                let charge = emu
                    .get(&format!(
                        "/v1/charges/{}",
                        now["latest_charge"].as_str().unwrap()
                    ))
                    .await
                    .json;
                assert_eq!(
                    charge["amount"], now["amount"],
                    "{pi}: charged what the PaymentIntent says"
                );
                assert_eq!(now["amount_received"], now["amount"]);
            }
            _ => assert_eq!(
                winning_confirms, 0,
                "{pi}: {status} after a winning confirm"
            ),
        }
        // Every metadata update that succeeded is still there: nothing was lost.
        for r in results
            .iter()
            .filter(|r| &r.0 == pi && r.1 == 3 && r.2 != 7 && r.3 == 200)
        {
            assert_eq!(now["metadata"][format!("client{}", r.2)], "seen", "{pi}");
        }
        for r in results.iter().filter(|r| &r.0 == pi) {
            assert!([200, 400].contains(&r.3), "{pi}: {} {}", r.3, r.4);
        }
    }
}

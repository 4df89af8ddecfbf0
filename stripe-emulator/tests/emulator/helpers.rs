//! Spawning an emulator per test and talking to it as a Stripe SDK would: form-encoded
//! HTTP with a key, nothing else.

use std::net::SocketAddr;

use reqwest::header::HeaderMap;
use serde_json::Value;
use stripe_emulator::{Emulator, Keys, Options, RunningEmulator};

/// An emulator of its own, with the control API on, on a free port.
pub struct TestEmulator {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
}

/// One API answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.<field>` as a string, or "" when absent.
    pub fn error(&self, field: &str) -> &str {
        self.json["error"][field].as_str().unwrap_or("")
    }
}

pub async fn spawn() -> TestEmulator {
    spawn_with(Options {
        control_api: true,
        ..Options::default()
    })
    .await
}

pub async fn spawn_with(options: Options) -> TestEmulator {
    let emulator = Emulator::open(options).expect("emulator opens");
    let running = emulator
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("emulator serves");
    TestEmulator {
        running,
        http: reqwest::Client::new(),
    }
}

impl TestEmulator {
    pub fn keys(&self) -> &Keys {
        &self.running.keys
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    /// `POST` with the secret key.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(&self.keys().secret_key)
                .form(form),
        )
        .await
    }

    /// `POST` with the secret key and an `Idempotency-Key`.
    pub async fn post_idempotent(&self, path: &str, key: &str, form: &[(&str, &str)]) -> Answer {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(&self.keys().secret_key)
                .header("Idempotency-Key", key)
                .form(form),
        )
        .await
    }

    /// `GET` with the secret key.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(
            self.http
                .get(self.url(path))
                .bearer_auth(&self.keys().secret_key),
        )
        .await
    }

    /// `POST` with the publishable key as a `key` field, as Stripe.js sends it.
    pub async fn post_publishable(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("key", self.keys().publishable_key.as_str())];
        fields.extend_from_slice(form);
        self.send(self.http.post(self.url(path)).form(&fields))
            .await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the emulator answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    /// Control API call with a JSON body.
    pub async fn control(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    /// A PaymentIntent of $20.00 (`requires_payment_method`).
    pub async fn payment_intent(&self) -> Value {
        let answer = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", "2000"),
                    ("currency", "usd"),
                    ("automatic_payment_methods[enabled]", "true"),
                ],
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json
    }

    /// A PaymentIntent confirmed with a `pm_card_*` test PaymentMethod.
    pub async fn confirmed_with(&self, test_pm: &str, extra: &[(&str, &str)]) -> (Value, Answer) {
        let pi = self.payment_intent().await;
        let id = pi["id"].as_str().unwrap().to_string();
        let mut form = vec![("payment_method", test_pm)];
        form.extend_from_slice(extra);
        let answer = self
            .post(&format!("/v1/payment_intents/{id}/confirm"), &form)
            .await;
        let now = self.get(&format!("/v1/payment_intents/{id}")).await.json;
        (now, answer)
    }
}

impl TestEmulator {
    /// A $20.00 PaymentIntent paid with `test_pm`: its id and its charge's id.
    pub async fn paid_with(&self, test_pm: &str) -> (String, String) {
        let (pi, answer) = self.confirmed_with(test_pm, &[]).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(pi["status"], "succeeded");
        (id(&pi), pi["latest_charge"].as_str().unwrap().to_string())
    }

    /// Moves the emulator clock forward.
    pub async fn advance(&self, seconds: i64) {
        let answer = self
            .control(
                "/_emulator/clock",
                serde_json::json!({ "advance_seconds": seconds }),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    /// Every event whose object is `object_id` or belongs to that PaymentIntent or
    /// charge, oldest first.
    pub async fn events_about(&self, object_id: &str) -> Vec<Value> {
        let list = self.get("/v1/events?limit=100").await.json;
        let mut events: Vec<Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let object = &e["data"]["object"];
                object["id"] == object_id
                    || object["payment_intent"] == object_id
                    || object["charge"] == object_id
            })
            .cloned()
            .collect();
        events.reverse();
        events
    }

    /// The types of [`events_about`](Self::events_about), oldest first.
    pub async fn event_types_about(&self, object_id: &str) -> Vec<String> {
        self.events_about(object_id)
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

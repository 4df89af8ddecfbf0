//! Webhook endpoints: where events are delivered, and the secrets that sign them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A registered endpoint (or one configured at start, which the API does not list).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// Event types, or `*` for all.
    pub enabled_events: Vec<String>,
    pub disabled: bool,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub api_version: Option<String>,
    pub created: i64,
    /// Every secret that signs deliveries, each giving one `v1` (several while rolling).
    pub secrets: Vec<String>,
    /// Configured at start (`--webhook-url`, the embedding shop): not part of the API.
    pub configured: bool,
}

impl WebhookEndpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        !self.disabled
            && self
                .enabled_events
                .iter()
                .any(|e| e == "*" || e == event_type)
    }

    /// The object as the API renders it; the secret only on create.
    pub fn render(&self, with_secret: bool) -> Value {
        let mut out = json!({
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "id": self.id,
            "livemode": false,
            "metadata": self.metadata,
            "object": "webhook_endpoint",
            "status": if self.disabled { "disabled" } else { "enabled" },
            "url": self.url,
        });
        if with_secret {
            out["secret"] = json!(self.secrets.first());
        }
        out
    }
}

//! In-process event bus behind `GET /api/v1/events` (SSE): task and vote updates.
//! Events are published after the transaction that caused them commits.
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Who should hear it (user ids).
    #[serde(skip)]
    pub recipients: Vec<String>,
    pub kind: String,
    pub data: Value,
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(1024);
        EventBus { tx }
    }
}

impl EventBus {
    pub fn publish(&self, recipients: Vec<String>, kind: &str, data: Value) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.tx.send(Event { recipients, kind: kind.to_string(), data });
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

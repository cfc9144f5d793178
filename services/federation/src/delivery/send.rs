//! Signing and sending one queued row with the crate's HTTP signatures.

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::{Serialize, Serializer};
use url::Url;

use super::DeliveryRow;
use crate::actors::SigningActor;
use crate::error::{FederationError, Result};
use crate::Context;

/// A stored activity, sent exactly as stored.
#[derive(Debug)]
pub(crate) struct StoredActivity {
    id: Url,
    actor: Url,
    body: serde_json::Value,
}

impl Serialize for StoredActivity {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

#[async_trait::async_trait]
impl Activity for StoredActivity {
    type DataType = Context;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<Context>) -> Result<()> {
        Err(FederationError::Internal(
            "an outgoing activity is never received".to_owned(),
        ))
    }

    async fn receive(self, _data: &Data<Context>) -> Result<()> {
        Err(FederationError::Internal(
            "an outgoing activity is never received".to_owned(),
        ))
    }
}

/// What became of one attempt.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The instance took it (or refused it for good: a 4xx other than 408 and 429).
    Delivered,
    /// The address may not be sent to (policy, private address, malformed): drop the row.
    Refused(String),
    /// Try again later.
    Failed(String),
}

/// Signs `row` as `signer` and posts it to its inbox.
pub(crate) async fn send(
    row: &DeliveryRow,
    signer: &SigningActor,
    data: &Data<Context>,
) -> Outcome {
    let body: serde_json::Value = match serde_json::from_str(&row.body) {
        Ok(body) => body,
        Err(e) => return Outcome::Refused(format!("stored activity unreadable: {e}")),
    };
    let (Ok(id), Ok(inbox)) = (Url::parse(&row.activity_id), Url::parse(&row.inbox)) else {
        return Outcome::Refused("stored activity with a bad id or inbox".to_owned());
    };
    let activity = StoredActivity {
        id,
        actor: signer.id.clone(),
        body,
    };
    let tasks = match SendActivityTask::prepare(&activity, signer, vec![inbox], data).await {
        Ok(tasks) => tasks,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    // `prepare` leaves out inboxes that fail the crate's checks (scheme, port, private
    // address) or the admin's policy.
    let Some(task) = tasks.into_iter().next() else {
        return Outcome::Refused("the inbox address is refused".to_owned());
    };
    match task.sign_and_send(data).await {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

//! What the instance tells visitors about itself, and the registration mode an admin may change
//! at run time (stored, winning over the configuration file).

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;
use maille_config::RegistrationMode;
use maille_database::schema::instance_settings;
use maille_database::{DbConnection, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::Accounts;

const REGISTRATION: &str = "registration_mode";

/// The registration mode in effect: the admin's choice if made, else the configuration's.
pub fn registration_mode(
    conn: &mut DbConnection,
    configured: RegistrationMode,
) -> Result<RegistrationMode> {
    let stored: Option<String> = instance_settings::table
        .find(REGISTRATION)
        .select(instance_settings::value)
        .first(conn)
        .optional()?;
    Ok(stored
        .as_deref()
        .and_then(RegistrationMode::parse)
        .unwrap_or(configured))
}

/// Stores the admin's choice of registration mode.
pub fn set_registration_mode(
    conn: &mut DbConnection,
    mode: RegistrationMode,
    now: UnixTime,
) -> Result<()> {
    let updated = diesel::update(instance_settings::table.find(REGISTRATION))
        .set((
            instance_settings::value.eq(mode.code()),
            instance_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::name.eq(REGISTRATION),
                instance_settings::value.eq(mode.code()),
                instance_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Public facts about the instance.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceInfo {
    /// The instance's name.
    pub name: String,
    /// Maille's version.
    pub version: String,
    /// `open`, `approval`, `invite` or `closed`.
    pub registration_mode: String,
    /// `fr` or `en`.
    pub default_language: String,
    /// Whether visitors who are not logged in may create pads.
    pub anonymous_pads: bool,
    /// Whether visitors who are not logged in may create video rooms.
    pub anonymous_rooms: bool,
}

/// Public facts about the instance.
#[utoipa::path(get, path = "/api/instance", tag = "accounts",
    responses((status = 200, body = InstanceInfo)))]
#[get("/api/instance")]
pub async fn get_instance(accounts: web::Data<Accounts>) -> Result<HttpResponse> {
    let configured = accounts.settings().accounts.registration;
    let mode = accounts
        .database()
        .run(move |conn| registration_mode(conn, configured))
        .await?;
    Ok(HttpResponse::Ok().json(InstanceInfo {
        name: accounts.settings().instance_name.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        registration_mode: mode.code().to_owned(),
        default_language: accounts.settings().default_language.code().to_owned(),
        anonymous_pads: accounts.settings().pads.anonymous_creation,
        anonymous_rooms: accounts.settings().rooms.anonymous_rooms,
    }))
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_instance);
}

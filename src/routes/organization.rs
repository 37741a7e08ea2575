//! `GET/PUT /api/v1/organization`: the clinic's own record. Every role reads it (admissions
//! sees who inquiries go out as); admins set it.

use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::Body;
use super::{audit, ok};
use crate::auth::Staff;
use crate::domain::organization::OrganizationInput;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::Action;
use crate::store::organization;

pub async fn get(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, ApiError> {
    staff.require(&Role::ALL)?;
    let mut tx = state.db.begin_read().await?;
    let org = organization::get(&mut tx).await?.ok_or(ApiError::NotFound(
        "organization (an admin sets it with PUT)",
    ))?;
    tx.commit().await?;
    Ok(ok(&org))
}

pub async fn put(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let input: OrganizationInput = body.json()?;
    let org = input.parse()?;
    let mut tx = state.db.begin().await?;
    let stored = organization::put(&mut tx, &org).await?;
    audit(
        &mut tx,
        &staff,
        &req,
        Action::Update,
        "organization",
        "clinic",
    )
    .await?;
    tx.commit().await?;
    Ok(ok(&stored))
}

//! `GET/PUT /api/v1/organization`: the clinic's own record. Every role reads it (admissions
//! sees who inquiries go out as); admins set it.

use actix_web::HttpResponse;

use super::context::Ctx;
use super::extract::Body;
use super::ok;
use crate::domain::organization::OrganizationInput;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::organization;

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(&Role::ALL)?;
    let mut tx = ctx.read_each().await?;
    let org = organization::get(&mut tx).await?.ok_or(ApiError::NotFound(
        "organization (an admin sets it with PUT)",
    ))?;
    tx.commit().await?;
    Ok(ok(&org))
}

pub async fn put(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Admin])?;
    let input: OrganizationInput = body.json()?;
    let org = input.parse()?;
    let mut tx = ctx.write().await?;
    let stored = organization::put(&mut tx, &org).await?;
    tx.audit(Action::Update, "organization", "clinic");
    tx.commit().await?;
    Ok(ok(&stored))
}

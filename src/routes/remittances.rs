//! Remittances (835): receiving a payer's file, reading what was posted, and the client's
//! balance left by payers. Billing staff only; remittances name claims, so reads and writes are
//! audited per client like claims.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{page, X12Body};
use super::{ok, PageOf};
use crate::domain::ids::{ClientId, RemittanceId};
use crate::domain::money::signed_text;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::remittances::{self as service, RemitError};
use crate::store::audit::Action;
use crate::store::remittances::{self, ClaimRecord, ProviderAdjustmentRecord, RemittanceSummary};
use crate::store::{clients, organization};

const BILLING: &[Role] = &[Role::Billing];

fn remit_error(error: RemitError) -> ApiError {
    match error {
        RemitError::Unreadable(e) => ApiError::validation("body", &e.to_string()),
        RemitError::NotOurPayee(detail) => ApiError::validation("N1*PE", &detail),
        RemitError::Amount(e) => ApiError::validation("body", &e.to_string()),
        RemitError::NoOrganization => ApiError::validation(
            "organization",
            "the clinic is not set up: PUT /api/v1/organization (the payee) first",
        ),
        RemitError::Store(e) => e.into(),
    }
}

/// `POST /api/v1/remittances`: an 835 file, kept, matched and posted.
pub async fn receive(ctx: Ctx, body: X12Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let content = body.bytes()?;
    let user = ctx.staff.id;
    let mut tx = ctx.write().await?;
    let org = organization::get(&mut tx).await?.map(|o| o.organization);
    let received = service::receive(&mut tx, &content, org.as_ref(), user)
        .await
        .map_err(remit_error)?;
    tx.audit_all(
        Action::Create,
        "remittance",
        received.remittances.iter().map(|r| r.id),
    );
    tx.audit_all(Action::Update, "claims", received.clients.iter().copied());
    tx.commit().await?;
    tracing::info!(remittance_file_id = %received.file_id,
        sets = received.remittances.len(), user_id = %user, "835 received");
    let status = if received.posted_any() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(&received))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/v1/remittances`: newest first.
pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read().await?;
    let (items, total) = remittances::list(&mut tx, page).await?;
    tx.audit_all(Action::Read, "remittance", items.iter().map(|r| r.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

/// One remittance with every claim and line it named, matched or not.
#[derive(Serialize)]
struct RemittanceDetail {
    #[serde(flatten)]
    summary: RemittanceSummary,
    claims: Vec<ClaimRecord>,
    provider_adjustments: Vec<ProviderAdjustmentRecord>,
}

/// `GET /api/v1/remittances/{id}`.
pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let id = Uuid::from(ctx.path::<RemittanceId>("id")?);
    let mut tx = ctx.read().await?;
    let summary = remittances::summary_of(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("remittance"))?;
    let claims = remittances::claims_of(&mut tx, id, None).await?;
    let provider_adjustments = remittances::provider_adjustments(&mut tx, id).await?;
    tx.audit(Action::Read, "remittance", id);
    tx.audit_all(
        Action::Read,
        "claims",
        claims
            .iter()
            .filter_map(|c| c.client_id)
            .collect::<std::collections::BTreeSet<_>>(),
    );
    tx.commit().await?;
    Ok(ok(&RemittanceDetail {
        summary,
        claims,
        provider_adjustments,
    }))
}

/// What payers left to the client, per reason, from posted remittances.
#[derive(Serialize)]
struct Balance {
    client_id: Uuid,
    patient_responsibility: Vec<Share>,
    total: String,
}

#[derive(Serialize)]
struct Share {
    /// The CARC of the PR adjustment (`1` deductible, `2` coinsurance, `3` copay, ...).
    reason_code: String,
    reason: &'static str,
    amount: String,
}

fn share_reason(code: &str) -> &'static str {
    match code {
        "1" => "deductible",
        "2" => "coinsurance",
        "3" => "copay",
        _ => "other patient responsibility",
    }
}

/// `GET /api/v1/clients/{id}/balance`: the client's share of posted claims, for statements.
pub async fn balance(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let client = ctx.path::<ClientId>("id")?;
    let id = Uuid::from(client);
    let mut tx = ctx.read().await?;
    if clients::find(&mut tx, client).await?.is_none() {
        return Err(ApiError::NotFound("client"));
    }
    let shares = remittances::client_patient_share(&mut tx, id).await?;
    tx.audit(Action::Read, "client", id);
    tx.commit().await?;
    let total: i64 = shares.iter().map(|(_, cents)| cents).sum();
    Ok(ok(&Balance {
        client_id: id,
        patient_responsibility: shares
            .into_iter()
            .map(|(code, cents)| Share {
                reason: share_reason(&code),
                reason_code: code,
                amount: signed_text(cents),
            })
            .collect(),
        total: signed_text(total),
    }))
}

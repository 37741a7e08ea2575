//! Adding and changing payers, audited: the API's `POST`/`PATCH /api/v1/payers` and the admin
//! screen's forms both come here, so both parse alike and refuse a taken EDI payer id alike.

use crate::domain::ids::PayerId;
use crate::domain::payer::{NewPayer, PayerInput};
use crate::error::{unique_conflict, ApiError};
use crate::routes::context::Audited;
use crate::secrets::SecretKey;
use crate::store::audit::Action;
use crate::store::payers::{self, Payer};

const TAKEN: &str = "Another payer already has this EDI payer id.";

fn parse(input: PayerInput) -> Result<NewPayer, ApiError> {
    Ok(input.parse()?)
}

/// Adds a payer, audited. The caller commits.
pub async fn add(
    tx: &mut Audited<'_>,
    secrets: &SecretKey,
    input: PayerInput,
) -> Result<Payer, ApiError> {
    let payer = parse(input)?;
    let payer = payers::insert(tx, secrets, PayerId::new(), &payer)
        .await
        .map_err(unique_conflict("payer_id", TAKEN))?;
    tx.audit(Action::Create, "payer", payer.id);
    Ok(payer)
}

/// Changes a payer, audited: `edit` gets the stored record as input (secrets included, so that
/// what it leaves alone is kept) and returns the whole new input, parsed again as on creation.
/// The API's `PATCH` edits by merging its body; the admin screen by its form. The caller commits.
pub async fn change(
    tx: &mut Audited<'_>,
    secrets: &SecretKey,
    id: PayerId,
    edit: impl FnOnce(PayerInput) -> Result<PayerInput, ApiError>,
) -> Result<Payer, ApiError> {
    let current = payers::find(tx, secrets, id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    let payer = parse(edit(PayerInput::from(&current.data))?)?;
    let payer = payers::update(tx, secrets, id, &payer)
        .await
        .map_err(unique_conflict("payer_id", TAKEN))?
        .ok_or(ApiError::NotFound("payer"))?;
    tx.audit(Action::Update, "payer", id);
    Ok(payer)
}

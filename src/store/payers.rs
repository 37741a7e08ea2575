//! Payer records.
//!
//! The connection is one JSON document (`ConnectionInput`'s shape). Its credentials' secrets
//! (`password`, `token`, `client_secret`) are sealed here, at the boundary, with the secrets key
//! (see `crate::secrets`): the column holds `sealed:v1:…` in their place, and what this module
//! hands back holds them in the clear, so nothing above the store sees the difference. Each is
//! sealed for its payer and field, so a value moved to another row or field does not open.
//! (Migration 0008's comment, that this encryption was still to come, predates it.)

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{like_prefix, now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::ids::PayerId;
use crate::domain::payer::{
    BillingRules, BillingRulesInput, ConnectionInput, CredentialsInput, NewPayer, PayerInput,
};
use crate::secrets::{is_sealed, SecretKey};

pub type Payer = Stored<NewPayer, PayerId>;

#[derive(sqlx::FromRow)]
struct PayerRow {
    id: PayerId,
    name: String,
    payer_id: String,
    connection: Option<String>,
    billing: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PayerRow {
    fn parse(self, key: &SecretKey) -> StoreResult<Payer> {
        let connection = self
            .connection
            .map(|text| opened_connection(&self.id.to_string(), &text, key))
            .transpose()?;
        let billing = self
            .billing
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StoreError::corrupt("payer billing rules", e))?;
        let data = PayerInput {
            name: Some(self.name),
            payer_id: Some(self.payer_id),
            connection,
            billing,
        }
        .parse()
        .map_err(|e| StoreError::corrupt("payer", e))?;
        Ok(Stored::from_parts(
            self.id,
            data,
            self.created_at,
            self.updated_at,
        ))
    }
}

const COLUMNS: &str = "id, name, payer_id, connection, billing, created_at, updated_at";

/// The secret fields of stored credentials, each with the name its seal is bound to.
fn secret_fields(credentials: &mut CredentialsInput) -> [(&'static str, &mut Option<String>); 3] {
    [
        ("password", &mut credentials.password),
        ("token", &mut credentials.token),
        ("client_secret", &mut credentials.client_secret),
    ]
}

/// What a sealed value is bound to: a value sealed for one payer's field opens for no other.
fn context(payer_id: &str, field: &str) -> String {
    format!("payer:{payer_id}:{field}")
}

/// Seals, in place, the secrets of `stored` that `pending` picks; returns how many.
fn seal_secrets(
    payer_id: &str,
    stored: &mut ConnectionInput,
    key: &SecretKey,
    pending: fn(&str) -> bool,
) -> u64 {
    let Some(credentials) = stored.credentials.as_mut() else {
        return 0;
    };
    let mut sealed = 0;
    for (field, value) in secret_fields(credentials) {
        if let Some(plain) = value.as_deref().filter(|v| pending(v)) {
            *value = Some(key.seal(plain, &context(payer_id, field)));
            sealed += 1;
        }
    }
    sealed
}

/// The stored form of the connection, its secrets sealed for this payer.
fn connection_json(
    payer_id: &str,
    payer: &NewPayer,
    key: &SecretKey,
) -> StoreResult<Option<String>> {
    let Some(connection) = payer.connection.as_ref() else {
        return Ok(None);
    };
    let mut stored = ConnectionInput::from(connection);
    // Every secret, whatever it looks like: one typed to begin with `sealed:v1:` is still a
    // secret in the clear.
    seal_secrets(payer_id, &mut stored, key, |_| true);
    serde_json::to_string(&stored)
        .map(Some)
        .map_err(|e| StoreError::corrupt("payer connection", e))
}

/// The stored connection with its secrets opened. Every secret must be sealed: the startup step
/// (`seal_stored_secrets`) has sealed any older ones, so one in the clear means the row was
/// altered. The error names the payer and the field, never the value.
fn opened_connection(payer_id: &str, text: &str, key: &SecretKey) -> StoreResult<ConnectionInput> {
    let mut stored: ConnectionInput =
        serde_json::from_str(text).map_err(|e| StoreError::corrupt("payer connection", e))?;
    if let Some(credentials) = stored.credentials.as_mut() {
        for (field, value) in secret_fields(credentials) {
            if let Some(sealed) = value.as_deref() {
                let opened = key.unseal(sealed, &context(payer_id, field)).map_err(|e| {
                    StoreError::corrupt(
                        "payer connection",
                        format!("payer {payer_id}, credentials.{field}: {e}"),
                    )
                })?;
                *value = Some(opened.expose_secret().to_string());
            }
        }
    }
    Ok(stored)
}

fn billing_json(payer: &NewPayer) -> StoreResult<String> {
    serde_json::to_string(&BillingRulesInput::from(&payer.billing))
        .map_err(|e| StoreError::corrupt("payer billing rules", e))
}

pub async fn insert(
    tx: &mut Tx,
    key: &SecretKey,
    id: PayerId,
    payer: &NewPayer,
) -> StoreResult<Payer> {
    let at = now();
    let connection = connection_json(&id.to_string(), payer, key)?;
    let billing = billing_json(payer)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO payers (id, name, payer_id, connection, billing, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(id)
    .bind(payer.name.as_str())
    .bind(payer.payer_id.as_str())
    .bind(&connection)
    .bind(&billing)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Stored::from_parts(id, payer.clone(), at, at))
}

pub async fn find(tx: &mut Tx, key: &SecretKey, id: PayerId) -> StoreResult<Option<Payer>> {
    let sql = format!("SELECT {COLUMNS} FROM payers WHERE id = $1");
    let row: Option<PayerRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(|row| row.parse(key)).transpose()
}

/// Lists payers, optionally those whose name contains `name` (any case).
pub async fn list(
    tx: &mut Tx,
    key: &SecretKey,
    name: Option<&str>,
    page: Page,
) -> StoreResult<(Vec<Payer>, i64)> {
    let pattern = name.map(|n| format!("%{}", like_prefix(n)));
    let filter = "WHERE ($1 IS NULL OR lower(name) LIKE $1 ESCAPE '\\')";
    let (rows, total) = page_of!(
        tx,
        PayerRow,
        COLUMNS,
        format!("FROM payers {filter}"),
        "name, id",
        page,
        [&pattern]
    );
    let payers = rows
        .into_iter()
        .map(|row| row.parse(key))
        .collect::<StoreResult<_>>()?;
    Ok((payers, total))
}

pub async fn update(
    tx: &mut Tx,
    key: &SecretKey,
    id: PayerId,
    payer: &NewPayer,
) -> StoreResult<Option<Payer>> {
    let connection = connection_json(&id.to_string(), payer, key)?;
    let billing = billing_json(payer)?;
    let done = with_tx!(tx, |conn| {
        sqlx::query(
        "UPDATE payers SET name = $2, payer_id = $3, connection = $4, billing = $5, updated_at = $6
         WHERE id = $1"
    )
    .bind(id)
    .bind(payer.name.as_str())
    .bind(payer.payer_id.as_str())
    .bind(&connection)
    .bind(&billing)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, key, id).await
}

/// The payer with this EDI payer id, if the clinic has it (to follow a carve-out).
pub async fn find_by_edi_id(
    tx: &mut Tx,
    key: &SecretKey,
    edi_id: &str,
) -> StoreResult<Option<Payer>> {
    let sql = format!("SELECT {COLUMNS} FROM payers WHERE payer_id = $1");
    let row: Option<PayerRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(edi_id)
        .fetch_optional(conn)
        .await)?;
    row.map(|row| row.parse(key)).transpose()
}

/// Whether the payer exists, locking its row for the rest of the transaction on PostgreSQL
/// (SQLite transactions already hold the write lock from `BEGIN IMMEDIATE`). Writers of a
/// payer's fee schedules take it before they check for overlaps, so two cannot both pass.
pub async fn lock(tx: &mut Tx, id: PayerId) -> StoreResult<bool> {
    let found: Option<String> = match tx {
        Tx::Postgres(transaction) => {
            sqlx::query_scalar("SELECT id FROM payers WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
        Tx::Sqlite(transaction) => {
            sqlx::query_scalar("SELECT id FROM payers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
    };
    Ok(found.is_some())
}

/// Whether the payer exists. Reads only its id, so it needs no key and a payer whose secrets
/// do not open still counts: a check for existence has no business opening credentials.
pub async fn exists(tx: &mut Tx, id: PayerId) -> StoreResult<bool> {
    let found: Option<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT id FROM payers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(conn)
    .await)?;
    Ok(found.is_some())
}

/// The payer's billing rules (the defaults when it has none), `None` when no payer has the id.
/// Reads only that column, so, like [`exists`], it needs no key.
pub async fn billing_rules(tx: &mut Tx, id: PayerId) -> StoreResult<Option<BillingRules>> {
    let found: Option<(Option<String>,)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT billing FROM payers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(conn)
    .await)?;
    let corrupt = |e: &dyn std::fmt::Display| StoreError::corrupt("payer billing rules", e);
    found
        .map(|(billing,)| match billing {
            None => Ok(BillingRules::default()),
            Some(text) => serde_json::from_str::<BillingRulesInput>(&text)
                .map_err(|e| corrupt(&e))?
                .parse()
                .map_err(|e| corrupt(&e)),
        })
        .transpose()
}

/// Every stored connection as it is kept (secrets sealed), by payer id.
async fn stored_connections(tx: &mut Tx) -> StoreResult<Vec<(String, ConnectionInput)>> {
    let rows: Vec<(String, String)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT id, connection FROM payers WHERE connection IS NOT NULL ORDER BY id"
    )
    .fetch_all(conn)
    .await)?;
    rows.into_iter()
        .map(|(id, text)| {
            let stored = serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt("payer connection", format!("payer {id}: {e}")))?;
            Ok((id, stored))
        })
        .collect()
}

/// Writes a connection back in its kept form. `updated_at` stays: the payer's data has not
/// changed, only how its secrets are kept.
async fn write_connection(tx: &mut Tx, id: &str, stored: &ConnectionInput) -> StoreResult<()> {
    let text =
        serde_json::to_string(stored).map_err(|e| StoreError::corrupt("payer connection", e))?;
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE payers SET connection = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(&text)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Seals the payer secrets still stored in the clear (databases from before they were sealed)
/// and returns how many it sealed. Idempotent: sealed values are left alone, so every start
/// runs it and all but the first seal nothing. The caller's transaction makes it all or none.
pub async fn seal_stored_secrets(tx: &mut Tx, key: &SecretKey) -> StoreResult<u64> {
    let mut sealed = 0;
    for (id, mut stored) in stored_connections(tx).await? {
        let count = seal_secrets(&id, &mut stored, key, |value| !is_sealed(value));
        if count > 0 {
            write_connection(tx, &id, &stored).await?;
            sealed += count;
        }
    }
    Ok(sealed)
}

/// Re-seals under `new` every payer secret sealed under `old`, and returns how many. A secret
/// that already opens with `new` is left alone, so running it again changes nothing. One that
/// opens with neither is an error naming the payer and the field (never the value); the caller
/// then drops its transaction, so a rotation is all or nothing.
pub async fn reseal_secrets(tx: &mut Tx, old: &SecretKey, new: &SecretKey) -> StoreResult<u64> {
    let mut resealed = 0;
    for (id, mut stored) in stored_connections(tx).await? {
        let count = reseal_connection(&id, &mut stored, old, new)?;
        if count > 0 {
            write_connection(tx, &id, &stored).await?;
            resealed += count;
        }
    }
    Ok(resealed)
}

/// Re-seals, in place, the secrets of one connection that open with `old` but not with `new`.
fn reseal_connection(
    payer_id: &str,
    stored: &mut ConnectionInput,
    old: &SecretKey,
    new: &SecretKey,
) -> StoreResult<u64> {
    let Some(credentials) = stored.credentials.as_mut() else {
        return Ok(0);
    };
    let mut resealed = 0;
    for (field, value) in secret_fields(credentials) {
        let Some(sealed) = value.as_deref() else {
            continue;
        };
        let context = context(payer_id, field);
        // The current key first: what it opens is done, whether by an earlier run or since.
        if new.unseal(sealed, &context).is_ok() {
            continue;
        }
        let opened = old.unseal(sealed, &context).map_err(|_| {
            StoreError::corrupt(
                "payer connection",
                format!(
                    "payer {payer_id}, credentials.{field}: opens with neither the old key nor \
                     the current one"
                ),
            )
        })?;
        *value = Some(new.seal(opened.expose_secret(), &context));
        resealed += 1;
    }
    Ok(resealed)
}

/// What [`forget_credentials`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgotten {
    /// No payer has this id.
    NoSuchPayer,
    /// The payer has no connection, so no credentials to forget.
    NoConnection,
    /// The payer's credentials are now `none`; the rest of its connection is as it was.
    Forgotten,
}

/// Sets the payer's stored credentials to `none`, keeping the rest of its connection (protocol,
/// endpoint, limits…). For a lost key: the secrets are dropped without being opened, which
/// makes the payer readable again so that its credentials can be entered anew.
pub async fn forget_credentials(tx: &mut Tx, id: PayerId) -> StoreResult<Forgotten> {
    let row: Option<Option<String>> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT connection FROM payers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(conn)
    .await)?;
    let Some(text) = row else {
        return Ok(Forgotten::NoSuchPayer);
    };
    let Some(text) = text else {
        return Ok(Forgotten::NoConnection);
    };
    let mut stored: ConnectionInput = serde_json::from_str(&text)
        .map_err(|e| StoreError::corrupt("payer connection", format!("payer {id}: {e}")))?;
    stored.credentials = Some(CredentialsInput {
        kind: Some("none".into()),
        ..CredentialsInput::default()
    });
    let text =
        serde_json::to_string(&stored).map_err(|e| StoreError::corrupt("payer connection", e))?;
    // Unlike a re-sealing, this changes what the payer holds, so `updated_at` moves.
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE payers SET connection = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(&text)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Forgotten::Forgotten)
}

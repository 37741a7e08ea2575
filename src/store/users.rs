//! Staff accounts and their roles.

use chrono::{DateTime, Utc};

use super::{now, page_of, with_tx, Db, Page, StoreError, StoreResult, Tx};
use crate::domain::ids::UserId;
use crate::domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Bumped by every password change (see [`Access::credentials_version`]).
    #[serde(skip)]
    pub credentials_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    username: String,
    password_hash: String,
    active: bool,
    credentials_version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, username, password_hash, active, credentials_version, created_at, updated_at";

async fn with_roles(tx: &mut Tx, row: UserRow) -> StoreResult<User> {
    let names: Vec<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role"
    )
    .bind(row.id)
    .fetch_all(conn)
    .await)?;
    let mut roles = names
        .iter()
        .map(|name| Role::parse(name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::corrupt("user role", e))?;
    roles.sort();
    Ok(User {
        id: row.id,
        username: row.username,
        password_hash: row.password_hash,
        roles,
        active: row.active,
        credentials_version: row.credentials_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn replace_roles(tx: &mut Tx, id: UserId, roles: &[Role]) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "DELETE FROM user_roles WHERE user_id = $1"
    )
    .bind(id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    for role in roles {
        with_tx!(tx, |conn| sqlx::query(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
        )
        .bind(id)
        .bind(role.as_str())
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut Tx,
    id: UserId,
    username: &str,
    password_hash: &str,
    roles: &[Role],
) -> StoreResult<User> {
    let at = now();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO users (id, username, password_hash, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)"
    )
    .bind(id)
    .bind(username)
    .bind(password_hash)
    .bind(true)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    replace_roles(tx, id, roles).await?;
    find(tx, id)
        .await?
        .ok_or_else(|| StoreError::corrupt("user", "vanished after insert"))
}

pub async fn find(tx: &mut Tx, id: UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    match row {
        Some(row) => Ok(Some(with_roles(tx, row).await?)),
        None => Ok(None),
    }
}

/// Whether an account may act now, and its roles: one query outside a transaction, because
/// every authenticated request asks it.
pub async fn access(db: &Db, id: UserId) -> StoreResult<Option<Access>> {
    let mut tx = db.read_each().await?;
    let rows: Vec<(bool, i64, Option<String>)> = with_tx!(&mut tx, |conn| sqlx::query_as(
        "SELECT u.active, u.credentials_version, r.role
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.id = $1"
    )
    .bind(id)
    .fetch_all(conn)
    .await)?;
    drop(tx);
    let Some((active, credentials_version, _)) = rows.first() else {
        return Ok(None);
    };
    let (active, credentials_version) = (*active, *credentials_version);
    let roles = rows
        .into_iter()
        .filter_map(|(_, _, role)| role)
        .map(|name| Role::parse(&name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::corrupt("user role", e))?;
    Ok(Some(Access {
        active,
        roles,
        credentials_version,
    }))
}

/// What [`access`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub active: bool,
    pub roles: Vec<Role>,
    /// Bumped by every password change; tokens carry the version they were issued under.
    pub credentials_version: i64,
}

pub async fn find_by_username(tx: &mut Tx, username: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    let row: Option<UserRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(username)
        .fetch_optional(conn)
        .await)?;
    match row {
        Some(row) => Ok(Some(with_roles(tx, row).await?)),
        None => Ok(None),
    }
}

pub async fn list(tx: &mut Tx, page: Page) -> StoreResult<(Vec<User>, i64)> {
    let (rows, total) = page_of!(tx, UserRow, COLUMNS, "FROM users", "username", page, []);
    let mut users = Vec::with_capacity(rows.len());
    for row in rows {
        users.push(with_roles(tx, row).await?);
    }
    Ok((users, total))
}

/// What an admin may change on an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

pub async fn update(tx: &mut Tx, id: UserId, changes: UserChanges) -> StoreResult<Option<User>> {
    let Some(current) = find(tx, id).await? else {
        return Ok(None);
    };
    let active = changes.active.unwrap_or(current.active);
    // A new password, even the same one set again, ends every token issued before it.
    let bump = i64::from(changes.password_hash.is_some());
    let hash = changes.password_hash.unwrap_or(current.password_hash);
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE users SET active = $2, password_hash = $3, updated_at = $4,
            credentials_version = credentials_version + $5
         WHERE id = $1"
    )
    .bind(id)
    .bind(active)
    .bind(&hash)
    .bind(now())
    .bind(bump)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if let Some(roles) = changes.roles {
        replace_roles(tx, id, &roles).await?;
    }
    find(tx, id).await
}

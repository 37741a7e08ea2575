//! Staff accounts (admin only).

use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::Value;

use super::context::Ctx;
use super::extract::{from_value, page, refuse_nulls, Body};
use super::{created, ok, unique_conflict, PageOf};
use crate::domain::ids::UserId;
use crate::domain::role::{parse_roles, Role};
use crate::domain::user::{guard_own_account, parse_password, Username};
use crate::domain::validation::Fields;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::users::{self, UserChanges};

const ADMIN: &[Role] = &[Role::Admin];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserInput {
    username: Option<String>,
    password: Option<String>,
    roles: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    roles: Option<Vec<String>>,
    active: Option<bool>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(ADMIN)?;
    let input: NewUserInput = body.json()?;
    let mut fields = Fields::new();
    let username = fields.required("username", input.username, Username::parse);
    let secret = fields.required("password", input.password, parse_password);
    let roles = fields.required("roles", input.roles, parse_roles);
    let (username, secret, roles) = fields.finish_with(|| Some((username?, secret?, roles?)))?;
    let hash = ctx
        .state()
        .hashing
        .hash(secret)
        .await
        .map_err(ApiError::internal)?;
    let mut tx = ctx.write().await?;
    let user = users::insert(&mut tx, UserId::new(), username.as_str(), &hash, &roles)
        .await
        .map_err(unique_conflict("username", "This username is taken."))?;
    tx.audit(Action::Create, "user", user.id);
    tx.commit().await?;
    Ok(created(&user))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(ADMIN)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read_each().await?;
    let (items, total) = users::list(&mut tx, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(ADMIN)?;
    let id: UserId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let user = users::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    tx.commit().await?;
    Ok(ok(&user))
}

pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(ADMIN)?;
    let id: UserId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, &["roles", "active", "password"])?;
    let patch: UserPatch = from_value(Value::Object(patch))?;
    let mut fields = Fields::new();
    let roles = fields.optional("roles", patch.roles, parse_roles);
    let secret = fields.optional("password", patch.password, parse_password);
    let (roles, secret) = fields.finish_with(|| Some((roles?, secret?)))?;
    let password_hash = match secret {
        Some(secret) => Some(
            ctx.state()
                .hashing
                .hash(secret)
                .await
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    if id.as_uuid() == ctx.staff.id {
        guard_own_account(patch.active, roles.as_deref())?;
    }
    let changes = UserChanges {
        roles,
        active: patch.active,
        password_hash,
    };
    let mut tx = ctx.write().await?;
    let user = users::update(&mut tx, id, changes)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    tx.audit(Action::Update, "user", id);
    tx.commit().await?;
    // Deactivation, role removal and a new password apply to the account's next request.
    ctx.state().accounts.forget(user.id.as_uuid());
    Ok(ok(&user))
}

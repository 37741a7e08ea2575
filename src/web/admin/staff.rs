//! Staff accounts: who may sign in and with which roles. An admin adds an account with a first
//! password, changes its roles or password, and deactivates it (the account's next request,
//! page or API call, is refused). Accounts are never deleted: the audit log names them.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use secrecy::SecretString;
use serde::Deserialize;

use super::ADMINS;
use crate::domain::ids::UserId;
use crate::domain::role::{parse_roles, Role};
use crate::domain::user::{guard_own_account, parse_password, Username};
use crate::store::audit::Action;
use crate::store::users::{self, User, UserChanges};
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

const HOME: &str = "/admin/staff";
/// A clinic has tens of staff, not thousands: one page holds them all.
const ALL: Rows = Rows {
    limit: 500,
    offset: 0,
};

/// The roles as the form's checkboxes name them, with what each lets its holder do.
const ROLES: [(Role, &str, &str); 3] = [
    (
        Role::Admin,
        "Admin",
        "staff accounts, payers, the clinic record, the audit log",
    ),
    (
        Role::Admissions,
        "Admissions",
        "clients, verifications, estimates",
    ),
    (
        Role::Billing,
        "Billing",
        "authorizations, attendance, claims; reads clients",
    ),
];

#[derive(Deserialize, Default)]
pub struct AccountFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    role_admin: Option<String>,
    role_admissions: Option<String>,
    role_billing: Option<String>,
}

impl AccountFields {
    fn roles(&self) -> Vec<String> {
        [
            (&self.role_admin, Role::Admin),
            (&self.role_admissions, Role::Admissions),
            (&self.role_billing, Role::Billing),
        ]
        .into_iter()
        .filter(|(checked, _)| checked.is_some())
        .map(|(_, role)| role.as_str().to_string())
        .collect()
    }

    fn has(&self, role: Role) -> bool {
        match role {
            Role::Admin => self.role_admin.is_some(),
            Role::Admissions => self.role_admissions.is_some(),
            Role::Billing => self.role_billing.is_some(),
        }
    }

    fn of(user: &User) -> AccountFields {
        let on = |role| user.roles.contains(&role).then(|| "on".to_string());
        AccountFields {
            username: user.username.clone(),
            password: String::new(),
            role_admin: on(Role::Admin),
            role_admissions: on(Role::Admissions),
            role_billing: on(Role::Billing),
        }
    }
}

/// `GET /admin/staff`: every account, and the form to add one.
pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let accounts = read_all(&page).await?;
    let content = list_screen(&page, &accounts, &AccountFields::default(), &Errors::none());
    Ok(page.render(HOME, "Staff accounts", content))
}

/// `POST /admin/staff`: adds an account.
pub async fn create(form: Form<AccountFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ADMINS)?;
    let mut errors = Errors::none();
    if let Some((username, secret, roles)) = parse_new(&fields, &mut errors) {
        let hash = hash(&page, secret).await?;
        let mut tx = page.ctx.write().await?;
        match users::insert(&mut tx, UserId::new(), username.as_str(), &hash, &roles).await {
            Ok(user) => {
                tx.audit(Action::Create, "user", user.id);
                tx.commit().await?;
                return Ok(see_other(&format!("{HOME}/{}", user.id)));
            }
            Err(error) if error.is_unique_violation() => {
                errors.push("username", "this username is taken");
            }
            Err(error) => return Err(error.into()),
        }
    }
    let accounts = read_all(&page).await?;
    let content = list_screen(&page, &accounts, &fields, &errors);
    Ok(page.render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        HOME,
        "Staff accounts",
        content,
    ))
}

/// `GET /admin/staff/{id}`: one account, its roles, password and standing.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let user = read_one(&page).await?;
    let content = account_screen(&page, &user, &AccountFields::of(&user), &Errors::none());
    Ok(page.render(HOME, &user.username, content))
}

/// `POST /admin/staff/{id}`: new roles and, when typed, a new password.
pub async fn update(form: Form<AccountFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ADMINS)?;
    let id: UserId = page.ctx.path("id")?;
    let mut errors = Errors::none();
    let roles = parse_roles(fields.roles())
        .map_err(|message| errors.push("roles", message))
        .ok();
    let secret = match fields.password.as_str() {
        "" => Some(None),
        typed => parse_password(typed.to_string())
            .map(Some)
            .map_err(|message| errors.push("password", message))
            .ok(),
    };
    if let Some(roles) = &roles {
        if id.as_uuid() == page.ctx.staff.id {
            if let Err(invalid) = guard_own_account(None, Some(roles)) {
                errors.absorb(None, invalid);
            }
        }
    }
    if let (Some(roles), Some(secret), true) = (roles, secret, errors.is_empty()) {
        let password_hash = match secret {
            Some(secret) => Some(hash(&page, secret).await?),
            None => None,
        };
        let changes = UserChanges {
            roles: Some(roles),
            active: None,
            password_hash,
        };
        change(&page, id, changes).await?;
        return Ok(see_other(&format!("{HOME}/{id}")));
    }
    let user = read_one(&page).await?;
    let content = account_screen(&page, &user, &fields, &errors);
    Ok(page.render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        HOME,
        &user.username,
        content,
    ))
}

#[derive(Deserialize)]
pub struct StandingFields {
    #[serde(default)]
    active: String,
}

/// `POST /admin/staff/{id}/standing`: deactivates or reactivates the account.
pub async fn standing(form: Form<StandingFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ADMINS)?;
    let id: UserId = page.ctx.path("id")?;
    let active = match fields.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(WebError::BadRequest("active must be true or false".into())),
    };
    if id.as_uuid() == page.ctx.staff.id {
        if let Err(invalid) = guard_own_account(Some(active), None) {
            let user = read_one(&page).await?;
            let errors = Errors::from(invalid);
            let content = account_screen(&page, &user, &AccountFields::of(&user), &errors);
            return Ok(page.render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                HOME,
                &user.username,
                content,
            ));
        }
    }
    let changes = UserChanges {
        active: Some(active),
        ..UserChanges::default()
    };
    change(&page, id, changes).await?;
    Ok(see_other(&format!("{HOME}/{id}")))
}

fn parse_new(
    fields: &AccountFields,
    errors: &mut Errors,
) -> Option<(Username, SecretString, Vec<Role>)> {
    let username = Username::parse(fields.username.trim().to_string())
        .map_err(|message| errors.push("username", message))
        .ok();
    let secret = parse_password(fields.password.clone())
        .map_err(|message| errors.push("password", message))
        .ok();
    let roles = parse_roles(fields.roles())
        .map_err(|message| errors.push("roles", message))
        .ok();
    Some((username?, secret?, roles?))
}

async fn hash(page: &Page, secret: SecretString) -> Result<String, WebError> {
    page.ctx
        .state()
        .hashing
        .hash(secret)
        .await
        .map_err(WebError::internal)
}

async fn change(page: &Page, id: UserId, changes: UserChanges) -> Result<(), WebError> {
    let mut tx = page.ctx.write().await?;
    let user = users::update(&mut tx, id, changes)
        .await?
        .ok_or(WebError::NotFound("staff account"))?;
    tx.audit(Action::Update, "user", id);
    tx.commit().await?;
    // Deactivation, role removal and a new password apply to the account's next request.
    page.ctx.state().accounts.forget(user.id.as_uuid());
    Ok(())
}

async fn read_all(page: &Page) -> Result<Vec<User>, WebError> {
    let mut tx = page.ctx.read_each().await?;
    let (accounts, _) = users::list(&mut tx, ALL).await?;
    tx.commit().await?;
    Ok(accounts)
}

async fn read_one(page: &Page) -> Result<User, WebError> {
    let id: UserId = page.ctx.path("id")?;
    let mut tx = page.ctx.read_each().await?;
    let user = users::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("staff account"))?;
    tx.commit().await?;
    Ok(user)
}

fn role_words(roles: &[Role]) -> String {
    ROLES
        .iter()
        .filter(|(role, ..)| roles.contains(role))
        .map(|(_, label, _)| *label)
        .collect::<Vec<_>>()
        .join(", ")
}

fn standing_chip(active: bool) -> Markup {
    html! {
        @if active { span.chip.ok { "Active" } } @else { span.chip.bad { "Deactivated" } }
    }
}

fn role_choices(fields: &AccountFields, errors: &Errors) -> Markup {
    html! {
        fieldset {
            legend { "Roles" }
            div.choices {
                @for (role, label, what) in ROLES {
                    @let name = format!("role_{}", role.as_str());
                    label {
                        input type="checkbox" name=(name) value="on" checked[fields.has(role)];
                        (label) span.muted { " — " (what) }
                    }
                }
            }
            @if let Some(error) = errors.of("roles") { span.field-error { (error) } }
        }
    }
}

fn list_screen(page: &Page, accounts: &[User], fields: &AccountFields, errors: &Errors) -> Markup {
    html! {
        h1 { "Staff accounts" }
        p.lede { "Who may sign in, and what each may open." }
        div.table-wrap {
            table {
                thead { tr { th { "Username" } th { "Roles" } th { "Standing" } th { "Since" } th { span.sr-only { "Open" } } } }
                tbody {
                    @for user in accounts {
                        tr {
                            td { (user.username) }
                            td { (role_words(&user.roles)) }
                            td { (standing_chip(user.active)) }
                            td { (format::date(user.created_at.date_naive())) }
                            td { a href={ (HOME) "/" (user.id) } { "Change" span.sr-only { " " (user.username) } } }
                        }
                    }
                }
            }
        }
        div.card {
            h2 id="add" { "Add a staff member" }
            (fields::summary(errors))
            form.stack method="post" action=(HOME) {
                (page.csrf_field())
                div.fields {
                    (fields::text("username", "Username", &fields.username, errors, Input {
                        required: true, autocomplete: Some("off"),
                        hint: Some("lower-case letters, digits, '.', '_' or '-'"), ..Input::default() }))
                    (fields::text("password", "First password", "", errors, Input {
                        kind: Some("password"), required: true, autocomplete: Some("new-password"),
                        hint: Some("12 characters or more; give it to them in person"), ..Input::default() }))
                }
                (role_choices(fields, errors))
                div.actions { button type="submit" { "Add the account" } }
            }
        }
    }
}

fn account_screen(page: &Page, user: &User, fields: &AccountFields, errors: &Errors) -> Markup {
    let own = user.id.as_uuid() == page.ctx.staff.id;
    html! {
        p { a href=(HOME) { "← All staff accounts" } }
        h1 { (user.username) " " (standing_chip(user.active)) }
        (fields::summary(errors))
        @if let Some(error) = errors.of("active") { p.notice.bad role="alert" { (error) } }
        div.grid-2 {
            div.card {
                h2 { "Roles and password" }
                form.stack method="post" action={ (HOME) "/" (user.id) } {
                    (page.csrf_field())
                    (role_choices(fields, errors))
                    (fields::text("password", "New password", "", errors, Input {
                        kind: Some("password"), optional: true, autocomplete: Some("new-password"),
                        hint: Some("leave empty to keep the current one; a new one signs them out everywhere"),
                        ..Input::default() }))
                    div.actions { button type="submit" { "Save changes" } }
                }
            }
            div.card {
                h2 { "Standing" }
                dl.facts {
                    dt { "Account added" } dd { (format::date_time(user.created_at)) }
                    dt { "Last changed" } dd { (format::date_time(user.updated_at)) }
                }
                @if own {
                    p.muted { "This is your own account: another admin can deactivate it." }
                } @else if user.active {
                    form method="post" action={ (HOME) "/" (user.id) "/standing" }
                        data-confirm={ "Deactivate " (user.username) "? They are signed out at once." } {
                        (page.csrf_field())
                        input type="hidden" name="active" value="false";
                        p { "A deactivated account cannot sign in or use the API; its history stays." }
                        button.danger type="submit" { "Deactivate " (user.username) }
                    }
                } @else {
                    form method="post" action={ (HOME) "/" (user.id) "/standing" } {
                        (page.csrf_field())
                        input type="hidden" name="active" value="true";
                        button type="submit" { "Reactivate " (user.username) }
                    }
                }
            }
        }
    }
}

//! `GET /`: the start page, the signed-in staff member's screens.

use actix_web::HttpResponse;
use maud::html;

use super::error::WebError;
use super::layout::menu_for;
use super::page::Page;

pub async fn home(page: Page) -> Result<HttpResponse, WebError> {
    let items = menu_for(&page.ctx.staff.roles);
    let content = html! {
        h1 { "Welcome, " (page.username) }
        @if items.is_empty() {
            p.notice { "Your account has no screens yet. An administrator can add a role to it." }
        } @else {
            p.lede { "Your screens:" }
            ul {
                @for item in items {
                    li { a href=(item.href) { (item.label) } }
                }
            }
        }
    };
    Ok(page.render("/", "Start", content))
}

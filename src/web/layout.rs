//! The page shell every screen shares: skip link, the top bar with the role's menus and the
//! sign-out button, then the page's own content. Pages never write `<html>` themselves.
//!
//! Adding a screen to the menus is one line of [`MENU`]: the label, where it goes, which menu
//! it sits in and the roles that see it (the same roles the page itself requires).

use maud::{html, Markup, DOCTYPE};

use super::assets;
use super::csrf;
use crate::domain::role::Role;

/// A menu of the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Admissions,
    Billing,
    Admin,
}

impl Menu {
    fn label(self) -> &'static str {
        match self {
            Menu::Admissions => "Admissions",
            Menu::Billing => "Billing",
            Menu::Admin => "Admin",
        }
    }
}

pub struct MenuItem {
    pub menu: Menu,
    pub label: &'static str,
    pub href: &'static str,
    pub roles: &'static [Role],
}

/// Every screen reachable from the top bar, in menu order.
pub const MENU: &[MenuItem] = &[
    MenuItem {
        menu: Menu::Admissions,
        label: "Verify benefits",
        href: super::admissions::HOME,
        roles: super::admissions::READERS,
    },
    MenuItem {
        menu: Menu::Admissions,
        label: "Tomorrow's assessments",
        href: super::admissions::batch::HOME,
        roles: super::admissions::ASKERS,
    },
    MenuItem {
        menu: Menu::Billing,
        label: "Billing desk",
        href: super::billing::HOME,
        roles: super::billing::BILLING,
    },
    MenuItem {
        menu: Menu::Billing,
        label: "Claims",
        href: "/billing/claims",
        roles: super::billing::BILLING,
    },
    MenuItem {
        menu: Menu::Admin,
        label: "Clinic",
        href: "/admin/clinic",
        roles: super::admin::ADMINS,
    },
    MenuItem {
        menu: Menu::Admin,
        label: "Staff",
        href: "/admin/staff",
        roles: super::admin::ADMINS,
    },
    MenuItem {
        menu: Menu::Admin,
        label: "Payers",
        href: "/admin/payers",
        roles: super::admin::ADMINS,
    },
    MenuItem {
        menu: Menu::Admin,
        label: "Audit log",
        href: "/admin/audit",
        roles: super::admin::ADMINS,
    },
];

/// The menu items `roles` may open.
pub fn menu_for(roles: &[Role]) -> Vec<&'static MenuItem> {
    MENU.iter()
        .filter(|item| item.roles.iter().any(|role| roles.contains(role)))
        .collect()
}

/// Who is signed in, as the shell shows them.
pub struct Chrome<'a> {
    pub username: &'a str,
    pub roles: &'a [Role],
    pub csrf_token: &'a str,
    /// The path of the current page's menu item, marked `aria-current`.
    pub current: &'a str,
}

/// A full page for a signed-in staff member.
pub fn page(chrome: &Chrome<'_>, title: &str, content: Markup) -> Markup {
    let items = menu_for(chrome.roles);
    let menus: Vec<Menu> = [Menu::Admissions, Menu::Billing, Menu::Admin]
        .into_iter()
        .filter(|menu| items.iter().any(|item| item.menu == *menu))
        .collect();
    document(
        title,
        html! {
            header.topbar {
                a.brand href="/" { "perdiem" }
                nav aria-label="Main" {
                    ul.nav {
                        @for menu in &menus {
                            li.nav-group {
                                span.nav-group-name { (menu.label()) }
                                @for item in items.iter().filter(|item| item.menu == *menu) {
                                    @if item.href == chrome.current {
                                        a href=(item.href) aria-current="page" { (item.label) }
                                    } @else {
                                        a href=(item.href) { (item.label) }
                                    }
                                }
                            }
                        }
                    }
                }
                div.who {
                    span { "Signed in as " strong { (chrome.username) } }
                    form method="post" action="/signout" {
                        (csrf_field(chrome.csrf_token))
                        button.link-button type="submit" { "Sign out" }
                    }
                }
            }
            main id="main" tabindex="-1" { (content) }
        },
    )
}

/// A page outside the signed-in shell (sign-in, error pages).
pub fn bare(title: &str, content: Markup) -> Markup {
    document(
        title,
        html! {
            header.topbar { a.brand href="/" { "perdiem" } }
            main id="main" tabindex="-1" { (content) }
        },
    )
}

fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · perdiem" }
                link rel="stylesheet" href=(assets::url("app.css"));
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to main content" }
                (body)
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(token); }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(roles: &[Role]) -> Vec<&'static str> {
        menu_for(roles).iter().map(|item| item.label).collect()
    }

    #[test]
    fn each_role_sees_its_own_menus() {
        assert_eq!(
            labels(&[Role::Admissions]),
            ["Verify benefits", "Tomorrow's assessments"]
        );
        assert_eq!(
            labels(&[Role::Admin]),
            ["Clinic", "Staff", "Payers", "Audit log"]
        );
        assert!(!labels(&[Role::Billing]).contains(&"Clinic"));
        assert!(labels(&[Role::Billing]).contains(&"Verify benefits"));
        assert!(!labels(&[Role::Billing]).contains(&"Tomorrow's assessments"));
        assert_eq!(
            labels(&[Role::Admin, Role::Admissions]),
            [
                "Verify benefits",
                "Tomorrow's assessments",
                "Clinic",
                "Staff",
                "Payers",
                "Audit log"
            ]
        );
        assert!(labels(&[]).is_empty());
    }

    #[test]
    fn the_shell_has_a_skip_link_the_menu_and_a_sign_out_form_with_its_token() {
        let chrome = Chrome {
            username: "admissions",
            roles: &[Role::Admin],
            csrf_token: "tok123",
            current: "/admin/clinic",
        };
        let html = page(&chrome, "Clinic", html! { p { "hello" } }).into_string();
        assert!(html.contains(r##"href="#main""##), "{html}");
        assert!(html.contains(r#"<a href="/admin/clinic" aria-current="page">Clinic</a>"#));
        assert!(html.contains(r#"name="csrf_token" value="tok123""#));
        assert!(!html.contains("style="), "no inline style under the CSP");
        assert!(!html.contains("<script>"), "no inline script under the CSP");
    }
}

//! The staff web app in real Chromium (see `browser`).

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_signed_out_visit_lands_on_sign_in_and_signing_in_returns_to_the_page() {
    let app = spawn_app().await;
    let Some(mut browser) = Browser::start(&app, "signin").await else {
        return;
    };
    browser.visit("/admin/clinic").await;
    assert_eq!(browser.path().await, "/signin");
    assert!(browser.text().await.contains("Please sign in to continue."));
    browser.screen("signin").await;
    browser.fill("#username", "admin").await;
    browser.fill("#password", "not-the-password").await;
    browser.submit("button[type=submit]").await;
    assert!(browser
        .text_of("#signin-error")
        .await
        .contains("The username or password is wrong."));
    browser.screen("signin-refused").await;
    browser.sign_in("admin").await;
    assert_eq!(browser.path().await, "/admin/clinic");
    assert!(browser.text_of("h1").await.contains("Clinic"));
    browser.screen("clinic").await;
    browser.submit(".who button[type=submit]").await;
    assert_eq!(browser.path().await, "/signin");
    browser.close().await;
}

//! A browser stand-in for the web app's tests without a browser: keeps the session cookie,
//! never follows redirects (they are asserted), and reads the CSRF token out of the pages.

use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;

use crate::helpers::{TestApp, PASSWORD};

pub struct WebPage {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl WebPage {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first field named `name` on the page (a hidden one, say).
    pub fn field(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} on the page"))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_string()
    }

    /// The value of the first hidden CSRF field on the page.
    pub fn csrf_token(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let at = self.body.find(marker).expect("a CSRF field on the page") + marker.len();
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

pub struct Visitor<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
    pub cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor {
            app,
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    /// A visitor signed in as `username` (one of the test app's staff).
    pub async fn signed_in(app: &'a TestApp, username: &str) -> Visitor<'a> {
        let mut visitor = Visitor::new(app);
        let reply = visitor
            .post("/signin", &[("username", username), ("password", PASSWORD)])
            .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        visitor
    }

    pub async fn get(&mut self, path: &str) -> WebPage {
        let mut request = self.http.get(format!("{}{path}", self.app.address));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        self.read(request.send().await.unwrap()).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> WebPage {
        self.post_with(path, fields, &[]).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> WebPage {
        let mut request = self
            .http
            .post(format!("{}{path}", self.app.address))
            .form(fields);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.read(request.send().await.unwrap()).await
    }

    async fn read(&mut self, response: reqwest::Response) -> WebPage {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(set) = headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let body = response.text().await.unwrap();
        WebPage {
            status,
            headers,
            body,
        }
    }
}

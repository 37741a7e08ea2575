//! The HTTP client every adapter shares: built once, with timeouts and a user agent, and the
//! credentials of each payer applied per request (OAuth2 tokens are fetched and cached).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::RequestBuilder;
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use super::PayerError;
use crate::domain::payer::{Connection, Credentials};

#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    tokens: Arc<Mutex<HashMap<String, (String, Instant)>>>,
}

impl Transport {
    pub fn new() -> anyhow::Result<Transport> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("perdiem/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Transport {
            http,
            tokens: Arc::default(),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A POST to the payer's endpoint with its timeout and credentials.
    pub async fn post(&self, connection: &Connection) -> Result<RequestBuilder, PayerError> {
        let builder = self
            .http
            .post(&connection.endpoint_url)
            .timeout(Duration::from_secs(u64::from(connection.timeout_seconds)));
        self.authorize(builder, connection).await
    }

    /// A POST like [`Transport::post`] for a message that carries basic credentials itself (a
    /// SOAP envelope's WS-Security UsernameToken): they are not repeated in an `Authorization`
    /// header. Token credentials still go in the header, the one place a SOAP payer reads them.
    pub async fn post_with_basic_in_message(
        &self,
        connection: &Connection,
    ) -> Result<RequestBuilder, PayerError> {
        let builder = self
            .http
            .post(&connection.endpoint_url)
            .timeout(Duration::from_secs(u64::from(connection.timeout_seconds)));
        match connection.credentials {
            Credentials::Basic { .. } => Ok(builder),
            _ => self.authorize(builder, connection).await,
        }
    }

    async fn authorize(
        &self,
        builder: RequestBuilder,
        connection: &Connection,
    ) -> Result<RequestBuilder, PayerError> {
        Ok(match &connection.credentials {
            Credentials::None => builder,
            Credentials::Basic { username, password } => {
                builder.basic_auth(username, Some(password.expose_secret()))
            }
            Credentials::Bearer { token } => builder.bearer_auth(token.expose_secret()),
            Credentials::OAuth2ClientCredentials { .. } => {
                let token = self.oauth2_token(connection).await?;
                builder.bearer_auth(token)
            }
        })
    }

    /// RFC 6749 §4.4 client credentials; the token is reused until a minute before it expires.
    async fn oauth2_token(&self, connection: &Connection) -> Result<String, PayerError> {
        let Credentials::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } = &connection.credentials
        else {
            return Err(PayerError::Auth("not OAuth2 credentials".into()));
        };
        let key = format!("{token_url} {client_id}");
        let mut tokens = self.tokens.lock().await;
        if let Some((token, until)) = tokens.get(&key) {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if let Some(scope) = scope {
            form.push(("scope", scope.clone()));
        }
        let response = self
            .http
            .post(token_url)
            .basic_auth(client_id, Some(client_secret.expose_secret()))
            .form(&form)
            .timeout(Duration::from_secs(u64::from(connection.timeout_seconds)))
            .send()
            .await
            .map_err(|e| PayerError::Auth(format!("token request failed: {}", short(&e))))?;
        if !response.status().is_success() {
            return Err(PayerError::Auth(format!(
                "token endpoint answered HTTP {}",
                response.status().as_u16()
            )));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|_| PayerError::Auth("token endpoint answered no JSON".into()))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| PayerError::Auth("no access_token in the token response".into()))?
            .to_string();
        let lifetime = body["expires_in"]
            .as_u64()
            .unwrap_or(300)
            .saturating_sub(60);
        tokens.insert(
            key,
            (
                token.clone(),
                Instant::now() + Duration::from_secs(lifetime),
            ),
        );
        Ok(token)
    }
}

/// A transport error as a [`PayerError`].
pub fn classify(error: &reqwest::Error, timeout_seconds: u32) -> PayerError {
    if error.is_timeout() {
        PayerError::Timeout(timeout_seconds)
    } else if error.is_connect() {
        PayerError::Connect(short(error))
    } else if let Some(status) = error.status() {
        PayerError::HttpStatus(status.as_u16())
    } else {
        PayerError::Connect(short(error))
    }
}

/// The error without the URL's query (which could carry identifiers).
fn short(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(at) = text.find('?') {
        text.truncate(at);
    }
    text
}

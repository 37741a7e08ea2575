//! A payer: an insurer or plan administrator the clinic verifies benefits with and bills, and
//! how to reach it.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use super::eligibility::{service_types, LevelOfCare, Program};
use super::patterns::{matching, EDI_PAYER_ID_RE, PARTNER_ID_RE, SERVICE_TYPE_CODE_RE};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// The payer's EDI id (2100A NM109, qualifier PI), as the clearinghouse lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EdiPayerId(String);

impl EdiPayerId {
    pub fn parse(raw: String) -> Result<EdiPayerId, String> {
        matching(raw, &EDI_PAYER_ID_RE, "must be 2 to 80 letters or digits").map(EdiPayerId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the payer is reached for eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// X12 270/271 over the CAQH CORE connectivity rule (multipart or SOAP, see
    /// [`CoreEnvelope`]).
    X12,
    /// The JSON eligibility shape of the clearinghouses.
    Json,
    /// FHIR R4 CoverageEligibilityRequest/Response.
    Fhir,
}

impl Protocol {
    fn parse(raw: String) -> Result<Protocol, String> {
        match raw.as_str() {
            "x12" => Ok(Protocol::X12),
            "json" => Ok(Protocol::Json),
            "fhir" => Ok(Protocol::Fhir),
            _ => Err("must be x12, json or fhir".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::X12 => "x12",
            Protocol::Json => "json",
            Protocol::Fhir => "fhir",
        }
    }
}

/// How an X12 payer's 270 and 271 travel over HTTP: the CAQH CORE connectivity rule (vC2.2.0)
/// allows two envelopes, and a payer speaks only the one it chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreEnvelope {
    /// HTTP MIME multipart: one form field per envelope element.
    #[default]
    Multipart,
    /// SOAP 1.2 with the rule's WSDL; basic credentials ride in a WS-Security UsernameToken.
    Soap,
}

impl CoreEnvelope {
    fn parse(raw: String) -> Result<CoreEnvelope, String> {
        match raw.as_str() {
            "multipart" => Ok(CoreEnvelope::Multipart),
            "soap" => Ok(CoreEnvelope::Soap),
            _ => Err("must be multipart or soap".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CoreEnvelope::Multipart => "multipart",
            CoreEnvelope::Soap => "soap",
        }
    }
}

/// Credentials for the payer's endpoint. Secrets are kept, never shown: serialising a
/// `Credentials` (as the API does) says only whether each secret is set.
#[derive(Debug, Clone)]
pub enum Credentials {
    None,
    Basic {
        username: String,
        password: SecretString,
    },
    Bearer {
        token: SecretString,
    },
    OAuth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: SecretString,
        scope: Option<String>,
    },
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Credentials) -> bool {
        CredentialsInput::from(self) == CredentialsInput::from(other)
    }
}

impl Eq for Credentials {}

impl Serialize for Credentials {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            kind: &'a str,
            username: Option<&'a str>,
            token_url: Option<&'a str>,
            client_id: Option<&'a str>,
            scope: Option<&'a str>,
            secret_set: bool,
        }
        let shown = match self {
            Credentials::None => Shown {
                kind: "none",
                username: None,
                token_url: None,
                client_id: None,
                scope: None,
                secret_set: false,
            },
            Credentials::Basic { username, .. } => Shown {
                kind: "basic",
                username: Some(username),
                token_url: None,
                client_id: None,
                scope: None,
                secret_set: true,
            },
            Credentials::Bearer { .. } => Shown {
                kind: "bearer",
                username: None,
                token_url: None,
                client_id: None,
                scope: None,
                secret_set: true,
            },
            Credentials::OAuth2ClientCredentials {
                token_url,
                client_id,
                scope,
                ..
            } => Shown {
                kind: "oauth2_client_credentials",
                username: None,
                token_url: Some(token_url),
                client_id: Some(client_id),
                scope: scope.as_deref(),
                secret_set: true,
            },
        };
        shown.serialize(serializer)
    }
}

/// Credentials as they arrive (and as they are stored, secrets included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsInput {
    pub kind: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
}

impl From<&Credentials> for CredentialsInput {
    fn from(credentials: &Credentials) -> CredentialsInput {
        let secret = |s: &SecretString| Some(s.expose_secret().to_string());
        match credentials {
            Credentials::None => CredentialsInput {
                kind: Some("none".into()),
                ..CredentialsInput::default()
            },
            Credentials::Basic { username, password } => CredentialsInput {
                kind: Some("basic".into()),
                username: Some(username.clone()),
                password: secret(password),
                ..CredentialsInput::default()
            },
            Credentials::Bearer { token } => CredentialsInput {
                kind: Some("bearer".into()),
                token: secret(token),
                ..CredentialsInput::default()
            },
            Credentials::OAuth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => CredentialsInput {
                kind: Some("oauth2_client_credentials".into()),
                token_url: Some(token_url.clone()),
                client_id: Some(client_id.clone()),
                client_secret: secret(client_secret),
                scope: scope.clone(),
                ..CredentialsInput::default()
            },
        }
    }
}

fn parse_url(raw: String) -> Result<String, String> {
    let ok = (raw.starts_with("http://") || raw.starts_with("https://"))
        && raw.len() <= 2048
        && reqwest::Url::parse(&raw).is_ok();
    if ok {
        Ok(raw)
    } else {
        Err("must be an http:// or https:// URL".into())
    }
}

fn non_empty(raw: String) -> Result<String, String> {
    if raw.trim().is_empty() || raw.len() > 1024 {
        Err("must be 1 to 1024 characters".into())
    } else {
        Ok(raw)
    }
}

impl CredentialsInput {
    fn parse(self) -> Result<Credentials, Invalid> {
        let mut fields = Fields::new();
        let kind = fields.required("kind", self.kind.clone(), Ok);
        // The fields each kind uses; any other one sent is refused rather than silently kept.
        let used: &[&str] = match kind.as_deref() {
            Some("none") => &[],
            Some("basic") => &["username", "password"],
            Some("bearer") => &["token"],
            Some("oauth2_client_credentials") => {
                &["token_url", "client_id", "client_secret", "scope"]
            }
            Some(_) => {
                fields.push(
                    "kind",
                    "must be none, basic, bearer or oauth2_client_credentials",
                );
                return Err(fields
                    .finish()
                    .err()
                    .unwrap_or_else(|| Invalid::one("kind", "is not valid")));
            }
            None => {
                return Err(fields
                    .finish()
                    .err()
                    .unwrap_or_else(|| Invalid::one("kind", "is required")))
            }
        };
        let sent = [
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("token", self.token.is_some()),
            ("token_url", self.token_url.is_some()),
            ("client_id", self.client_id.is_some()),
            ("client_secret", self.client_secret.is_some()),
            ("scope", self.scope.is_some()),
        ];
        for (name, present) in sent {
            if present && !used.contains(&name) {
                fields.push(name, "does not apply to this kind of credentials");
            }
        }
        let secret = |raw: String| non_empty(raw).map(SecretString::from);
        let credentials = match kind.as_deref() {
            Some("basic") => {
                let username = fields.required("username", self.username, non_empty);
                let password = fields.required("password", self.password, secret);
                username
                    .zip(password)
                    .map(|(username, password)| Credentials::Basic { username, password })
            }
            Some("bearer") => fields
                .required("token", self.token, secret)
                .map(|token| Credentials::Bearer { token }),
            Some("oauth2_client_credentials") => {
                let token_url = fields.required("token_url", self.token_url, parse_url);
                let client_id = fields.required("client_id", self.client_id, non_empty);
                let client_secret = fields.required("client_secret", self.client_secret, secret);
                let scope = fields.optional("scope", self.scope, non_empty);
                match (token_url, client_id, client_secret, scope) {
                    (Some(token_url), Some(client_id), Some(client_secret), Some(scope)) => {
                        Some(Credentials::OAuth2ClientCredentials {
                            token_url,
                            client_id,
                            client_secret,
                            scope,
                        })
                    }
                    _ => None,
                }
            }
            _ => Some(Credentials::None),
        };
        fields.finish_with(|| credentials)
    }
}

/// The payer's eligibility connection. Absent until an admin configures it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub protocol: Protocol,
    pub endpoint_url: String,
    pub credentials: Credentials,
    /// Seconds to wait for an answer (CORE: answer within 20 s, hold 60 s).
    pub timeout_seconds: u32,
    /// Inquiries in flight at once to this payer.
    pub max_concurrent: u32,
    /// Service type codes per request (many payers answer only the first).
    pub service_types_per_request: u32,
    /// The service types the payer answers; `None` means it is sent every code asked for.
    pub service_types: Option<Vec<String>>,
    /// Trading-partner ids for the CORE envelope and the ISA (ISA06/ISA08).
    pub sender_id: Option<String>,
    pub receiver_id: Option<String>,
    /// The CORE envelope of an X12 payer; `None` for the other protocols, which have none.
    pub envelope: Option<CoreEnvelope>,
}

impl Connection {
    /// The codes to ask this payer for a level of care and program, `30` first (payers must
    /// answer it), the rest in order of specificity; the payer's own list filters them.
    pub fn codes_for(&self, levels: &[LevelOfCare], program: Program) -> Vec<String> {
        let mut codes: Vec<String> = vec!["30".to_string()];
        for level in levels {
            for code in service_types(*level, program) {
                if !codes.iter().any(|c| c == code) {
                    codes.push(code.to_string());
                }
            }
        }
        if let Some(answered) = &self.service_types {
            codes.retain(|c| answered.contains(c));
        }
        codes
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub protocol: Option<String>,
    pub endpoint_url: Option<String>,
    pub credentials: Option<CredentialsInput>,
    pub timeout_seconds: Option<i64>,
    pub max_concurrent: Option<i64>,
    pub service_types_per_request: Option<i64>,
    pub service_types: Option<Vec<String>>,
    pub sender_id: Option<String>,
    pub receiver_id: Option<String>,
    pub envelope: Option<String>,
}

fn bounded(min: i64, max: i64) -> impl Fn(i64) -> Result<u32, String> {
    move |n| {
        if (min..=max).contains(&n) {
            u32::try_from(n).map_err(|_| format!("must be {min} to {max}"))
        } else {
            Err(format!("must be {min} to {max}"))
        }
    }
}

fn parse_codes(codes: Vec<String>) -> Result<Vec<String>, String> {
    let valid = |c: &String| SERVICE_TYPE_CODE_RE.is_match(c);
    if codes.is_empty() || !codes.iter().all(valid) {
        return Err("must list one or more service type codes (1 or 2 letters or digits)".into());
    }
    Ok(codes)
}

impl ConnectionInput {
    fn parse(self) -> Result<Connection, Invalid> {
        let mut fields = Fields::new();
        let protocol = fields.required("protocol", self.protocol, Protocol::parse);
        let endpoint_url = fields.required("endpoint_url", self.endpoint_url, parse_url);
        let credentials = match self.credentials.map(CredentialsInput::parse) {
            None => Some(Credentials::None),
            Some(Ok(credentials)) => Some(credentials),
            Some(Err(invalid)) => {
                fields.absorb_under("credentials", invalid);
                None
            }
        };
        let timeout = self.timeout_seconds.unwrap_or(30);
        let timeout_seconds = fields.check("timeout_seconds", bounded(1, 120)(timeout));
        let concurrent = self.max_concurrent.unwrap_or(4);
        let max_concurrent = fields.check("max_concurrent", bounded(1, 1000)(concurrent));
        let per_request = self.service_types_per_request.unwrap_or(1);
        let service_types_per_request =
            fields.check("service_types_per_request", bounded(1, 99)(per_request));
        let service_types = fields.optional("service_types", self.service_types, parse_codes);
        let partner = |raw: String| {
            matching(
                raw,
                &PARTNER_ID_RE,
                "must be 1 to 15 letters, digits or spaces inside",
            )
        };
        let sender_id = fields.optional("sender_id", self.sender_id, partner);
        let receiver_id = fields.optional("receiver_id", self.receiver_id, partner);
        let envelope = match (protocol, self.envelope) {
            (Some(Protocol::X12), raw) => fields
                .optional("envelope", raw, CoreEnvelope::parse)
                .map(|envelope| Some(envelope.unwrap_or_default())),
            (_, None) => Some(None),
            (Some(_), Some(_)) => {
                fields.push("envelope", "applies only to the x12 protocol");
                None
            }
            // The protocol is already refused; the envelope cannot be judged without it.
            (None, Some(_)) => None,
        };
        fields.finish_with(|| {
            let (
                protocol,
                endpoint_url,
                credentials,
                timeout_seconds,
                max_concurrent,
                service_types_per_request,
                service_types,
                sender_id,
                receiver_id,
                envelope,
            ) = (
                protocol?,
                endpoint_url?,
                credentials?,
                timeout_seconds?,
                max_concurrent?,
                service_types_per_request?,
                service_types?,
                sender_id?,
                receiver_id?,
                envelope?,
            );
            Some(Connection {
                protocol,
                endpoint_url,
                credentials,
                timeout_seconds,
                max_concurrent,
                service_types_per_request,
                service_types,
                sender_id,
                receiver_id,
                envelope,
            })
        })
    }
}

impl From<&Connection> for ConnectionInput {
    fn from(c: &Connection) -> ConnectionInput {
        ConnectionInput {
            protocol: Some(c.protocol.as_str().to_string()),
            endpoint_url: Some(c.endpoint_url.clone()),
            credentials: Some(CredentialsInput::from(&c.credentials)),
            timeout_seconds: Some(i64::from(c.timeout_seconds)),
            max_concurrent: Some(i64::from(c.max_concurrent)),
            service_types_per_request: Some(i64::from(c.service_types_per_request)),
            service_types: c.service_types.clone(),
            sender_id: c.sender_id.clone(),
            receiver_id: c.receiver_id.clone(),
            envelope: c.envelope.map(|e| e.as_str().to_string()),
        }
    }
}

/// How the payer decides that an attended day is billable, where it departs from the clinic's
/// configured defaults (`[billing]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BillingRules {
    /// Minimum minutes of an IOP day; `None` keeps the configured default.
    pub iop_minimum_minutes: Option<u32>,
    /// Minimum minutes of a PHP day; `None` keeps the configured default.
    pub php_minimum_minutes: Option<u32>,
    /// Whether IOP/PHP days need an approved prior authorization. Most commercial plans and
    /// Medicare Advantage plans require one, so that is the default.
    pub authorization_required: bool,
    /// The claim filing indicator on this payer's claims (837 SBR09); commercial by default.
    pub claim_filing_indicator: FilingIndicator,
    /// One line per day (commercial per diem) or one line per service (Medicare and payers
    /// that follow it).
    pub claim_style: ClaimStyle,
    /// For `per_service`: the services a day needs to be paid as a day (Medicare's APC needs 3).
    pub minimum_services_per_day: u32,
    /// For `per_service`: what happens to a day with fewer services than the minimum.
    pub days_below_minimum: DaysBelowMinimum,
}

impl Default for BillingRules {
    fn default() -> BillingRules {
        BillingRules {
            iop_minimum_minutes: None,
            php_minimum_minutes: None,
            authorization_required: true,
            claim_filing_indicator: FilingIndicator::COMMERCIAL,
            claim_style: ClaimStyle::PerDay,
            minimum_services_per_day: DEFAULT_MINIMUM_SERVICES,
            days_below_minimum: DaysBelowMinimum::Bill,
        }
    }
}

/// Medicare pays a PHP or IOP day by APC only with 3 or more services (domain.md §4.3).
pub const DEFAULT_MINIMUM_SERVICES: u32 = 3;

/// How a payer wants attended days on the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStyle {
    /// One line per billable day: revenue code + per-diem HCPCS, priced from the fee schedule.
    PerDay,
    /// One line per service of each billed day (revenue code, HCPCS, units, the catalog
    /// charge), the day paid by APC according to how many services it had.
    PerService,
}

impl ClaimStyle {
    pub fn parse(raw: &str) -> Result<ClaimStyle, String> {
        match raw {
            "per_day" => Ok(ClaimStyle::PerDay),
            "per_service" => Ok(ClaimStyle::PerService),
            _ => Err("must be per_day or per_service".to_string()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStyle::PerDay => "per_day",
            ClaimStyle::PerService => "per_service",
        }
    }
}

/// A per-service day with fewer services than the payer's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DaysBelowMinimum {
    /// Billed line by line with an expected amount of 0.00 and a `fewer_services` warning:
    /// Medicare expects every service furnished to be reported.
    Bill,
    /// Left out of claims, with the same reason.
    LeaveOut,
}

impl DaysBelowMinimum {
    pub fn parse(raw: &str) -> Result<DaysBelowMinimum, String> {
        match raw {
            "bill" => Ok(DaysBelowMinimum::Bill),
            "leave_out" => Ok(DaysBelowMinimum::LeaveOut),
            _ => Err("must be bill or leave_out".to_string()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DaysBelowMinimum::Bill => "bill",
            DaysBelowMinimum::LeaveOut => "leave_out",
        }
    }
}

/// An 837 claim filing indicator code (SBR09), one of the 005010 code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilingIndicator(&'static str);

/// The SBR09 codes: 11 other non-federal, 12 PPO, 13 POS, 14 EPO, 15 indemnity, 16 HMO
/// Medicare risk, 17 dental maintenance, AM automobile, BL Blue Cross Blue Shield, CH
/// TRICARE, CI commercial, DS disability, FI federal employees, HM HMO, LM liability, MA
/// Medicare A, MB Medicare B, MC Medicaid, OF other federal, TV Title V, VA veterans, WC
/// workers' compensation, ZZ mutually defined.
pub const FILING_INDICATORS: [&str; 23] = [
    "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA",
    "MB", "MC", "OF", "TV", "VA", "WC", "ZZ",
];

impl FilingIndicator {
    pub const COMMERCIAL: FilingIndicator = FilingIndicator("CI");

    pub fn parse(raw: &str) -> Result<FilingIndicator, String> {
        FILING_INDICATORS
            .iter()
            .find(|code| **code == raw)
            .map(|code| FilingIndicator(code))
            .ok_or_else(|| {
                "must be an 837 claim filing indicator code (e.g. CI commercial, BL Blue Cross \
                 Blue Shield, HM HMO, MB Medicare Part B, MC Medicaid)"
                    .to_string()
            })
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Serialize for FilingIndicator {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingRulesInput {
    pub iop_minimum_minutes: Option<i64>,
    pub php_minimum_minutes: Option<i64>,
    pub authorization_required: Option<bool>,
    pub claim_filing_indicator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_services_per_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_below_minimum: Option<String>,
}

fn minimum_services(raw: i64) -> Result<u32, String> {
    u32::try_from(raw)
        .ok()
        .filter(|n| (1..=24).contains(n))
        .ok_or_else(|| "must be a number of services from 1 to 24".to_string())
}

fn minimum_minutes(raw: i64) -> Result<u32, String> {
    u32::try_from(raw)
        .ok()
        .filter(|m| (1..=1440).contains(m))
        .ok_or_else(|| "must be a number of minutes from 1 to 1440".to_string())
}

impl BillingRulesInput {
    pub fn parse(self) -> Result<BillingRules, Invalid> {
        let mut fields = Fields::new();
        let iop = fields.optional(
            "iop_minimum_minutes",
            self.iop_minimum_minutes,
            minimum_minutes,
        );
        let php = fields.optional(
            "php_minimum_minutes",
            self.php_minimum_minutes,
            minimum_minutes,
        );
        let filing = fields.optional(
            "claim_filing_indicator",
            self.claim_filing_indicator,
            |raw| FilingIndicator::parse(&raw),
        );
        let style = fields.optional("claim_style", self.claim_style, |raw| {
            ClaimStyle::parse(&raw)
        });
        let minimum = fields.optional(
            "minimum_services_per_day",
            self.minimum_services_per_day,
            minimum_services,
        );
        let below = fields.optional("days_below_minimum", self.days_below_minimum, |raw| {
            DaysBelowMinimum::parse(&raw)
        });
        fields.finish()?;
        Ok(BillingRules {
            iop_minimum_minutes: iop.flatten(),
            php_minimum_minutes: php.flatten(),
            authorization_required: self.authorization_required.unwrap_or(true),
            claim_filing_indicator: filing.flatten().unwrap_or(FilingIndicator::COMMERCIAL),
            claim_style: style.flatten().unwrap_or(ClaimStyle::PerDay),
            minimum_services_per_day: minimum.flatten().unwrap_or(DEFAULT_MINIMUM_SERVICES),
            days_below_minimum: below.flatten().unwrap_or(DaysBelowMinimum::Bill),
        })
    }
}

impl From<&BillingRules> for BillingRulesInput {
    fn from(rules: &BillingRules) -> BillingRulesInput {
        BillingRulesInput {
            iop_minimum_minutes: rules.iop_minimum_minutes.map(i64::from),
            php_minimum_minutes: rules.php_minimum_minutes.map(i64::from),
            authorization_required: Some(rules.authorization_required),
            claim_filing_indicator: Some(rules.claim_filing_indicator.as_str().to_string()),
            claim_style: Some(rules.claim_style.as_str().to_string()),
            minimum_services_per_day: Some(i64::from(rules.minimum_services_per_day)),
            days_below_minimum: Some(rules.days_below_minimum.as_str().to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPayer {
    pub name: SafeText,
    pub payer_id: EdiPayerId,
    pub connection: Option<Connection>,
    pub billing: BillingRules,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerInput {
    pub name: Option<String>,
    pub payer_id: Option<String>,
    pub connection: Option<ConnectionInput>,
    pub billing: Option<BillingRulesInput>,
}

impl PayerInput {
    /// This input with each secret of its credentials that was left out (or null) taken from
    /// `current`'s, when its kind of credentials is the stored kind: an edit that sends the
    /// connection again (the API's `PATCH`, the admin form) need not send the secret again,
    /// which it cannot read back. A new kind of credentials needs its own secret; the parser
    /// says so.
    pub fn keeping_secrets(mut self, current: PayerInput) -> PayerInput {
        let stored = current.connection.and_then(|c| c.credentials);
        let given = self
            .connection
            .as_mut()
            .and_then(|c| c.credentials.as_mut());
        if let (Some(given), Some(stored)) = (given, stored) {
            if given.kind == stored.kind {
                given.password = given.password.take().or(stored.password);
                given.token = given.token.take().or(stored.token);
                given.client_secret = given.client_secret.take().or(stored.client_secret);
            }
        }
        self
    }

    pub fn parse(self) -> Result<NewPayer, Invalid> {
        let mut fields = Fields::new();
        // 2100A NM103 carries at most 60 characters.
        let name = fields.required("name", self.name, |raw| SafeText::parse(&raw, 60));
        let payer_id = fields.required("payer_id", self.payer_id, EdiPayerId::parse);
        let connection = match self.connection.map(ConnectionInput::parse) {
            None => Some(None),
            Some(Ok(connection)) => Some(Some(connection)),
            Some(Err(invalid)) => {
                fields.absorb_under("connection", invalid);
                None
            }
        };
        let billing = match self.billing.map(BillingRulesInput::parse) {
            None => Some(BillingRules::default()),
            Some(Ok(rules)) => Some(rules),
            Some(Err(invalid)) => {
                fields.absorb_under("billing", invalid);
                None
            }
        };
        fields.finish_with(|| {
            let (name, payer_id, connection, billing) = (name?, payer_id?, connection?, billing?);
            Some(NewPayer {
                name,
                payer_id,
                connection,
                billing,
            })
        })
    }
}

impl From<&NewPayer> for PayerInput {
    fn from(payer: &NewPayer) -> PayerInput {
        PayerInput {
            name: Some(payer.name.to_string()),
            payer_id: Some(payer.payer_id.as_str().to_string()),
            connection: payer.connection.as_ref().map(ConnectionInput::from),
            billing: Some(BillingRulesInput::from(&payer.billing)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_style_defaults_to_per_day_and_names_each_bad_field() {
        let rules = BillingRulesInput::default().parse().unwrap();
        assert_eq!(rules.claim_style, ClaimStyle::PerDay);
        assert_eq!(rules.minimum_services_per_day, 3);
        assert_eq!(rules.days_below_minimum, DaysBelowMinimum::Bill);
        let medicare = BillingRulesInput {
            claim_style: Some("per_service".into()),
            minimum_services_per_day: Some(4),
            days_below_minimum: Some("leave_out".into()),
            ..BillingRulesInput::default()
        }
        .parse()
        .unwrap();
        assert_eq!(medicare.claim_style, ClaimStyle::PerService);
        assert_eq!(medicare.minimum_services_per_day, 4);
        assert_eq!(medicare.days_below_minimum, DaysBelowMinimum::LeaveOut);
        // What is stored reads back the same.
        assert_eq!(
            BillingRulesInput::from(&medicare).parse().unwrap(),
            medicare
        );
        let bad = BillingRulesInput {
            claim_style: Some("per_visit".into()),
            minimum_services_per_day: Some(0),
            days_below_minimum: Some("drop".into()),
            ..BillingRulesInput::default()
        }
        .parse()
        .unwrap_err();
        let text = format!("{bad:?}");
        for field in [
            "claim_style",
            "minimum_services_per_day",
            "days_below_minimum",
        ] {
            assert!(text.contains(field), "{field} not named in {text}");
        }
        // Rules stored before these settings existed read as per day.
        let old: BillingRulesInput =
            serde_json::from_str(r#"{"iop_minimum_minutes":null,"php_minimum_minutes":null,"authorization_required":true,"claim_filing_indicator":"CI"}"#).unwrap();
        assert_eq!(old.parse().unwrap().claim_style, ClaimStyle::PerDay);
    }

    #[test]
    fn payer_ids_are_alphanumeric() {
        assert!(EdiPayerId::parse("60054".into()).is_ok());
        assert!(EdiPayerId::parse("BCBS-TX".into()).is_err());
        assert!(EdiPayerId::parse("X".into()).is_err());
    }

    #[test]
    fn secrets_are_kept_but_never_serialised() {
        let payer = PayerInput {
            name: Some("Aetna".into()),
            payer_id: Some("60054".into()),
            connection: Some(ConnectionInput {
                protocol: Some("x12".into()),
                endpoint_url: Some("https://payer.example/core".into()),
                credentials: Some(CredentialsInput {
                    kind: Some("basic".into()),
                    username: Some("clinic".into()),
                    password: Some("s3cret-value".into()),
                    ..CredentialsInput::default()
                }),
                ..ConnectionInput::default()
            }),
            billing: None,
        }
        .parse()
        .unwrap();
        let shown = serde_json::to_string(&payer).unwrap();
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("\"secret_set\":true"), "{shown}");
        let stored = serde_json::to_string(&PayerInput::from(&payer)).unwrap();
        assert!(stored.contains("s3cret-value"), "the stored form keeps it");
    }

    #[test]
    fn a_connection_names_each_bad_field() {
        let invalid = PayerInput {
            name: Some("Aetna".into()),
            payer_id: Some("60054".into()),
            connection: Some(ConnectionInput {
                protocol: Some("soap".into()),
                endpoint_url: Some("ftp://x".into()),
                credentials: Some(CredentialsInput {
                    kind: Some("bearer".into()),
                    ..CredentialsInput::default()
                }),
                timeout_seconds: Some(0),
                ..ConnectionInput::default()
            }),
            billing: None,
        }
        .parse()
        .unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "connection.protocol",
                "connection.endpoint_url",
                "connection.credentials.token",
                "connection.timeout_seconds"
            ]
        );
    }

    fn connection(protocol: &str, envelope: Option<&str>) -> Result<Connection, Vec<String>> {
        ConnectionInput {
            protocol: Some(protocol.into()),
            endpoint_url: Some("https://payer.example/core".into()),
            envelope: envelope.map(str::to_string),
            ..ConnectionInput::default()
        }
        .parse()
        .map_err(|invalid| invalid.0.iter().map(|e| e.field.clone()).collect())
    }

    #[test]
    fn an_x12_payer_speaks_multipart_unless_told_soap() {
        let envelope = |raw| connection("x12", raw).unwrap().envelope;
        assert_eq!(envelope(None), Some(CoreEnvelope::Multipart));
        assert_eq!(envelope(Some("multipart")), Some(CoreEnvelope::Multipart));
        assert_eq!(envelope(Some("soap")), Some(CoreEnvelope::Soap));
        assert_eq!(connection("x12", Some("SOAP")).unwrap_err(), ["envelope"]);
        // The stored form names it, so it survives a round trip.
        let soap = connection("x12", Some("soap")).unwrap();
        assert_eq!(ConnectionInput::from(&soap).parse().unwrap(), soap);
    }

    #[test]
    fn only_x12_payers_have_an_envelope() {
        for protocol in ["json", "fhir"] {
            assert_eq!(connection(protocol, None).unwrap().envelope, None);
            for envelope in ["soap", "multipart"] {
                assert_eq!(
                    connection(protocol, Some(envelope)).unwrap_err(),
                    ["envelope"],
                    "{protocol} {envelope}"
                );
            }
        }
    }

    #[test]
    fn codes_asked_start_with_30_and_follow_the_payers_list() {
        let mut connection = ConnectionInput {
            protocol: Some("x12".into()),
            endpoint_url: Some("http://127.0.0.1:1/x12".into()),
            ..ConnectionInput::default()
        }
        .parse()
        .unwrap();
        let codes =
            connection.codes_for(&[LevelOfCare::Php, LevelOfCare::Iop], Program::MentalHealth);
        assert_eq!(codes, ["30", "BB", "A7", "MH", "A8", "CH", "CF"]);
        connection.service_types = Some(vec!["30".into(), "MH".into(), "BB".into()]);
        let codes = connection.codes_for(&[LevelOfCare::Php], Program::MentalHealth);
        assert_eq!(codes, ["30", "BB", "MH"]);
    }
}

//! Demo data for a first look (`perdiem serve --demo`): staff accounts with a published
//! password, the clinic, payers reached through the in-process mock payer (one per protocol,
//! plus a behavioral-health administrator for carve-outs), and clients whose member ids pick
//! mock scenarios, from `fixtures/demo.json`. Development only: the published password would be
//! an open door in production.

use chrono::Utc;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::password;
use crate::domain::client::ClientInput;
use crate::domain::coverage::CoverageInput;
use crate::domain::ids::new_id;
use crate::domain::organization::OrganizationInput;
use crate::domain::payer::ConnectionInput;
use crate::domain::payer::PayerInput;
use crate::domain::role::parse_roles;
use crate::mock_payer::{FHIR_PATH, JSON_PATH, X12_PATH};
use crate::store::{clients, coverages, organization, payers, users, Db};

/// The password of every demo account. Printed in the README; refused in production.
pub const DEMO_PASSWORD: &str = "perdiem-demo-password";

const DEMO: &str = include_str!("../fixtures/demo.json");

#[derive(Deserialize)]
struct Demo {
    staff: Vec<DemoStaff>,
    organization: OrganizationInput,
    payers: Vec<DemoPayer>,
    clients: Vec<DemoClient>,
}

#[derive(Deserialize)]
struct DemoPayer {
    name: String,
    payer_id: String,
    /// Which of the mock payer's protocols this payer is reached over.
    protocol: String,
}

#[derive(Deserialize)]
struct DemoStaff {
    username: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct DemoClient {
    client: ClientInput,
    coverages: Vec<Value>,
}

/// Loads the demo data once: when an `admin` account already exists nothing is added.
pub async fn seed(db: &Db) -> anyhow::Result<bool> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    if users::find_by_username(&mut tx, "admin").await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash_blocking(SecretString::from(DEMO_PASSWORD.to_string())).await?;
    for staff in demo.staff {
        let roles = parse_roles(staff.roles).map_err(anyhow::Error::msg)?;
        users::insert(&mut tx, new_id(), &staff.username, &hash, &roles).await?;
    }
    organization::put(&mut tx, &demo.organization.parse()?).await?;
    let mut payer_ids: Vec<(String, Uuid)> = Vec::new();
    for demo_payer in demo.payers {
        let payer = PayerInput {
            name: Some(demo_payer.name),
            payer_id: Some(demo_payer.payer_id),
            connection: None,
            billing: None,
        }
        .parse()?;
        let stored = payers::insert(&mut tx, new_id(), &payer).await?;
        payer_ids.push((payer.payer_id.as_str().to_string(), stored.id));
    }
    let today = Utc::now().date_naive();
    for entry in demo.clients {
        let client = clients::insert(&mut tx, new_id(), &entry.client.parse(today)?).await?;
        for mut coverage in entry.coverages {
            // The fixture names payers by EDI id; the API takes the payer record's id.
            let edi = coverage
                .as_object_mut()
                .and_then(|c| c.remove("payer"))
                .and_then(|p| p.as_str().map(str::to_string))
                .unwrap_or_default();
            let payer = payer_ids
                .iter()
                .find(|(id, _)| *id == edi)
                .map(|(_, record)| *record)
                .ok_or_else(|| anyhow::anyhow!("demo coverage names unknown payer {edi}"))?;
            coverage["payer_id"] = Value::String(payer.to_string());
            let input: CoverageInput = serde_json::from_value(coverage)?;
            coverages::insert(&mut tx, new_id(), client.id, &input.parse(today)?).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Points the demo payers at the mock payer listening at `base` (its port changes with every
/// start, so this runs at every `serve --demo`).
pub async fn attach_mock_payer(db: &Db, base: &str) -> anyhow::Result<()> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    for demo_payer in demo.payers {
        let Some(payer) = payers::find_by_edi_id(&mut tx, &demo_payer.payer_id).await? else {
            continue;
        };
        let path = match demo_payer.protocol.as_str() {
            "json" => JSON_PATH,
            "fhir" => FHIR_PATH,
            _ => X12_PATH,
        };
        let mut input = PayerInput::from(&payer.data);
        input.connection = Some(ConnectionInput {
            protocol: Some(demo_payer.protocol.clone()),
            endpoint_url: Some(format!("{base}{path}")),
            timeout_seconds: Some(10),
            ..ConnectionInput::default()
        });
        payers::update(&mut tx, &payer.id.to_string(), &input.parse()?).await?;
    }
    tx.commit().await?;
    Ok(())
}

//! The clinic's own record (a single row).

use chrono::{DateTime, Utc};

use super::{now, with_tx, StoreError, StoreResult, Tx};
use crate::domain::organization::{ClinicianInput, Organization, OrganizationInput};
use crate::domain::person::AddressInput;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredOrganization {
    #[serde(flatten)]
    pub organization: Organization,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct OrganizationRow {
    legal_name: String,
    npi: String,
    tax_id: String,
    taxonomy_code: String,
    address_line1: String,
    address_line2: Option<String>,
    address_city: String,
    address_state: String,
    address_postal_code: String,
    phone: String,
    submitter_id: Option<String>,
    billing_contact_name: Option<String>,
    attending_first_name: Option<String>,
    attending_last_name: Option<String>,
    attending_npi: Option<String>,
    updated_at: DateTime<Utc>,
}

pub async fn get(tx: &mut Tx) -> StoreResult<Option<StoredOrganization>> {
    let row: Option<OrganizationRow> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT legal_name, npi, tax_id, taxonomy_code, address_line1, address_line2,
                address_city, address_state, address_postal_code, phone, submitter_id,
                billing_contact_name, attending_first_name, attending_last_name, attending_npi,
                updated_at
         FROM organization WHERE id = 'clinic'"
    )
    .fetch_optional(conn)
    .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let organization = OrganizationInput {
        legal_name: Some(row.legal_name),
        npi: Some(row.npi),
        tax_id: Some(row.tax_id),
        taxonomy_code: Some(row.taxonomy_code),
        address: Some(AddressInput {
            line1: Some(row.address_line1),
            line2: row.address_line2,
            city: Some(row.address_city),
            state: Some(row.address_state),
            postal_code: Some(row.address_postal_code),
        }),
        phone: Some(row.phone),
        submitter_id: row.submitter_id,
        billing_contact_name: row.billing_contact_name,
        attending_provider: row.attending_npi.map(|npi| ClinicianInput {
            first_name: row.attending_first_name,
            last_name: row.attending_last_name,
            npi: Some(npi),
        }),
    }
    .parse_stored()
    .map_err(|e| StoreError::corrupt("organization", e))?;
    Ok(Some(StoredOrganization {
        organization,
        updated_at: row.updated_at,
    }))
}

pub async fn put(tx: &mut Tx, org: &Organization) -> StoreResult<StoredOrganization> {
    let at = now();
    let a = &org.address;
    let attending = org.attending_provider.as_ref();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO organization (id, legal_name, npi, tax_id, taxonomy_code, address_line1,
            address_line2, address_city, address_state, address_postal_code, phone, updated_at,
            submitter_id, billing_contact_name, attending_first_name, attending_last_name,
            attending_npi)
         VALUES ('clinic', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16)
         ON CONFLICT (id) DO UPDATE SET legal_name = $1, npi = $2, tax_id = $3,
            taxonomy_code = $4, address_line1 = $5, address_line2 = $6, address_city = $7,
            address_state = $8, address_postal_code = $9, phone = $10, updated_at = $11,
            submitter_id = $12, billing_contact_name = $13, attending_first_name = $14,
            attending_last_name = $15, attending_npi = $16"
    )
    .bind(org.legal_name.as_str())
    .bind(org.npi.as_str())
    .bind(&org.tax_id)
    .bind(&org.taxonomy_code)
    .bind(a.line1.as_str())
    .bind(a.line2.as_ref().map(|l| l.as_str()))
    .bind(a.city.as_str())
    .bind(&a.state)
    .bind(&a.postal_code)
    .bind(org.phone.as_str())
    .bind(at)
    .bind(org.submitter_id.as_deref())
    .bind(org.billing_contact_name.as_ref().map(|n| n.as_str()))
    .bind(attending.map(|c| c.first_name.as_str()))
    .bind(attending.map(|c| c.last_name.as_str()))
    .bind(attending.map(|c| c.npi.as_str()))
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(StoredOrganization {
        organization: org.clone(),
        updated_at: at,
    })
}

//! Client records (PHI: callers audit every access).

use chrono::{DateTime, NaiveDate, Utc};

use super::{like_prefix, now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::client::{ClientInput, NewClient};
use crate::domain::ids::ClientId;
use crate::domain::person::AddressInput;

pub type Client = Stored<NewClient, ClientId>;

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: ClientId,
    first_name: String,
    last_name: String,
    date_of_birth: NaiveDate,
    sex: String,
    address_line1: Option<String>,
    address_line2: Option<String>,
    address_city: Option<String>,
    address_state: Option<String>,
    address_postal_code: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ClientRow {
    /// Parses the row again through the same rules as the API input: a corrupt row is an
    /// error, never a client that could not have been entered.
    fn parse(self) -> StoreResult<Client> {
        let address = self.address_line1.is_some().then_some(AddressInput {
            line1: self.address_line1,
            line2: self.address_line2,
            city: self.address_city,
            state: self.address_state,
            postal_code: self.address_postal_code,
        });
        let data = ClientInput {
            first_name: Some(self.first_name),
            last_name: Some(self.last_name),
            date_of_birth: Some(self.date_of_birth.to_string()),
            sex: Some(self.sex),
            address,
            phone: self.phone,
            email: self.email,
            external_id: self.external_id,
        }
        .parse_stored(Utc::now().date_naive())
        .map_err(|e| StoreError::corrupt("client", e))?;
        Ok(Stored::from_parts(
            self.id,
            data,
            self.created_at,
            self.updated_at,
        ))
    }
}

const COLUMNS: &str = "id, first_name, last_name, date_of_birth, sex, address_line1, \
    address_line2, address_city, address_state, address_postal_code, phone, email, external_id, \
    created_at, updated_at";

pub async fn insert(tx: &mut Tx, id: ClientId, client: &NewClient) -> StoreResult<Client> {
    let at = now();
    let address = client.address.as_ref();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO clients (id, first_name, last_name, date_of_birth, sex, address_line1,
            address_line2, address_city, address_state, address_postal_code, phone, email,
            external_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)"
    )
    .bind(id)
    .bind(client.first_name.as_str())
    .bind(client.last_name.as_str())
    .bind(client.date_of_birth)
    .bind(client.sex.as_str())
    .bind(address.map(|a| a.line1.as_str()))
    .bind(address.and_then(|a| a.line2.as_ref()).map(|l| l.as_str()))
    .bind(address.map(|a| a.city.as_str()))
    .bind(address.map(|a| a.state.as_str()))
    .bind(address.map(|a| a.postal_code.as_str()))
    .bind(client.phone.as_ref().map(|p| p.as_str()))
    .bind(client.email.as_ref().map(|e| e.as_str()))
    .bind(client.external_id.as_ref().map(|e| e.as_str()))
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Stored::from_parts(id, client.clone(), at, at))
}

pub async fn find(tx: &mut Tx, id: ClientId) -> StoreResult<Option<Client>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE id = $1");
    let row: Option<ClientRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(ClientRow::parse).transpose()
}

/// These clients (unknown ids are left out), in no particular order.
pub async fn find_many(tx: &mut Tx, ids: &[ClientId]) -> StoreResult<Vec<Client>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE id IN ({{ids}})");
    let rows: Vec<ClientRow> = super::attendance::rows_for(
        tx,
        &sql,
        &ids.iter().map(ClientId::to_string).collect::<Vec<_>>(),
    )
    .await?;
    rows.into_iter().map(ClientRow::parse).collect()
}

/// The clients born on any of `dates`, in no particular order: the candidates a list of
/// callers (name and birth date) is matched against. One indexed look-up per chunk of dates
/// (`clients_date_of_birth`); the names are compared by the caller, so that SQLite and
/// PostgreSQL fold their case alike (SQLite's `lower` folds ASCII only).
pub async fn born_on(tx: &mut Tx, dates: &[NaiveDate]) -> StoreResult<Vec<Client>> {
    use super::attendance::{list_placeholders, CHUNK};
    let mut all = Vec::new();
    for chunk in dates.chunks(CHUNK) {
        let sql = format!(
            "SELECT {COLUMNS} FROM clients WHERE date_of_birth IN ({})",
            list_placeholders(tx, chunk.len())
        );
        let rows: Vec<ClientRow> = with_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql);
            for date in chunk {
                query = query.bind(*date);
            }
            query.fetch_all(conn).await
        })?;
        for row in rows {
            all.push(row.parse()?);
        }
    }
    Ok(all)
}

/// Whether the client exists, locking its row for the rest of the transaction on PostgreSQL
/// (SQLite transactions already hold the write lock from `BEGIN IMMEDIATE`). Writers of a
/// client's episodes take it before they check for overlaps, so two cannot both pass.
pub async fn lock(tx: &mut Tx, id: ClientId) -> StoreResult<bool> {
    let found: Option<String> = match tx {
        Tx::Postgres(transaction) => {
            sqlx::query_scalar("SELECT id FROM clients WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
        Tx::Sqlite(transaction) => {
            sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
    };
    Ok(found.is_some())
}

/// Search criteria; every one given must match.
#[derive(Debug, Default, Clone)]
pub struct ClientSearch {
    /// Case-insensitive prefix of the first or the last name.
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub external_id: Option<String>,
}

pub async fn search(
    tx: &mut Tx,
    search: &ClientSearch,
    page: Page,
) -> StoreResult<(Vec<Client>, i64)> {
    let name = search.name.as_deref().map(like_prefix);
    let filter = "WHERE ($1 IS NULL OR lower(first_name) LIKE $1 ESCAPE '\\'
                                   OR lower(last_name) LIKE $1 ESCAPE '\\')
                    AND ($2 IS NULL OR date_of_birth = $2)
                    AND ($3 IS NULL OR external_id = $3)";
    let (rows, total) = page_of!(
        tx,
        ClientRow,
        COLUMNS,
        format!("FROM clients {filter}"),
        "lower(last_name), lower(first_name), id",
        page,
        [&name, search.date_of_birth, &search.external_id]
    );
    let clients = rows
        .into_iter()
        .map(ClientRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((clients, total))
}

pub async fn update(tx: &mut Tx, id: ClientId, client: &NewClient) -> StoreResult<Option<Client>> {
    let address = client.address.as_ref();
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE clients SET first_name = $2, last_name = $3, date_of_birth = $4, sex = $5,
            address_line1 = $6, address_line2 = $7, address_city = $8, address_state = $9,
            address_postal_code = $10, phone = $11, email = $12, external_id = $13,
            updated_at = $14
         WHERE id = $1"
    )
    .bind(id)
    .bind(client.first_name.as_str())
    .bind(client.last_name.as_str())
    .bind(client.date_of_birth)
    .bind(client.sex.as_str())
    .bind(address.map(|a| a.line1.as_str()))
    .bind(address.and_then(|a| a.line2.as_ref()).map(|l| l.as_str()))
    .bind(address.map(|a| a.city.as_str()))
    .bind(address.map(|a| a.state.as_str()))
    .bind(address.map(|a| a.postal_code.as_str()))
    .bind(client.phone.as_ref().map(|p| p.as_str()))
    .bind(client.email.as_ref().map(|e| e.as_str()))
    .bind(client.external_id.as_ref().map(|e| e.as_str()))
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, id).await
}

//! Episodes of care (PHI: callers audit every access). Diagnoses and the level-of-care history
//! are stored as JSON text; rows are parsed again through the API's rules on the way out.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::ids::{ClientId, EpisodeId};

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::episode::{EpisodeInput, LevelSpanInput, NewEpisode};

const ENTITY: &str = "episode";

/// An episode with the client it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientEpisode {
    pub client_id: ClientId,
    #[serde(flatten)]
    pub episode: NewEpisode,
}

impl AsRef<NewEpisode> for ClientEpisode {
    fn as_ref(&self) -> &NewEpisode {
        &self.episode
    }
}

impl AsRef<NewEpisode> for Episode {
    fn as_ref(&self) -> &NewEpisode {
        &self.data.episode
    }
}

pub type Episode = Stored<ClientEpisode, EpisodeId>;

#[derive(sqlx::FromRow)]
struct EpisodeRow {
    id: EpisodeId,
    client_id: ClientId,
    admission_date: NaiveDate,
    discharge_date: Option<NaiveDate>,
    discharge_status: Option<String>,
    principal_diagnosis: String,
    other_diagnoses: String,
    level_of_care_history: String,
    referral_source: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl EpisodeRow {
    fn parse(self) -> StoreResult<Episode> {
        let other_diagnoses: Vec<String> = serde_json::from_str(&self.other_diagnoses)
            .map_err(|e| StoreError::corrupt(ENTITY, e))?;
        let history: Vec<LevelSpanInput> = serde_json::from_str(&self.level_of_care_history)
            .map_err(|e| StoreError::corrupt(ENTITY, e))?;
        // Days that were not in the future when recorded stay acceptable: no "today" on read.
        let episode = EpisodeInput {
            admission_date: Some(self.admission_date.to_string()),
            discharge_date: self.discharge_date.map(|d| d.to_string()),
            discharge_status: self.discharge_status,
            principal_diagnosis: Some(self.principal_diagnosis),
            other_diagnoses: Some(other_diagnoses),
            level_of_care_history: Some(history),
            referral_source: self.referral_source,
            notes: self.notes,
        }
        .parse(NaiveDate::MAX)
        .map_err(|e| StoreError::corrupt(ENTITY, e))?;
        Ok(Stored::from_parts(
            self.id,
            ClientEpisode {
                client_id: self.client_id,
                episode,
            },
            self.created_at,
            self.updated_at,
        ))
    }
}

const COLUMNS: &str = "id, client_id, admission_date, discharge_date, discharge_status, \
    principal_diagnosis, other_diagnoses, level_of_care_history, referral_source, notes, \
    created_at, updated_at";

/// The JSON columns of an episode: (other diagnoses, level-of-care history).
fn json_columns(episode: &NewEpisode) -> StoreResult<(String, String)> {
    let input = EpisodeInput::from(episode);
    let diagnoses = serde_json::to_string(&input.other_diagnoses.unwrap_or_default())
        .map_err(|e| StoreError::corrupt(ENTITY, e))?;
    let history = serde_json::to_string(&input.level_of_care_history.unwrap_or_default())
        .map_err(|e| StoreError::corrupt(ENTITY, e))?;
    Ok((diagnoses, history))
}

pub async fn insert(
    tx: &mut Tx,
    id: EpisodeId,
    client_id: ClientId,
    episode: &NewEpisode,
) -> StoreResult<Episode> {
    let at = now();
    let (diagnoses, history) = json_columns(episode)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO episodes (id, client_id, admission_date, discharge_date, discharge_status,
            principal_diagnosis, other_diagnoses, level_of_care_history, referral_source, notes,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    )
    .bind(id)
    .bind(client_id)
    .bind(episode.admission_date)
    .bind(episode.discharge_date)
    .bind(episode.discharge_status.as_ref().map(|s| s.as_str()))
    .bind(episode.principal_diagnosis.as_str())
    .bind(&diagnoses)
    .bind(&history)
    .bind(episode.referral_source.as_ref().map(|r| r.as_str()))
    .bind(episode.notes.as_ref().map(|n| n.as_str()))
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    let data = ClientEpisode {
        client_id,
        episode: episode.clone(),
    };
    Ok(Stored::from_parts(id, data, at, at))
}

/// The client's episode `id` (none when it is another client's).
pub async fn find(tx: &mut Tx, client_id: ClientId, id: EpisodeId) -> StoreResult<Option<Episode>> {
    let sql = format!("SELECT {COLUMNS} FROM episodes WHERE id = $1 AND client_id = $2");
    let row: Option<EpisodeRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .bind(client_id)
        .fetch_optional(conn)
        .await)?;
    row.map(EpisodeRow::parse).transpose()
}

/// A page of the client's episodes, the latest admission first.
pub async fn list(
    tx: &mut Tx,
    client_id: ClientId,
    page: Page,
) -> StoreResult<(Vec<Episode>, i64)> {
    let (rows, total) = page_of!(
        tx,
        EpisodeRow,
        COLUMNS,
        "FROM episodes WHERE client_id = $1",
        "admission_date DESC, created_at DESC, id DESC",
        page,
        [client_id]
    );
    let items = rows
        .into_iter()
        .map(EpisodeRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((items, total))
}

/// Every episode of the client, the earliest admission first: what a new one must not overlap,
/// and what [`episode_on`](crate::domain::episode::episode_on) reads.
pub async fn of_client(tx: &mut Tx, client_id: ClientId) -> StoreResult<Vec<Episode>> {
    let sql =
        format!("SELECT {COLUMNS} FROM episodes WHERE client_id = $1 ORDER BY admission_date, id");
    let rows: Vec<EpisodeRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(client_id)
        .fetch_all(conn)
        .await)?;
    rows.into_iter().map(EpisodeRow::parse).collect()
}

/// The episodes of these clients (claim generation), by admission date.
pub async fn for_clients(tx: &mut Tx, client_ids: &[Uuid]) -> StoreResult<Vec<Episode>> {
    let sql = format!("SELECT {COLUMNS} FROM episodes WHERE client_id IN ({{ids}})");
    let rows: Vec<EpisodeRow> =
        super::attendance::rows_for(tx, &sql, &super::attendance::texts(client_ids)).await?;
    let mut episodes = rows
        .into_iter()
        .map(EpisodeRow::parse)
        .collect::<StoreResult<Vec<_>>>()?;
    episodes.sort_by_key(|e| (e.data.client_id, e.data.episode.admission_date));
    Ok(episodes)
}

/// Stores new terms. The client is not a column it writes.
pub async fn update(
    tx: &mut Tx,
    client_id: ClientId,
    id: EpisodeId,
    episode: &NewEpisode,
) -> StoreResult<Option<Episode>> {
    let (diagnoses, history) = json_columns(episode)?;
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE episodes SET admission_date = $3, discharge_date = $4, discharge_status = $5,
            principal_diagnosis = $6, other_diagnoses = $7, level_of_care_history = $8,
            referral_source = $9, notes = $10, updated_at = $11
         WHERE id = $1 AND client_id = $2"
    )
    .bind(id)
    .bind(client_id)
    .bind(episode.admission_date)
    .bind(episode.discharge_date)
    .bind(episode.discharge_status.as_ref().map(|s| s.as_str()))
    .bind(episode.principal_diagnosis.as_str())
    .bind(&diagnoses)
    .bind(&history)
    .bind(episode.referral_source.as_ref().map(|r| r.as_str()))
    .bind(episode.notes.as_ref().map(|n| n.as_str()))
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, client_id, id).await
}

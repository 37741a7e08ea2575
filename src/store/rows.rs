//! Multi-row INSERTs: many rows of one table in as few statements as the backends' parameter
//! limits allow, for the bulk writes of remittances and claim events.
//!
//! The SQL text is built by [`values_sql`]: numbered parameters on PostgreSQL, anonymous ones
//! on SQLite (which looks a numbered one up among those seen, a cost that grows with the
//! statement).

use chrono::{DateTime, NaiveDate, Utc};

use super::{StoreError, StoreResult, Tx};

/// Parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const MAX_PARAMETERS: usize = 30_000;

/// A value bound into a multi-row INSERT.
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Time(DateTime<Utc>),
}

pub(crate) fn text(v: impl Into<String>) -> Value {
    Value::Text(Some(v.into()))
}

pub(crate) fn maybe_text(v: Option<impl Into<String>>) -> Value {
    Value::Text(v.map(Into::into))
}

/// `INSERT INTO {into} VALUES (...), (...)` for `rows`, each of the same width, in as few
/// statements as the parameter limit allows.
pub(crate) async fn insert_rows(tx: &mut Tx, into: &str, rows: Vec<Vec<Value>>) -> StoreResult<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let head = format!("INSERT INTO {into} VALUES ");
    let head = head.as_str();
    let per_statement = (MAX_PARAMETERS / width).max(1);
    let mut chunks = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        chunks.push(rows.by_ref().take(per_statement).collect::<Vec<_>>());
    }
    match tx {
        Tx::Sqlite(transaction) => {
            // Pipelined: the next statement's values are bound on this thread while SQLite's
            // own thread runs the current one (as claims are stored).
            let mut chunks = chunks.into_iter();
            let mut next = chunks.next().map(sqlite_statement(head, width));
            while let Some(current) = next.take() {
                let (sql, values) = current?;
                let (written, prepared) = tokio::join!(
                    sqlx::query_with(&sql, values).execute(&mut **transaction),
                    async { chunks.next().map(sqlite_statement(head, width)) }
                );
                written?;
                next = prepared;
            }
        }
        Tx::Postgres(transaction) => {
            for chunk in chunks {
                let sql = values_sql(head, width, chunk.len(), false);
                let mut query = sqlx::query(&sql);
                for value in chunk.into_iter().flatten() {
                    query = match value {
                        Value::Text(v) => query.bind(v),
                        Value::Int(v) => query.bind(v),
                        Value::Date(v) => query.bind(v),
                        Value::Time(v) => query.bind(v),
                    };
                }
                query.execute(&mut **transaction).await?;
            }
        }
    }
    Ok(())
}

/// The text and bound values of one SQLite statement of [`insert_rows`].
fn sqlite_statement<'h>(
    head: &'h str,
    width: usize,
) -> impl Fn(Vec<Vec<Value>>) -> StoreResult<(String, sqlx::sqlite::SqliteArguments<'static>)> + 'h
{
    move |chunk| {
        use sqlx::Arguments as _;
        let sql = values_sql(head, width, chunk.len(), true);
        let mut values = sqlx::sqlite::SqliteArguments::default();
        values.reserve(chunk.len() * width, 0);
        for value in chunk.into_iter().flatten() {
            let added = match value {
                Value::Text(v) => values.add(v),
                Value::Int(v) => values.add(v),
                Value::Date(v) => values.add(v),
                Value::Time(v) => values.add(v),
            };
            added.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))?;
        }
        Ok((sql, values))
    }
}

/// `{head}(…), (…)` for `rows` rows of `width` values. SQLite gets anonymous `?`
/// placeholders: it looks a named one (`$7`) up among those already seen, which made a
/// statement of 30,000 of them take seconds to prepare.
pub(crate) fn values_sql(head: &str, width: usize, rows: usize, sqlite: bool) -> String {
    let mut sql = String::with_capacity(head.len() + rows * width * 7);
    sql.push_str(head);
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..width {
            n += 1;
            if j > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    sql
}

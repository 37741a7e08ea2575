//! The process's metrics for Prometheus (admin only: they name the payers and show the load).

use actix_web::{web, HttpResponse};

use crate::auth::Staff;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::metrics::{PoolSizes, Scrape, WriterFigures, CONTENT_TYPE};
use crate::state::AppState;
use crate::store::{batches, Db};

pub async fn metrics(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    // Read before the count below takes a connection of its own.
    let pool = state.db.pool_sizes();
    let scrape = Scrape {
        pool: PoolSizes {
            idle: pool.idle.into(),
            in_use: pool.in_use.into(),
            max: pool.max.into(),
        },
        writer: writer_figures(&state.db),
        circuits: state.health.circuits(),
        batch_items: batches::count_by_state(&state.db).await?,
    };
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(state.metrics.render(&scrape)))
}

fn writer_figures(db: &Db) -> WriterFigures {
    use std::sync::atomic::Ordering::Relaxed;
    let Db::Sqlite(sqlite) = db else {
        return WriterFigures::default();
    };
    let stats = sqlite.writer().stats();
    WriterFigures {
        queued: u64::try_from(stats.queued.load(Relaxed)).unwrap_or(u64::MAX),
        commits_by_size: stats.group_sizes.iter().map(|n| n.load(Relaxed)).collect(),
        writes: stats.committed_members.load(Relaxed),
    }
}

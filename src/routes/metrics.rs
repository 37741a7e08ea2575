//! The process's metrics for Prometheus (admin only: they name the payers and show the load).

use actix_web::{web, HttpResponse};

use crate::auth::Staff;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::metrics::{PoolSizes, Scrape, CONTENT_TYPE};
use crate::state::AppState;
use crate::store::batches;

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
        circuits: state.health.circuits(),
        batch_items: batches::count_by_state(&state.db).await?,
    };
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(state.metrics.render(&scrape)))
}

//! Gapless numbers (R15 minutes serials, D09 文号): one row per series, incremented inside
//! the transaction that uses the number. The UPDATE takes the row lock on PostgreSQL (and
//! the write lock on SQLite), so two transactions never get the same number, and a
//! rolled-back transaction gives its number back — no gaps.
use crate::error::{AppError, AppResult};
use crate::store::entities::counters;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

pub async fn next(tx: &impl ConnectionTrait, key: &str) -> AppResult<i64> {
    counters::Entity::insert(counters::ActiveModel { key: Set(key.to_string()), value: Set(0) })
        .on_conflict(OnConflict::column(counters::Column::Key).do_nothing().to_owned())
        .exec_without_returning(tx)
        .await?;
    let res = counters::Entity::update_many()
        .col_expr(counters::Column::Value, Expr::col(counters::Column::Value).add(1))
        .filter(counters::Column::Key.eq(key))
        .exec(tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::internal(format!("counter {key} not updated")));
    }
    let row = counters::Entity::find_by_id(key.to_string())
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal(format!("counter {key} missing")))?;
    Ok(row.value)
}

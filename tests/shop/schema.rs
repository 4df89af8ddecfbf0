//! The two engines' migrations kept in step: after `migrations/sqlite/` and
//! `migrations/postgres/` have run, both databases have the same tables, the same
//! columns (with the same nullability) and the same named indexes.

use crate::{database, helpers::connect};
use sqlx::AnyPool;
use std::collections::BTreeSet;
use storefront::server::store::Store;

/// (table, column, nullable)
type Columns = BTreeSet<(String, String, bool)>;

#[tokio::test]
async fn both_engines_migrate_to_the_same_tables_columns_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("shop.db").display());
    Store::open(&sqlite_url).await.unwrap().close().await;
    let postgres_url = database::fresh_postgres_database().await;
    Store::open(&postgres_url).await.unwrap().close().await;
    let (sqlite, postgres) = (connect(&sqlite_url).await, connect(&postgres_url).await);

    let sqlite_columns = sqlite_columns(&sqlite).await;
    let postgres_columns = postgres_columns(&postgres).await;
    assert!(
        sqlite_columns.len() > 60,
        "read the schema: {sqlite_columns:?}"
    );
    assert_eq!(
        difference(&sqlite_columns, &postgres_columns),
        (vec![], vec![]),
        "(only on SQLite, only on PostgreSQL)"
    );

    let sqlite_indexes = strings(
        &sqlite,
        "SELECT name FROM sqlite_master
         WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    )
    .await;
    // Those a migration named: not the ones behind primary keys and UNIQUE columns.
    let postgres_indexes = strings(
        &postgres,
        "SELECT indexname::text FROM pg_indexes
         WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'
           AND indexname NOT LIKE '%_key'",
    )
    .await;
    assert!(sqlite_indexes.contains("orders_one_open_per_cart"));
    assert_eq!(
        difference(&sqlite_indexes, &postgres_indexes),
        (vec![], vec![]),
        "(only on SQLite, only on PostgreSQL)"
    );
}

async fn sqlite_columns(pool: &AnyPool) -> Columns {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT t.name, c.name, c.\"notnull\", c.pk
         FROM sqlite_master t, pragma_table_info(t.name) c
         WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%' AND t.name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        // SQLite lets a non-integer primary key hold NULL unless it says NOT NULL;
        // PostgreSQL never does. Neither shop ever writes one.
        .map(|(table, column, not_null, pk)| (table, column, not_null == 0 && pk == 0))
        .collect()
}

async fn postgres_columns(pool: &AnyPool) -> Columns {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(table, column, nullable)| (table, column, nullable == "YES"))
        .collect()
}

async fn strings(pool: &AnyPool, sql: &str) -> BTreeSet<String> {
    sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

fn difference<T: Ord + Clone>(left: &BTreeSet<T>, right: &BTreeSet<T>) -> (Vec<T>, Vec<T>) {
    (
        left.difference(right).cloned().collect(),
        right.difference(left).cloned().collect(),
    )
}

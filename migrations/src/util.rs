//! Small helpers that keep the migration files short and uniform.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

/// `CREATE TABLE IF NOT EXISTS name` with a text primary key `id`.
pub fn table_with_id(name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists().col(schema::string("id").primary_key());
    t
}

pub fn table(name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists();
    t
}

pub fn index(name: &'static str, table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i
}

pub fn version() -> ColumnDef {
    schema::integer("version").default(1).take()
}

/// (name, table, columns) of a plain index.
pub type IndexSpec = (&'static str, &'static str, &'static [&'static str]);

/// Creates `indexes`, then drops `replaced` (indexes they supersede: the same leading columns).
pub async fn add_indexes_replacing(m: &SchemaManager<'_>, indexes: &[IndexSpec], replaced: &[IndexSpec]) -> Result<(), DbErr> {
    for (name, table, cols) in indexes {
        m.create_index(index(name, table, cols, false)).await?;
    }
    for (name, table, _) in replaced {
        m.drop_index(Index::drop().name(*name).table(*table).if_exists().to_owned()).await?;
    }
    Ok(())
}

/// Undoes [`add_indexes_replacing`]: restores `replaced`, then drops `indexes` (the same
/// steps with the two lists' parts swapped).
pub async fn drop_indexes_restoring(m: &SchemaManager<'_>, indexes: &[IndexSpec], replaced: &[IndexSpec]) -> Result<(), DbErr> {
    add_indexes_replacing(m, replaced, indexes).await
}

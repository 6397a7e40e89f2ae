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

//! `services/database/src/schema.rs` must describe exactly what the migrations of each backend
//! create: same tables, same columns in the same order, same types and nullability.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use maille_testing::TestDatabase;

use crate::helpers::repository;

type Columns = BTreeMap<String, Vec<(String, String)>>;

/// Tables and columns as schema.rs declares them: (name, diesel type).
fn declared() -> Columns {
    let text =
        std::fs::read_to_string(repository().join("services/database/src/schema.rs")).unwrap();
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(current_name) = &current {
            if line == "}" {
                current = None;
            } else if let Some((name, kind)) = line.split_once("->") {
                tables.get_mut(current_name).unwrap().push((
                    name.trim().to_owned(),
                    kind.trim().trim_end_matches(',').to_owned(),
                ));
            }
        } else if line.ends_with('{') && line.contains('(') && !line.starts_with("diesel::") {
            let name = line.split('(').next().unwrap().trim().to_owned();
            tables.insert(name.clone(), Vec::new());
            current = Some(name);
        }
    }
    tables
}

fn diesel_type(sql: &str, nullable: bool) -> String {
    let base = match sql.to_ascii_uppercase().as_str() {
        "BIGINT" | "INT8" => "BigInt",
        "INTEGER" | "INT4" | "INT" => "Integer",
        "TEXT" => "Text",
        "BOOLEAN" | "BOOL" => "Bool",
        "BLOB" | "BYTEA" => "Binary",
        other => panic!("column type {other} has no portable diesel type"),
    };
    if nullable {
        format!("Nullable<{base}>")
    } else {
        base.to_owned()
    }
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    r#type: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn actual(database: &TestDatabase) -> Columns {
    let url = database.url();
    let db = maille_database::Database::connect(url, &maille_config::DatabaseSettings::default())
        .unwrap();
    db.migrate_blocking().unwrap();
    let mut tables = Columns::new();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        #[derive(QueryableByName)]
        struct Name {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let names: Vec<Name> = diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'",
        )
        .load(&mut conn)
        .unwrap();
        for table in names {
            let columns: Vec<SqliteColumn> = diesel::sql_query(format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{}')",
                table.name
            ))
            .load(&mut conn)
            .unwrap();
            tables.insert(
                table.name,
                columns
                    .into_iter()
                    .map(|c| (c.name, diesel_type(&c.r#type, c.notnull == 0 && c.pk == 0)))
                    .collect(),
            );
        }
    } else {
        let mut conn = diesel::PgConnection::establish(url).unwrap();
        let columns: Vec<PgColumn> = diesel::sql_query(
            "SELECT table_name::text, column_name::text, \
             CASE data_type WHEN 'bigint' THEN 'BIGINT' WHEN 'integer' THEN 'INTEGER' \
               WHEN 'text' THEN 'TEXT' WHEN 'boolean' THEN 'BOOLEAN' WHEN 'bytea' THEN 'BYTEA' \
               ELSE data_type::text END AS data_type, is_nullable::text \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name != '__diesel_schema_migrations' ORDER BY table_name, ordinal_position",
        )
        .load(&mut conn)
        .unwrap();
        for c in columns {
            tables.entry(c.table_name).or_default().push((
                c.column_name,
                diesel_type(&c.data_type, c.is_nullable == "YES"),
            ));
        }
    }
    tables
}

#[test]
fn schema_rs_matches_the_migrations_of_this_backend() {
    let database = TestDatabase::fresh();
    let declared = declared();
    assert!(declared.len() >= 9, "schema.rs parsed: {declared:?}");
    assert_eq!(actual(&database), declared);
}

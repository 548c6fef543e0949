//! Opening the database: for reading (every command that only reads: the file must exist
//! and is never created, migrated or written) or for writing (`ingest`, `notify`,
//! `prune`, `migrate`).

use std::path::Path;

use anyhow::Context;
use smtplog_core::store::{Store, StoreError};

use crate::Failure;

/// Opens `db` read-only. A missing file or an old schema says what to do about it.
pub(crate) fn open_reading(db: &Path) -> Result<Store, Failure> {
    Store::open_read_only(db).map_err(|e| {
        let hint = match e {
            StoreError::Missing(_) => " (run `smtplog ingest` first, or pass --db or --config)",
            _ => "",
        };
        anyhow::Error::from(e)
            .context(format!("cannot read {}{hint}", db.display()))
            .into()
    })
}

/// Opens `db` for writing, creating it and bringing its schema up to date.
pub(crate) fn open_writing(db: &Path) -> Result<Store, Failure> {
    Ok(Store::open(db).with_context(|| format!("cannot open {}", db.display()))?)
}

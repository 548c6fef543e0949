//! Python bindings: the native part (`smtplog._smtplog`) of the `smtplog` module. Each
//! function converts its arguments, calls `smtplog-core` (without the GIL for anything
//! long) and converts the result back; no rule lives here.
//!
//! `errors.rs` the exception hierarchy; `convert.rs` dates, zones, addresses, paths and
//! JSON values; `parse.rs` `parse_line` and `parse_file`; `store.rs` `Store` (ingest,
//! stats, query, records, trace, offenders, send_report, notify); `objects.rs` `Day`,
//! `Table`, `Report`, `Record`; `config.rs` `Config`.

// As in the `smtplog` binary: ingest allocates records on one thread and frees them on
// another, which the system allocator does slowly. (It serves this library's Rust
// allocations only; Python keeps its own.)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod config;
mod convert;
mod errors;
mod objects;
mod parse;
mod store;

use pyo3::prelude::*;

/// The native part of smtplog: see the `smtplog` package for the documentation.
#[pymodule]
fn _smtplog(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", smtplog_core::VERSION)?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(parse::parse_line, m)?)?;
    m.add_function(wrap_pyfunction!(parse::parse_file, m)?)?;
    m.add_class::<parse::ParsedLines>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::Records>()?;
    m.add_class::<objects::Day>()?;
    m.add_class::<objects::Table>()?;
    m.add_class::<objects::Report>()?;
    m.add_class::<objects::Record>()?;
    m.add_class::<config::Config>()?;
    Ok(())
}

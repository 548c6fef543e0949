//! Python bindings: the `smtplog` module. Each function converts its arguments,
//! calls `smtplog-core` and converts the result back; no rule lives here.

use pyo3::prelude::*;

/// The version of the smtplog library this module was built from.
#[pyfunction]
fn version() -> &'static str {
    smtplog_core::VERSION
}

#[pymodule]
fn _smtplog(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}

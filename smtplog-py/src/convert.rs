//! Arguments in and values out: dates (`datetime.date` or `"YYYY-MM-DD"`), zones, IP
//! addresses, languages, paths, and JSON values as plain Python objects. Errors name the
//! argument.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict, PyList, PyString};
use serde_json::Value;
use smtplog_core::report::Lang;

/// A day: a `datetime.date` (a `datetime.datetime` counts as its date) or `"YYYY-MM-DD"`.
pub(crate) fn date(name: &str, ob: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    if let Ok(s) = ob.cast::<PyString>() {
        let s = s.to_cow()?;
        return NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| {
            PyValueError::new_err(format!("{name}: {s:?} is not a date YYYY-MM-DD ({e})"))
        });
    }
    if ob.cast::<PyDate>().is_ok() {
        return ob
            .extract::<NaiveDate>()
            .map_err(|e| PyValueError::new_err(format!("{name}: {e}")));
    }
    Err(PyTypeError::new_err(format!(
        "{name}: expected a datetime.date or a str YYYY-MM-DD, not {}",
        type_name(ob)
    )))
}

/// The name of `ob`'s type, for messages.
pub(crate) fn type_name(ob: &Bound<'_, PyAny>) -> String {
    ob.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

/// A zone named by its IANA name.
pub(crate) fn zone(name: &str, value: &str) -> PyResult<Tz> {
    value.parse::<Tz>().map_err(|_| {
        PyValueError::new_err(format!(
            "{name}: unknown time zone {value:?} (expected an IANA name such as Asia/Taipei)"
        ))
    })
}

/// The zone used when none is given: `$TZ`, else the system's, else UTC (as the CLI).
pub(crate) fn local_zone() -> Tz {
    if let Ok(name) = std::env::var("TZ")
        && let Ok(tz) = name.trim_start_matches(':').parse::<Tz>()
    {
        return tz;
    }
    if let Ok(name) = iana_time_zone::get_timezone()
        && let Ok(tz) = name.parse::<Tz>()
    {
        return tz;
    }
    chrono_tz::UTC
}

pub(crate) fn ip(name: &str, value: &str) -> PyResult<IpAddr> {
    value
        .trim()
        .parse::<IpAddr>()
        .map_err(|_| PyValueError::new_err(format!("{name}: {value:?} is not an IP address")))
}

pub(crate) fn lang(name: &str, value: &str) -> PyResult<Lang> {
    value
        .parse::<Lang>()
        .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// A path (`str` or `os.PathLike`) or a list of them.
pub(crate) fn paths(name: &str, ob: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(p) = ob.extract::<PathBuf>() {
        return Ok(vec![p]);
    }
    let bad = || {
        PyTypeError::new_err(format!(
            "{name}: expected a str or os.PathLike, or a list of them, not {}",
            type_name(ob)
        ))
    };
    if ob.cast::<PyString>().is_ok() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for item in ob.try_iter().map_err(|_| bad())? {
        out.push(item?.extract::<PathBuf>().map_err(|_| bad())?);
    }
    if out.is_empty() {
        return Err(PyValueError::new_err(format!("{name}: no log file given")));
    }
    Ok(out)
}

/// A JSON value as plain Python values (dict, list, str, int, float, bool, None).
pub(crate) fn json<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serialisable value as plain Python values.
pub(crate) fn to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| PyValueError::new_err(format!("cannot convert: {e}")))?;
    json(py, &value)
}

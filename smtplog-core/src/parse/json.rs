//! A parsed line as the JSON object every frontend prints for it (`smtplog parse`, the
//! Python module's `parse_line`): the header, the event's kind and its fields by name.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value, json};

use super::Entry;

impl Entry<'_> {
    /// The line as one JSON object: `time` (RFC 3339, or null when the year or zone
    /// could not be resolved), `logged_time` (as logged), `host`, `program`, `pid`,
    /// `kind` ([`Event::kind`](super::Event::kind)), `repeat` (only when syslog
    /// collapsed repeats), then every field of the event ([`Event::fields`](super::Event::fields)).
    pub fn to_json(&self, time: Option<DateTime<FixedOffset>>) -> Value {
        let mut obj = Map::new();
        let h = &self.header;
        obj.insert(
            "time".into(),
            time.map_or(Value::Null, |t| Value::String(t.to_rfc3339())),
        );
        obj.insert("logged_time".into(), Value::String(h.time.to_string()));
        obj.insert(
            "host".into(),
            h.host.map_or(Value::Null, |s| Value::String(s.into())),
        );
        obj.insert("program".into(), Value::String(h.program.as_str().into()));
        obj.insert("pid".into(), h.pid.map_or(Value::Null, |p| json!(p)));
        obj.insert("kind".into(), Value::String(self.event.kind().into()));
        if self.repeat > 1 {
            obj.insert("repeat".into(), json!(self.repeat));
        }
        for (name, value) in self.event.fields() {
            obj.insert(name.into(), Value::String(value.into()));
        }
        Value::Object(obj)
    }
}

//! Benchmark support for smtplog: a deterministic generator of realistic Postfix relay
//! logs ([`generator`]), used by the criterion benches, by the `smtplog-loggen` binary and
//! by tests that need large logs with a known meaning.

pub mod generator;

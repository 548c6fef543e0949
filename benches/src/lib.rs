//! A deterministic generator of realistic Postfix logs, for benches and large tests.

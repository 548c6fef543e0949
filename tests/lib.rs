//! Test-only package: see `it/` for the test binary.

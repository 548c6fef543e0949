//! The cross-crate test binary (one binary: every module below is part of it).

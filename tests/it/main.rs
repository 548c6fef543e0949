//! The cross-crate test binary (one binary: every module below is part of it).

mod parse_lines;

//! The cross-crate test binary (one binary: every module below is part of it).

mod corpus;
mod correlate;
mod ingest;
mod parse_lines;
mod parse_props;
mod postfix_truth;
mod report;

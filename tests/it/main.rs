//! The cross-crate test binary (one binary: every module below is part of it).

mod anomalies;
mod audit;
mod browser;
mod cli;
mod config;
mod corpus;
mod correlate;
mod faults;
mod filters;
mod ingest;
mod mail;
mod parse_lines;
mod parse_props;
mod postfix_truth;
mod report;
mod top;
mod web;

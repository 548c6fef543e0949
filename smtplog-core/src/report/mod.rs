//! Reports: a sender's history as the people and programs who read it see it.

pub mod json;

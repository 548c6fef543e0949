//! Counters of a parse run: lines by outcome and events by kind, with a few sample lines
//! of each bad outcome. They add up (`+=`), so per-file results merge.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use super::Parsed;

/// How many sample lines of each bad outcome are kept by default.
pub const SAMPLES_KEPT: usize = 5;

/// Counts by event kind. Kinds are the `&'static str` names of [`super::Event::kind`], a
/// few dozen at most, so a short list found by address beats a map on every line.
#[derive(Clone, Debug, Default)]
pub struct KindCounts(Vec<(&'static str, u64)>);

impl KindCounts {
    /// Adds `n` to `kind`.
    pub fn add(&mut self, kind: &'static str, n: u64) {
        let found = self
            .0
            .iter()
            .position(|(k, _)| std::ptr::eq(*k, kind))
            .or_else(|| self.0.iter().position(|(k, _)| *k == kind));
        match found {
            Some(i) => {
                self.0[i].1 += n;
                // Frequent kinds move to the front, so they are found in a step or two.
                if i > 0 && self.0[i].1 > self.0[i - 1].1 {
                    self.0.swap(i, i - 1);
                }
            }
            None => self.0.push((kind, n)),
        }
    }

    /// Kinds and counts, by kind name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.sorted().into_iter()
    }

    /// The counts, in the order of [`KindCounts::iter`].
    pub fn values(&self) -> impl Iterator<Item = u64> + '_ {
        self.iter().map(|(_, n)| n)
    }

    fn sorted(&self) -> BTreeMap<&'static str, u64> {
        let mut map = BTreeMap::new();
        for &(k, n) in &self.0 {
            *map.entry(k).or_insert(0) += n;
        }
        map
    }
}

impl PartialEq for KindCounts {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Eq for KindCounts {}

impl serde::Serialize for KindCounts {
    /// A JSON object from kind to count, keys in order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.sorted().serialize(serializer)
    }
}

/// The `smtplog parse --summary` object, a contract scripts rely on: the counters
/// (`lines`, `postfix_lines`, `skipped`, `malformed`, `unrecognized_postfix`), events by
/// kind (`by_kind`), and the sample lines of each bad outcome (`samples`).
impl serde::Serialize for ParseStats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(serde::Serialize)]
        struct Samples<'a> {
            malformed: &'a [String],
            unrecognized_postfix: &'a [String],
        }
        let mut o = serializer.serialize_struct("ParseStats", 7)?;
        o.serialize_field("lines", &self.lines)?;
        o.serialize_field("postfix_lines", &self.postfix_lines)?;
        o.serialize_field("skipped", &self.skipped)?;
        o.serialize_field("malformed", &self.malformed)?;
        o.serialize_field("unrecognized_postfix", &self.unrecognized_postfix)?;
        o.serialize_field("by_kind", &self.by_kind)?;
        o.serialize_field(
            "samples",
            &Samples {
                malformed: &self.malformed_samples,
                unrecognized_postfix: &self.unrecognized_samples,
            },
        )?;
        o.end()
    }
}

/// What a parse run saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseStats {
    /// How many sample lines of each bad outcome to keep.
    pub samples_kept: usize,
    /// Every line read.
    pub lines: u64,
    /// Lines whose program is Postfix (recognised or not).
    pub postfix_lines: u64,
    /// Lines of other programs and blank lines.
    pub skipped: u64,
    /// Lines that could not be read at all.
    pub malformed: u64,
    /// Postfix lines of no known shape.
    pub unrecognized_postfix: u64,
    /// Recognised Postfix lines by event kind.
    pub by_kind: KindCounts,
    /// Up to [`SAMPLES_KEPT`] malformed lines, with their reason.
    pub malformed_samples: Vec<String>,
    /// Up to [`SAMPLES_KEPT`] unrecognised Postfix lines.
    pub unrecognized_samples: Vec<String>,
}

impl Default for ParseStats {
    fn default() -> Self {
        ParseStats::with_samples(SAMPLES_KEPT)
    }
}

impl ParseStats {
    /// Empty counters that keep up to `n` sample lines of each bad outcome.
    pub fn with_samples(n: usize) -> Self {
        ParseStats {
            samples_kept: n,
            lines: 0,
            postfix_lines: 0,
            skipped: 0,
            malformed: 0,
            unrecognized_postfix: 0,
            by_kind: Default::default(),
            malformed_samples: Vec::new(),
            unrecognized_samples: Vec::new(),
        }
    }

    /// Counts one line and what it parsed to.
    pub fn record(&mut self, line: &str, parsed: &Parsed<'_>) {
        self.lines += 1;
        match parsed {
            Parsed::Entry(entry) => {
                self.postfix_lines += 1;
                self.by_kind.add(entry.event.kind(), 1);
            }
            Parsed::Unrecognized { .. } => {
                self.postfix_lines += 1;
                self.unrecognized_postfix += 1;
                keep(&mut self.unrecognized_samples, self.samples_kept, || {
                    line.to_string()
                });
            }
            Parsed::Skipped(_) => self.skipped += 1,
            Parsed::Malformed(why) => {
                self.malformed += 1;
                keep(&mut self.malformed_samples, self.samples_kept, || {
                    format!("{why}: {}", clip(line))
                });
            }
        }
    }
}

/// Keeps a sample, made only while fewer than `max` are kept (a log of millions of bad
/// lines copies a few).
fn keep(samples: &mut Vec<String>, max: usize, line: impl FnOnce() -> String) {
    if samples.len() < max {
        samples.push(line());
    }
}

/// At most 300 bytes of a line, cut at a character boundary.
fn clip(line: &str) -> &str {
    let mut end = line.len().min(300);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

impl AddAssign<&ParseStats> for ParseStats {
    fn add_assign(&mut self, other: &ParseStats) {
        self.lines += other.lines;
        self.postfix_lines += other.postfix_lines;
        self.skipped += other.skipped;
        self.malformed += other.malformed;
        self.unrecognized_postfix += other.unrecognized_postfix;
        for (kind, n) in other.by_kind.iter() {
            self.by_kind.add(kind, n);
        }
        for s in &other.malformed_samples {
            keep(&mut self.malformed_samples, self.samples_kept, || s.clone());
        }
        for s in &other.unrecognized_samples {
            keep(&mut self.unrecognized_samples, self.samples_kept, || {
                s.clone()
            });
        }
    }
}

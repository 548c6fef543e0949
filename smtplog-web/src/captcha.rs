//! The captchas' pictures: the answers of recently issued captchas, kept in memory only
//! to draw them (the store checks the guesses), the SVG image and the spoken digits.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::page::escape;

/// At most this many answers are kept; the oldest goes first.
const MAX_KEPT: usize = 10_000;

/// Answers by captcha ID, each until its captcha expires.
#[derive(Debug)]
pub(crate) struct Answers {
    ttl: Duration,
    kept: Mutex<HashMap<String, (String, Instant)>>,
}

impl Answers {
    pub(crate) fn new(ttl: Duration) -> Answers {
        Answers {
            ttl,
            kept: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn insert(&self, id: String, answer: String) {
        let now = Instant::now();
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|_, (_, until)| *until > now);
        while kept.len() >= MAX_KEPT {
            let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            kept.remove(&oldest);
        }
        kept.insert(id, (answer, now + self.ttl));
    }

    pub(crate) fn get(&self, id: &str) -> Option<String> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(answer, _)| answer.clone())
    }
}

/// `n` random lower-case hex digits.
pub(crate) fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// Five random digits.
pub(crate) fn random_answer() -> String {
    let mut rng = rand::rng();
    (0..5)
        .map(|_| char::from_digit(rng.random_range(0..10), 10).unwrap_or('0'))
        .collect()
}

/// True for a captcha ID as issued: 32 hex digits.
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The answer drawn as an SVG image: each character rotated and shifted a little, with
/// noise lines across.
pub(crate) fn svg(answer: &str) -> String {
    let mut rng = rand::rng();
    let count = answer.chars().count().max(1);
    let width = 30 * count + 30;
    let height = 60;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\"><rect width=\"100%\" height=\"100%\" fill=\"#f4f4f0\"/>"
    );
    for (i, ch) in answer.chars().enumerate() {
        let x = 20 + 30 * i as i32 + rng.random_range(-4..=4);
        let y = 40 + rng.random_range(-6..=6);
        let angle = rng.random_range(-25..=25);
        let size = rng.random_range(26..=34);
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{y}\" transform=\"rotate({angle} {x} {y})\" \
             font-family=\"monospace\" font-size=\"{size}\" font-weight=\"bold\" \
             fill=\"#223\">{}</text>",
            escape(&ch.to_string())
        ));
    }
    for _ in 0..5 {
        let (x1, y1) = (rng.random_range(0..width), rng.random_range(0..height));
        let (x2, y2) = (rng.random_range(0..width), rng.random_range(0..height));
        out.push_str(&format!(
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#667\" stroke-width=\"1.5\"/>"
        ));
    }
    out.push_str("</svg>");
    out
}

/// What became of speaking the answer.
pub(crate) enum Spoken {
    /// A WAV file.
    Wav(Vec<u8>),
    /// espeak-ng is not installed.
    Missing,
    /// It ran and failed.
    Failed(String),
}

/// The answer's characters spoken one by one by `espeak-ng --stdout` (blocking).
pub(crate) fn speak(answer: &str) -> Spoken {
    let text = answer
        .chars()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let output = std::process::Command::new("espeak-ng")
        .args(["--stdout", "-v", "en", "-s", "110", "--"])
        .arg(&text)
        .stdin(std::process::Stdio::null())
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Spoken::Missing,
        Err(e) => Spoken::Failed(e.to_string()),
        Ok(out) if out.status.success() && !out.stdout.is_empty() => Spoken::Wav(out.stdout),
        Ok(out) => Spoken::Failed(format!("espeak-ng exited with {}", out.status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_answers_and_the_image() {
        let id = random_hex(32);
        assert!(valid_id(&id));
        assert!(!valid_id("../etc/passwd"));
        let answer = random_answer();
        assert_eq!(answer.len(), 5);
        assert!(answer.bytes().all(|b| b.is_ascii_digit()));
        let image = svg("<&>");
        assert!(image.contains("&lt;") && image.contains("&amp;") && !image.contains("<&>"));
        let answers = Answers::new(Duration::from_secs(60));
        answers.insert(id.clone(), answer.clone());
        assert_eq!(answers.get(&id), Some(answer));
        assert_eq!(answers.get("nope"), None);
        let gone = Answers::new(Duration::ZERO);
        gone.insert(id.clone(), "1".into());
        assert_eq!(gone.get(&id), None);
    }
}

//! Message keys: a (host, instance) pair interned to a number and the queue ID held
//! inline, so that a key is `Copy` and looking a message up allocates nothing.

use super::state::MessageKey;

/// A queue ID held inline (queue IDs are at most 32 characters), so that keys are `Copy`
/// and looking a message up allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Qid {
    len: u8,
    bytes: [u8; 32],
}

impl Qid {
    pub(super) fn new(s: &str) -> Qid {
        let mut bytes = [0u8; 32];
        let n = s.len().min(32);
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        Qid {
            len: n as u8,
            bytes,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

/// The internal key of a message: an interned (host, instance) and the queue ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Key {
    pub(super) origin: u32,
    pub(super) qid: Qid,
}

/// The (host, instance) pairs seen, each interned once; `Key::origin` indexes them.
#[derive(Debug, Default)]
pub(super) struct Origins(
    Vec<(String, String)>,
    /// The origin found last: consecutive lines mostly come from the same host and
    /// instance, and trying it first spares comparing the others.
    usize,
);

impl Origins {
    /// The number of `host`/`instance`, interning it on first sight.
    pub(super) fn origin(&mut self, host: &str, instance: &str) -> u32 {
        let is = |(h, i): &(String, String)| h == host && i == instance;
        if self.0.get(self.1).is_some_and(is) {
            return self.1 as u32;
        }
        self.1 = match self.0.iter().position(is) {
            Some(found) => found,
            None => {
                self.0.push((host.to_string(), instance.to_string()));
                self.0.len() - 1
            }
        };
        self.1 as u32
    }

    /// The key of a saved message key.
    pub(super) fn intern(&mut self, key: &MessageKey) -> Key {
        Key {
            origin: self.origin(&key.host, &key.instance),
            qid: Qid::new(&key.queue_id),
        }
    }

    /// The saved form of a key.
    pub(super) fn external(&self, key: &Key) -> MessageKey {
        let (host, instance) = self.pair(key.origin);
        MessageKey {
            host: host.to_string(),
            instance: instance.to_string(),
            queue_id: key.qid.as_str().to_string(),
        }
    }

    /// `self.external(key).to_text()`, written at once.
    pub(super) fn text(&self, key: &Key) -> String {
        let (host, instance) = self.pair(key.origin);
        let queue_id = key.qid.as_str();
        let mut text = String::with_capacity(host.len() + instance.len() + queue_id.len() + 2);
        for (i, part) in [host, instance, queue_id].into_iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            text.push_str(part);
        }
        debug_assert_eq!(text, self.external(key).to_text());
        text
    }

    /// The host and instance of an origin.
    pub(super) fn pair(&self, origin: u32) -> (&str, &str) {
        let (h, i) = &self.0[origin as usize];
        (h, i)
    }

    /// The origins on the same host as `origin`, `origin` itself first.
    pub(super) fn same_host(&self, origin: u32) -> impl Iterator<Item = u32> + '_ {
        let host = &self.0[origin as usize].0;
        std::iter::once(origin).chain(
            self.0
                .iter()
                .enumerate()
                .filter(move |(i, (h, _))| *i as u32 != origin && h == host)
                .map(|(i, _)| i as u32),
        )
    }
}

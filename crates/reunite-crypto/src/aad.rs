//! Unambiguous encoding of associated data and MAC inputs.
//!
//! Every variable-length part is prefixed by its length as a big-endian `u64`, so that
//! `("ab", "c")` and `("a", "bc")` never encode the same bytes.

pub(crate) struct Aad(Vec<u8>);

impl Aad {
    /// Starts with a domain-separation string (itself length-prefixed).
    pub(crate) fn new(domain: &str) -> Self {
        let mut a = Aad(Vec::with_capacity(128));
        a.push(domain.as_bytes());
        a
    }

    /// Appends a length-prefixed part.
    pub(crate) fn push(&mut self, part: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&(part.len() as u64).to_be_bytes());
        self.0.extend_from_slice(part);
        self
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Aad;

    #[test]
    fn length_prefix_makes_encoding_unambiguous() {
        let mut a = Aad::new("d");
        a.push(b"ab").push(b"c");
        let mut b = Aad::new("d");
        b.push(b"a").push(b"bc");
        assert_ne!(a.as_bytes(), b.as_bytes());
    }
}

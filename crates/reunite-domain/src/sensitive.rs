//! A wrapper for personal or secret values that must never reach a log.

use std::fmt;

/// Holds a value that identifies a person or is secret. `Debug` and `Display` print
/// `[redacted]`, so a stray `{:?}` in a log line cannot leak it; the value is reached only
/// through [`Sensitive::expose`], which is easy to grep for in review.
///
/// ```
/// use reunite_domain::Sensitive;
/// let name = Sensitive::new(String::from("리영자"));
/// assert_eq!(format!("{name:?}"), "[redacted]");
/// assert_eq!(name.expose(), "리영자");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself. Every call site is a place where personal data is handled.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Sensitive::new("CANARY-7731".to_string());
        assert!(!format!("{s:?}").contains("CANARY"));
        assert!(!format!("{s}").contains("CANARY"));
        assert!(!format!("{:#?}", Some(&s)).contains("CANARY"));
        assert_eq!(s.expose(), "CANARY-7731");
    }
}

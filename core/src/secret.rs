//! The `app_secret`, kept behind a type that cannot print it.

use std::fmt;

/// The mask printed wherever a secret would otherwise appear, as the platform itself does.
pub const MASK: &str = "***";

/// A parking lot's (or subscriber's) `app_secret`.
///
/// `Debug` and `Display` print `***`; the only way to read the value is [`AppSecret::expose`],
/// which the signing code calls and nothing that formats output does.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(String);

impl AppSecret {
    /// Wraps a secret. An empty secret is allowed here (the platform would reject it);
    /// callers that take user input check [`AppSecret::is_empty`] to give a clear error.
    pub fn new(secret: impl Into<String>) -> Self {
        AppSecret(secret.into())
    }

    /// The raw value, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no secret was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for AppSecret {
    fn from(s: &str) -> Self {
        AppSecret::new(s)
    }
}

impl From<String> for AppSecret {
    fn from(s: String) -> Self {
        AppSecret(s)
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppSecret({})", MASK)
    }
}

impl fmt::Display for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = AppSecret::new("hunter2");
        assert_eq!(format!("{}", s), "***");
        assert_eq!(format!("{:?}", s), "AppSecret(***)");
        assert!(!format!("{:#?}", s).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}

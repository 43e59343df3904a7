//! # pyun-core
//!
//! Everything a parking-lot system needs to talk to the P云 (4pyun) parking cloud, without I/O
//! policy: the MD5 signature ([`sign`]), typed records for the four upstream endpoints
//! ([`record`]), the exact signed wire request ([`SignedRequest`]), the platform's answers and
//! their meaning ([`response`]), a diagnosis of ignored pushes ([`explain()`]), and verification
//! of the pushes the platform sends to subscribers ([`push`]). With the `http` feature (on by
//! default) a blocking, thread-safe [`Client`] sends records with retries.
//!
//! ```
//! use pyun_core::{AppSecret, sign::sign};
//! let fields = [("park_uuid", "p1"), ("plate", "粤B12345")];
//! assert_eq!(sign(&fields, &AppSecret::new("123")).len(), 32);
//! ```
#![warn(missing_docs)]

pub mod amount;
#[cfg(any(feature = "outbox", feature = "push-store"))]
mod app_ids;
mod body;
#[cfg(feature = "http")]
pub mod client;
pub mod codes;
pub mod contract;
pub mod diagnosis;
pub mod endpoint;
pub mod error;
pub mod explain;
pub mod field_value;
pub mod form;
mod garbled;
mod json_error;
pub mod json_fields;
pub mod messages;
#[cfg(feature = "outbox")]
pub mod outbox;
pub mod payment;
mod plate;
pub mod push;
#[cfg(feature = "push-store")]
pub mod push_store;
pub mod receive;
pub mod record;
pub mod request;
#[cfg(feature = "http")]
mod resolver;
pub mod response;
pub mod secret;
pub mod sign;
pub mod text;
pub mod time;

#[cfg(feature = "http")]
pub use client::{Client, ClientConfig, PushResult, RetryPolicy};
pub use endpoint::Endpoint;
pub use error::{Error, Problem, ProblemKind, Result, ValidationError};
pub use explain::{explain, Diagnosis};
pub use form::{FileField, FilePart, FileSource};
pub use messages::{Lang, Msg, Text};
#[cfg(feature = "outbox")]
pub use outbox::{Outbox, OutboxOptions};
pub use record::{AnyRecord, EnterRecord, LeaveRecord, Record, ReleaseRecord, UpdateRecord};
pub use request::{build_request, BuildOptions, SignedRequest};
pub use response::{classify, Outcome, Response};
pub use secret::AppSecret;

/// This library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

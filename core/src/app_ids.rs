//! The `PRAGMA application_id` of pyun's two SQLite databases, in one place: each store
//! recognises, and names, the other instead of taking it for a foreign file or writing to it.

/// An outbox ("PYOB").
pub const OUTBOX: i32 = 0x5059_4F42;

/// A push store of `pyun listen` ("PYPS").
pub const PUSH_STORE: i32 = 0x5059_5053;

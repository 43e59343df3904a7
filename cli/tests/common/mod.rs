pub mod fixtures;
pub mod listener;

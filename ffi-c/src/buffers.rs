//! Strings and bodies handed out to the host: every one is recorded, address to length, so
//! that `pyun_string_free` and `pyun_bytes_free` free exactly the allocation recorded, with its
//! recorded length (the caller may have written into the string); an address that is not
//! there (foreign, static, inside a buffer, freed before) is ignored and reported, never passed
//! to the allocator. Sharded like the handle registries (`handle.rs`), by a hash of the address.

use std::collections::BTreeMap;
use std::os::raw::c_char;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::handle::{Padded, SHARDS};
use crate::panic::release_guard;

/// What a buffer handed out is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Buffer {
    /// A string for `pyun_string_free`: its length with the NUL.
    Str(usize),
    /// A body for `pyun_bytes_free`: the length the caller was given.
    Bytes(usize),
}

impl Buffer {
    /// The length of the allocation (an empty body is a 1-byte allocation, so that it has an
    /// address of its own).
    fn allocation(self) -> usize {
        match self {
            Buffer::Str(n) => n,
            Buffer::Bytes(n) => n.max(1),
        }
    }
}

type BufferShard = Padded<Mutex<BTreeMap<usize, Buffer>>>;

/// Every buffer handed out and not yet freed, by address.
static BUFFERS: [BufferShard; SHARDS] = [const { Padded(Mutex::new(BTreeMap::new())) }; SHARDS];

/// The shard of an address: a multiplicative hash, because allocations are aligned and close.
fn buffers(addr: usize) -> MutexGuard<'static, BTreeMap<usize, Buffer>> {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (addr as u64 >> 4).wrapping_mul(GOLDEN) >> (64 - SHARDS.trailing_zeros());
    BUFFERS[h as usize]
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Hands out `bytes` (which hold no NUL) as a NUL-terminated string for `pyun_string_free`.
pub(crate) fn out_string(mut bytes: Vec<u8>) -> *mut c_char {
    bytes.push(0);
    let len = bytes.len();
    let ptr = Box::into_raw(bytes.into_boxed_slice()) as *mut u8;
    buffers(ptr.addr()).insert(ptr.addr(), Buffer::Str(len));
    ptr as *mut c_char
}

/// Hands out `bytes` as a body for `pyun_bytes_free`: the pointer and the length.
pub(crate) fn out_bytes(mut bytes: Vec<u8>) -> (*mut u8, usize) {
    let len = bytes.len();
    if len == 0 {
        bytes.push(0);
    }
    let ptr = Box::into_raw(bytes.into_boxed_slice()) as *mut u8;
    buffers(ptr.addr()).insert(ptr.addr(), Buffer::Bytes(len));
    (ptr, len)
}

/// Takes a buffer out of the registry and frees it; `None` when `ptr` is not one.
pub(crate) fn free_buffer(ptr: *mut u8) -> Option<Buffer> {
    let buffer = buffers(ptr.addr()).remove(&ptr.addr())?;
    // SAFETY: the address was in the registry, so it is the start of a live allocation made by
    // `out_string` / `out_bytes` as a `Box<[u8]>` of `buffer.allocation()` bytes, and taking it
    // out under the lock makes this the only release of it.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, buffer.allocation())) });
    Some(buffer)
}

/// `pyun_string_free`.
pub(crate) fn release_string(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    release_guard(|_| match free_buffer(s as *mut u8) {
        Some(Buffer::Str(_)) => Ok(()),
        Some(Buffer::Bytes(_)) => Err(misuse(Msg::FfiStringIsBody, &[])),
        None => Err(misuse(Msg::FfiStringNotOurs, &[])),
    })
}

/// `pyun_bytes_free`.
pub(crate) fn release_bytes(bytes: *mut u8, len: usize) {
    if bytes.is_null() {
        return;
    }
    release_guard(|_| match free_buffer(bytes) {
        Some(Buffer::Bytes(n)) if n == len => Ok(()),
        Some(Buffer::Bytes(n)) => Err(misuse(Msg::FfiBytesLen, &[&len, &n])),
        Some(Buffer::Str(_)) => Err(misuse(Msg::FfiBytesIsString, &[])),
        None => Err(misuse(Msg::FfiBytesNotOurs, &[])),
    })
}

fn misuse(msg: Msg, args: &[&dyn std::fmt::Display]) -> FfiError {
    FfiError::msg(pyun_result::InvalidHandle, msg, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_freed_once_and_only_when_ours() {
        let s = out_string(b"abc".to_vec());
        let (b, n) = out_bytes(Vec::new());
        assert_eq!(n, 0);
        assert!(free_buffer(s.wrapping_add(1) as *mut u8).is_none());
        assert_eq!(free_buffer(s as *mut u8), Some(Buffer::Str(4)));
        assert_eq!(free_buffer(s as *mut u8), None);
        let mut local = 0u8;
        assert_eq!(free_buffer(&mut local), None);
        assert_eq!(free_buffer(b), Some(Buffer::Bytes(0)));
    }
}

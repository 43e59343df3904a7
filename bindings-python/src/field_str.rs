//! Field strings read from Python without a copy where the interpreter allows it.
//!
//! Why by hand: for the `abi3-py39` wheel PyO3 reads a `str` by encoding it into a new `bytes`
//! object (`PyUnicode_AsUTF8String`), because `PyUnicode_AsUTF8AndSize`, which lends the str's
//! own UTF-8 buffer (for an ASCII str, its data itself), joined the stable ABI only in 3.10.
//! For the 27 fields of a leave record those copies were a third of `pyun.sign`'s time
//! (docs/BENCHMARKS.md). Every CPython since 3.3 exports `PyUnicode_AsUTF8AndSize` with this
//! signature, and from 3.10 the stable ABI guarantees it, so it is declared here. Not on
//! Windows: an abi3 module links to `python3.dll`, which lacks it before 3.10; there the copy
//! stays.

use pyo3::prelude::*;
use pyo3::types::PyString;

#[cfg(not(windows))]
extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

/// The UTF-8 text of a Python `str`, valid as long as this value (which keeps the str alive).
pub enum FieldStr<'py> {
    /// The str's own UTF-8 buffer: a str is immutable, and the buffer lives as long as it.
    #[cfg(not(windows))]
    Lent {
        _owner: Bound<'py, PyString>,
        ptr: *const u8,
        len: usize,
    },
    #[cfg(windows)]
    Copied(
        pyo3::pybacked::PyBackedStr,
        std::marker::PhantomData<&'py ()>,
    ),
}

impl<'py> FieldStr<'py> {
    /// Fails (with Python's `UnicodeEncodeError`) only for a str holding lone surrogates,
    /// which have no UTF-8 form.
    pub fn new(s: Bound<'py, PyString>) -> PyResult<Self> {
        #[cfg(not(windows))]
        {
            let mut len: pyo3::ffi::Py_ssize_t = 0;
            // SAFETY: `s` is a live str and the GIL is held (`Bound<'py, _>`); the call returns
            // either NULL with an exception set, or a buffer of `len` valid UTF-8 bytes owned
            // by the str.
            let ptr = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
            if ptr.is_null() {
                return Err(PyErr::fetch(s.py()));
            }
            Ok(FieldStr::Lent {
                _owner: s,
                ptr: ptr.cast(),
                len: len as usize,
            })
        }
        #[cfg(windows)]
        {
            Ok(FieldStr::Copied(s.try_into()?, std::marker::PhantomData))
        }
    }
}

impl AsRef<str> for FieldStr<'_> {
    fn as_ref(&self) -> &str {
        match self {
            #[cfg(not(windows))]
            // SAFETY: see `FieldStr::new`; `_owner` keeps the buffer alive while `self` lives.
            FieldStr::Lent { ptr, len, .. } => unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(*ptr, *len))
            },
            #[cfg(windows)]
            FieldStr::Copied(s, _) => &**s,
        }
    }
}

impl std::ops::Deref for FieldStr<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_ref()
    }
}

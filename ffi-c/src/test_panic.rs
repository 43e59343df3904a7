//! `pyun_test_panic`: an export that panics inside the boundary, only in a build with the
//! `test-panic` feature. `scripts/windows.sh` calls it in a host that has MinGW's
//! `libgcc_s_dw2-1.dll` loaded, to prove the 32-bit DLL's unwind tables are its own (the
//! host gets `PYUN_RESULT_PANIC` back instead of an abort). Never in a released DLL.

use crate::charset::Charset;
use crate::error::pyun_result;
use crate::panic::guard;

/// Panics inside the panic boundary; returns `PYUN_RESULT_PANIC`.
#[no_mangle]
pub extern "C" fn pyun_test_panic() -> pyun_result {
    guard(Charset::for_message(0), || {
        panic!("pyun_test_panic was called")
    })
}

/*
 * pyun_vb6.c: __stdcall wrappers over pyun.dll (cdecl) for VB6 `Declare` (bindings-vb6/Pyun.bas,
 * docs/vb6.md). Built for x86 only, beside the 32-bit pyun.dll, exported undecorated
 * (-Wl,--kill-at), so `Declare ... Lib "pyun_vb6.dll"` needs no `Alias`.
 *
 * The wrappers themselves are generated from include/pyun.h into pyun_vb6.g.c, included at the
 * end (`cargo run -p xtask -- gen-kits`, docs/kits.md); this file holds the helpers they call.
 * Rules, the same for every wrapper (the generator's mapping of each kind of argument):
 *   - strings in: `const char *` (VB6 `ByVal s As String`, converted by VB6 to the system code
 *     page), passed through with the charset the caller gives (Pyun.bas: 936, GBK);
 *     `vbNullString` arrives as NULL (for the arguments pyun allows to be NULL);
 *   - strings out: `BSTR *` (VB6 `ByRef s As String`): the old BSTR is freed, the bytes pyun
 *     returned are stored with SysAllocStringByteLen (an "ANSI BSTR", which VB6 converts to
 *     Unicode with the system code page on return) and released with pyun_string_free;
 *   - handles and results: `Long`; 64-bit ids and counts: `Double` (exact below 2^53); other
 *     integers and written enums (the outcome): `Long`;
 *   - a NULL out pointer is passed to pyun as NULL: a required one is PYUN_RESULT_NULL_ARGUMENT;
 *   - received bodies: `Byte` arrays (`ByRef b As Byte`, pass `b(0)`) with their length;
 *     returned bytes (the request body): `_len` gives their length, then a copy into a `Byte`
 *     array;
 *   - no callbacks: VB6 code must not run on pyun's sender or logging threads (see docs/vb6.md),
 *     so pyun_log_set_callback is not wrapped and the sender is started without a callback:
 *     poll pyun_vb6_outbox_events from a Timer, and use the log file sink.
 *   pyun_string_free and pyun_bytes_free are called inside the wrappers: a VB6 program never
 *   holds a pointer pyun allocated.
 */
#include <windows.h>
#include <oleauto.h>
#include <stdint.h>
#include <string.h>
#include "pyun.h"

#define VB6API __declspec(dllexport) int32_t __stdcall
#define VB6SUB __declspec(dllexport) void __stdcall

/* A string pyun returned -> an ANSI BSTR in *out, then released through pyun. */
static void to_bstr(char *s, BSTR *out) {
    if (out != NULL) {
        SysFreeString(*out);
        *out = SysAllocStringByteLen(s, s != NULL ? (UINT)strlen(s) : 0);
    }
    pyun_string_free(s);
}

/* Double -> int64 (ids, positions): truncated toward zero, clamped. */
static int64_t to_i64(double d) {
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

/* u64 from a VB6 Double (byte counts): truncated toward zero, clamped; NaN and negatives 0. */
static uint64_t to_u64(double d) {
    if (d != d || d <= 0) return 0;
    if (d >= 18446744073709551615.0) return UINT64_MAX;
    return (uint64_t)d;
}

/* A static string pyun returned (not freed) -> an ANSI BSTR in *out. */
static int32_t static_to_bstr(const char *s, BSTR *out) {
    if (out == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    SysFreeString(*out);
    *out = SysAllocStringByteLen(s, (UINT)strlen(s));
    return PYUN_RESULT_OK;
}

/* The caller's-buffer protocol (size_t fn(char *buf, size_t len): the length needed without the
 * NUL) -> an ANSI BSTR in *out. Returns the length in bytes (0: empty), -1 when out of memory. */
static int32_t buf_to_bstr(size_t (*fn)(char *, size_t), BSTR *out) {
    size_t n = fn(NULL, 0);
    BSTR b;
    if (out == NULL) return (int32_t)n;
    b = SysAllocStringByteLen(NULL, (UINT)n);
    if (b == NULL) return -1;
    if (fn((char *)b, n + 1) != n) {
        ((char *)b)[0] = '\0';
        n = 0;
    }
    SysFreeString(*out);
    *out = b;
    return (int32_t)n;
}

/* Bytes pyun returned (rc from the call): *out_len receives their length; they are released. */
static int32_t bytes_len(pyun_result rc, uint8_t *bytes, size_t len, int32_t *out_len) {
    if (rc != PYUN_RESULT_OK) return (int32_t)rc;
    pyun_bytes_free(bytes, len);
    if (out_len == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    if (len > INT32_MAX) return PYUN_RESULT_INVALID_ARGUMENT;
    *out_len = (int32_t)len;
    return PYUN_RESULT_OK;
}

/* Bytes pyun returned, copied into the caller's buf (b(0) of a Byte array of buf_len bytes);
 * *out_len receives their length. A buffer too small: nothing is copied,
 * PYUN_RESULT_INVALID_ARGUMENT, *out_len the size needed. The bytes are released. */
static int32_t bytes_copy(pyun_result rc, uint8_t *bytes, size_t len, uint8_t *buf,
                          int32_t buf_len, int32_t *out_len) {
    int32_t result = PYUN_RESULT_OK;
    if (rc != PYUN_RESULT_OK) return (int32_t)rc;
    if (out_len == NULL) {
        result = PYUN_RESULT_NULL_ARGUMENT;
    } else if (len > INT32_MAX) {
        result = PYUN_RESULT_INVALID_ARGUMENT;
    } else {
        *out_len = (int32_t)len;
        if (buf_len < 0 || (size_t)buf_len < len || (buf == NULL && len > 0)) {
            result = PYUN_RESULT_INVALID_ARGUMENT;
        } else if (len > 0) {
            memcpy(buf, bytes, len);
        }
    }
    pyun_bytes_free(bytes, len);
    return result;
}

/* The wrappers, one per export (generated from include/pyun.h: docs/kits.md). */
#include "pyun_vb6.g.c"

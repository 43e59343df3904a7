/*
 * pyun_vb6.c: __stdcall wrappers over pyun.dll (cdecl) for VB6 `Declare` (bindings-vb6/Pyun.bas,
 * docs/vb6.md). Built for x86 only, beside the 32-bit pyun.dll, exported undecorated
 * (-Wl,--kill-at), so `Declare ... Lib "pyun_vb6.dll"` needs no `Alias`.
 *
 * Rules, the same for every wrapper:
 *   - strings in: `const char *` (VB6 `ByVal s As String`, converted by VB6 to the system code
 *     page), passed through with the charset the caller gives (Pyun.bas: 936, GBK);
 *     `vbNullString` arrives as NULL (for the arguments pyun allows to be NULL);
 *   - strings out: `BSTR *` (VB6 `ByRef s As String`): the old BSTR is freed, the bytes pyun
 *     returned are stored with SysAllocStringByteLen (an "ANSI BSTR", which VB6 converts to
 *     Unicode with the system code page on return) and released with pyun_string_free;
 *   - handles and results: `Long`; 64-bit ids and counts: `Double` (exact below 2^53);
 *   - request bodies: `Byte` arrays (`ByRef b As Byte`, pass `b(0)`) with their length;
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

/* rc, storing the string pyun wrote into *s (when it wrote one) into *out. Takes the address,
 * not the value: `str_result(pyun_x(..., &s), &s, out)` reads s after the call (the order in
 * which C evaluates arguments is unspecified). */
static int32_t str_result(pyun_result rc, char **s, BSTR *out) {
    if (*s != NULL) to_bstr(*s, out);
    return (int32_t)rc;
}

/* Double -> int64 (ids, positions): truncated toward zero, clamped. */
static int64_t to_i64(double d) {
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

/* ---- strings, errors -------------------------------------------------------------------- */

/* Declare Function pyun_vb6_version Lib "pyun_vb6.dll" (ByRef version As String) As Long */
VB6API pyun_vb6_version(BSTR *out_version) {
    const char *v = pyun_version();
    if (out_version == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    SysFreeString(*out_version);
    *out_version = SysAllocStringByteLen(v, (UINT)strlen(v));
    return PYUN_RESULT_OK;
}

/* Declare Function pyun_vb6_last_error_message Lib "pyun_vb6.dll" (ByRef message As String) As Long
 * Returns the length in bytes (0: the last call succeeded). */
VB6API pyun_vb6_last_error_message(BSTR *out_message) {
    size_t n = pyun_last_error_message(NULL, 0);
    BSTR b;
    if (out_message == NULL) return (int32_t)n;
    b = SysAllocStringByteLen(NULL, (UINT)n);
    if (b == NULL) return -1;
    if (pyun_last_error_message((char *)b, n + 1) != n) {
        ((char *)b)[0] = '\0';
        n = 0;
    }
    SysFreeString(*out_message);
    *out_message = b;
    return (int32_t)n;
}

/* ---- signing, verification ------------------------------------------------------------- */

VB6API pyun_vb6_sign(const char *fields_json, const char *app_secret, uint32_t charset,
                     BSTR *out_sign) {
    char *s = NULL;
    return str_result(pyun_sign(fields_json, app_secret, charset, &s), &s, out_sign);
}

VB6API pyun_vb6_canonical_string(const char *fields_json, uint32_t charset, BSTR *out_canonical) {
    char *s = NULL;
    return str_result(pyun_canonical_string(fields_json, charset, &s), &s, out_canonical);
}

VB6API pyun_vb6_verify(const char *push, const char *app_secret, uint32_t charset,
                       int32_t *out_rule) {
    return (int32_t)pyun_verify(push, app_secret, charset, out_rule);
}

VB6API pyun_vb6_sign_push(const char *fields_json, const char *app_secret, const char *app_id,
                          uint32_t charset, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_sign_push(fields_json, app_secret, app_id, charset, &s), &s, out_json);
}

VB6API pyun_vb6_explain(const char *hint, const char *endpoint, const char *record_json,
                        uint32_t charset, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_explain(hint, endpoint, record_json, charset, &s), &s, out_json);
}

VB6API pyun_vb6_explain_files(const char *hint, const char *endpoint, const char *record_json,
                              const char *files_json, uint32_t charset, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_explain_files(hint, endpoint, record_json, files_json, charset, &s), &s,
                      out_json);
}

/* ---- received pushes (body as a Byte array) -------------------------------------------- */

VB6API pyun_vb6_parse_push_request(const char *content_type, const uint8_t *body,
                                   int32_t body_len, uint32_t charset, BSTR *out_json) {
    char *s = NULL;
    if (body_len < 0) return PYUN_RESULT_INVALID_ARGUMENT;
    return str_result(pyun_parse_push_request(content_type, body_len > 0 ? body : NULL,
                                              (size_t)body_len, charset, &s), &s, out_json);
}

VB6API pyun_vb6_verify_push_request(const char *content_type, const uint8_t *body,
                                    int32_t body_len, const char *app_secret, uint32_t charset,
                                    int32_t *out_rule, BSTR *out_json) {
    char *s = NULL;
    if (body_len < 0) return PYUN_RESULT_INVALID_ARGUMENT;
    return str_result(pyun_verify_push_request(content_type, body_len > 0 ? body : NULL,
                                               (size_t)body_len, app_secret, charset, out_rule,
                                               out_json != NULL ? &s : NULL), &s, out_json);
}

/* ---- client ------------------------------------------------------------------------------ */

VB6API pyun_vb6_client_new(const char *config_json, uint32_t charset, pyun_client **out_client) {
    return (int32_t)pyun_client_new(config_json, charset, out_client);
}

VB6SUB pyun_vb6_client_free(pyun_client *client) { pyun_client_free(client); }

VB6API pyun_vb6_client_push(const pyun_client *client, const char *endpoint,
                            const char *record_json, const char *files_json,
                            int32_t *out_outcome, BSTR *out_result_json) {
    pyun_outcome outcome = PYUN_OUTCOME_UNKNOWN;
    char *s = NULL;
    pyun_result rc;
    if (out_outcome == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    rc = pyun_client_push(client, endpoint, record_json, files_json, &outcome,
                          out_result_json != NULL ? &s : NULL);
    if (rc == PYUN_RESULT_OK || rc == PYUN_RESULT_REJECTED) *out_outcome = (int32_t)outcome;
    return str_result(rc, &s, out_result_json);
}

VB6API pyun_vb6_client_build_request(const pyun_client *client, const char *endpoint,
                                     const char *record_json, const char *files_json,
                                     pyun_request **out_request) {
    return (int32_t)pyun_client_build_request(client, endpoint, record_json, files_json,
                                              out_request);
}

VB6API pyun_vb6_request_info(const pyun_request *request, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_request_info(request, &s), &s, out_json);
}

/* Declare Function pyun_vb6_request_body_len Lib "pyun_vb6.dll" (ByVal request As Long, _
 *     ByRef length As Long) As Long */
VB6API pyun_vb6_request_body_len(const pyun_request *request, int32_t *out_len) {
    uint8_t *body = NULL;
    size_t len = 0;
    pyun_result rc;
    if (out_len == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    rc = pyun_request_body(request, &body, &len);
    if (rc != PYUN_RESULT_OK) return (int32_t)rc;
    pyun_bytes_free(body, len);
    if (len > INT32_MAX) return PYUN_RESULT_INVALID_ARGUMENT;
    *out_len = (int32_t)len;
    return PYUN_RESULT_OK;
}

/* Declare Function pyun_vb6_request_body Lib "pyun_vb6.dll" (ByVal request As Long, _
 *     ByRef buf As Byte, ByVal bufLen As Long, ByRef length As Long) As Long
 * Copies the body into buf (pass b(0) of a Byte array of pyun_vb6_request_body_len bytes);
 * *length receives the body's length. A buffer too small: nothing is copied,
 * PYUN_RESULT_INVALID_ARGUMENT (2), *length the size needed. */
VB6API pyun_vb6_request_body(const pyun_request *request, uint8_t *buf, int32_t buf_len,
                             int32_t *out_len) {
    uint8_t *body = NULL;
    size_t len = 0;
    pyun_result rc;
    if (out_len == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    rc = pyun_request_body(request, &body, &len);
    if (rc != PYUN_RESULT_OK) return (int32_t)rc;
    if (len > INT32_MAX) {
        pyun_bytes_free(body, len);
        return PYUN_RESULT_INVALID_ARGUMENT;
    }
    *out_len = (int32_t)len;
    if (buf_len < 0 || (size_t)buf_len < len || (buf == NULL && len > 0)) {
        pyun_bytes_free(body, len);
        return PYUN_RESULT_INVALID_ARGUMENT;
    }
    if (len > 0) memcpy(buf, body, len);
    pyun_bytes_free(body, len);
    return PYUN_RESULT_OK;
}

VB6SUB pyun_vb6_request_free(pyun_request *request) { pyun_request_free(request); }

/* ---- logs: the file sink only (no callback: see the top of this file) --------------------- */

VB6API pyun_vb6_log_set_file(const char *path, uint32_t max_level, double max_bytes,
                             uint32_t charset) {
    uint64_t n = max_bytes <= 0 || max_bytes != max_bytes ? 0 : (uint64_t)max_bytes;
    return (int32_t)pyun_log_set_file(path, max_level, n, charset);
}

/* ---- outbox ---------------------------------------------------------------------------------- */

VB6API pyun_vb6_outbox_open(const char *path, int32_t flags, uint32_t charset,
                            pyun_outbox **out_outbox) {
    return (int32_t)pyun_outbox_open(path, flags, charset, out_outbox);
}

VB6SUB pyun_vb6_outbox_free(pyun_outbox *outbox) { pyun_outbox_free(outbox); }

VB6API pyun_vb6_outbox_enqueue(const pyun_outbox *outbox, const char *endpoint,
                               const char *record_json, const char *files_json, double *out_id) {
    int64_t id = 0;
    pyun_result rc;
    if (out_id == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    rc = pyun_outbox_enqueue(outbox, endpoint, record_json, files_json, &id);
    if (rc == PYUN_RESULT_OK) *out_id = (double)id;
    return (int32_t)rc;
}

VB6API pyun_vb6_outbox_drain(const pyun_outbox *outbox, const pyun_client *client,
                             BSTR *out_report_json) {
    char *s = NULL;
    return str_result(pyun_outbox_drain(outbox, client, &s), &s, out_report_json);
}

VB6API pyun_vb6_outbox_counts(const pyun_outbox *outbox, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_counts(outbox, &s), &s, out_json);
}

VB6API pyun_vb6_outbox_dead_letters(const pyun_outbox *outbox, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_dead_letters(outbox, &s), &s, out_json);
}

/* id < 0: all dead letters. */
VB6API pyun_vb6_outbox_retry_dead(const pyun_outbox *outbox, double id, double *out_count) {
    uint64_t n = 0;
    pyun_result rc;
    if (out_count == NULL) return PYUN_RESULT_NULL_ARGUMENT;
    rc = pyun_outbox_retry_dead(outbox, to_i64(id), &n);
    if (rc == PYUN_RESULT_OK) *out_count = (double)n;
    return (int32_t)rc;
}

VB6API pyun_vb6_outbox_record(const pyun_outbox *outbox, double id, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_record(outbox, to_i64(id), &s), &s, out_json);
}

VB6API pyun_vb6_outbox_find(const pyun_outbox *outbox, const char *key, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_find(outbox, key, &s), &s, out_json);
}

VB6API pyun_vb6_outbox_head(const pyun_outbox *outbox, BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_head(outbox, &s), &s, out_json);
}

/* Events after position afterSeq (0: from the start), at most `limit`: call it from a Timer. */
VB6API pyun_vb6_outbox_events(const pyun_outbox *outbox, double after_seq, uint32_t limit,
                              BSTR *out_json) {
    char *s = NULL;
    return str_result(pyun_outbox_events(outbox, to_i64(after_seq), limit, &s), &s, out_json);
}

/* The background sender, without a callback (its events: pyun_vb6_outbox_events). */
VB6API pyun_vb6_outbox_start_sender(const pyun_outbox *outbox, const pyun_client *client,
                                    uint32_t poll_ms, pyun_sender **out_sender) {
    return (int32_t)pyun_outbox_start_sender(outbox, client, poll_ms, NULL, NULL, 0, out_sender);
}

VB6SUB pyun_vb6_sender_stop(pyun_sender *sender) { pyun_sender_stop(sender); }

/*
 * test_vb6.c: calls every export of pyun_vb6.dll as VB6 does: LoadLibrary, GetProcAddress by
 * the undecorated name, stdcall (the callee pops its arguments), ANSI strings in GBK (936),
 * BSTR out, Long handles, Double ids. Each call goes through call_stdcall below, which saves
 * ESP, pushes the argument words, calls, and reports how far ESP moved: 0 for a callee that
 * popped exactly the bytes it was given (a cdecl function, or a stdcall one with a wrong
 * argument list, moves it). 32-bit only (i686-w64-mingw32-gcc -std=c99), run under wine.
 *
 *   test_vb6.exe            PYUN_SANDBOX_URL, PYUN_APP_SECRET, PYUN_WORK_DIR from the environment
 * Prints "N passed, N failed".
 */
#include <windows.h>
#include <oleauto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyun.h"
#include "../tests/c/test_data.h"

#if !defined(__i386__)
#error "test_vb6.c is for 32-bit x86 (stdcall)"
#endif

/* uint32_t call_stdcall(void *fn, const uint32_t *args, int nwords, int32_t *esp_moved) */
uint32_t call_stdcall(void *fn, const uint32_t *args, int nwords, int32_t *esp_moved);
__asm__(
    ".text\n"
    ".globl _call_stdcall\n"
    "_call_stdcall:\n"
    "    pushl %ebp\n"
    "    movl %esp, %ebp\n"
    "    pushl %esi\n"
    "    pushl %edi\n"
    "    pushl %ebx\n"
    "    movl 16(%ebp), %ecx\n"   /* nwords */
    "    movl 12(%ebp), %esi\n"   /* args */
    "    movl %esp, %edi\n"       /* ESP before the pushes (edi: callee-saved) */
    "1:  testl %ecx, %ecx\n"
    "    jz 2f\n"
    "    decl %ecx\n"
    "    pushl (%esi,%ecx,4)\n"
    "    jmp 1b\n"
    "2:  call *8(%ebp)\n"
    "    movl %esp, %ecx\n"
    "    subl %edi, %ecx\n"       /* 0 when the callee popped all the words */
    "    movl %edi, %esp\n"
    "    movl 20(%ebp), %edx\n"
    "    movl %ecx, (%edx)\n"
    "    popl %ebx\n"
    "    popl %edi\n"
    "    popl %esi\n"
    "    popl %ebp\n"
    "    ret\n");

static int passed, failed;
static HMODULE dll;

static void check(int ok, const char *what, int line) {
    char msg[600];
    if (ok) {
        passed++;
    } else {
        failed++;
        /* the library's last error, straight from pyun.dll (cdecl), for the diagnosis */
        msg[0] = '\0';
        {
            HMODULE core = GetModuleHandleA("pyun.dll");
            size_t (*last)(char *, size_t) = core == NULL ? NULL :
                (size_t (*)(char *, size_t))(void (*)(void))GetProcAddress(core, "pyun_last_error_message");
            if (last != NULL && last(msg, sizeof msg) >= sizeof msg) msg[0] = '\0';
        }
        printf("FAIL line %d: %s [last error: %s]\n", line, what, msg);
    }
}
#define CHECK(c) check((c) != 0, #c, __LINE__)

/* Calls the export `name` with the argument words; checks the stack is balanced. */
static uint32_t vcall(const char *name, const uint32_t *args, int nwords, int line) {
    void *fn = (void *)GetProcAddress(dll, name);
    int32_t moved = 12345;
    uint32_t r;
    char what[200];
    if (fn == NULL) {
        snprintf(what, sizeof what, "GetProcAddress(%s)", name);
        check(0, what, line);
        return 0xFFFFFFFFu;
    }
    r = call_stdcall(fn, args, nwords, &moved);
    snprintf(what, sizeof what, "%s: ESP moved by %ld after the call (stdcall, %d bytes)", name,
             (long)moved, nwords * 4);
    check(moved == 0, what, line);
    return r;
}
#define W(x) ((uint32_t)(uintptr_t)(x))
/* A Double argument: two words, low first (as pushed by VB6 for ByVal As Double). */
static uint32_t dword_of(double d, int hi) {
    uint32_t w[2];
    memcpy(w, &d, sizeof d);
    return w[hi];
}
#define D(x) dword_of((x), 0), dword_of((x), 1)
#define CALL(name, ...) \
    ((int32_t)vcall(name, (const uint32_t[]){__VA_ARGS__}, \
                    (int)(sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)), __LINE__))
#define GBK PYUN_CHARSET_GBK

/* A BSTR's bytes as a C string (ANSI BSTR: the bytes pyun returned). */
static const char *bs(BSTR b) { return b != NULL ? (const char *)b : "(null)"; }
static size_t bslen(BSTR b) { return b != NULL ? SysStringByteLen(b) : 0; }
static void bfree(BSTR *b) {
    SysFreeString(*b);
    *b = NULL;
}

static const char *env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

/* An enter record with GBK text (粤B12345, 东门入口, 张三, 临停). */
static void make_record(char *record, size_t size, const char *serial) {
    snprintf(record, size,
             "{\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"%s\","
             "\"plate\":\"\324\301B12345\",\"plate_color\":1,\"plate_type\":0,\"enter_time\":\"1763791200000\","
             "\"enter_gate\":\"\266\253\303\305\310\353\277\332\",\"enter_security\":\"\325\305\310\375\","
             "\"car_type\":1,\"car_desc\":\"\301\331\315\243\",\"car_color\":4,\"charge_type\":\"1\","
             "\"vehicle_type\":1,\"total_parking_space\":\"100\",\"remain_parking_space\":\"57\"}",
             serial);
}

int main(void) {
    BSTR s = NULL, t = NULL;
    int32_t rule = -1, outcome = -1, len = -1, len2 = -1;
    int32_t client = 0, request = 0, outbox = 0, sender = 0, rc;
    double id = -1, count = -1, ms = 0, ms2 = 0;
    int32_t found = -1;
    char buf[4096], path[1024], logpath[1024], serial[64], record[2048];
    uint8_t *body;
    const char *url = env("PYUN_SANDBOX_URL", "http://127.0.0.1:9");
    const char *secret = env("PYUN_APP_SECRET", "sandbox-secret");
    const char *work = env("PYUN_WORK_DIR", ".");
    /* 粤B12345 and 临停 in GBK (code page 936), as VB6 passes a String on Chinese Windows */
    const char *plate_gbk = "\324\301B12345";
    const char *prefix_gbk = "\307\251\303\373\321\351\326\244\262\273\315\250\271\375["; /* 签名验证不通过[ */

    dll = LoadLibraryA("pyun_vb6.dll");
    if (dll == NULL) {
        printf("LoadLibrary(pyun_vb6.dll) failed: error %lu\n", (unsigned long)GetLastError());
        printf("0 passed, 1 failed\n");
        return 1;
    }

    /* the checker itself: a cdecl function of pyun.dll leaves its 8 bytes of arguments on the
     * stack, which call_stdcall must see (the error VB6 reports as "Bad DLL calling convention") */
    {
        void *cdecl_fn = (void *)GetProcAddress(GetModuleHandleA("pyun.dll"), "pyun_last_error_message");
        const uint32_t args[2] = {0, 0};
        int32_t moved = 0;
        CHECK(cdecl_fn != NULL);
        if (cdecl_fn != NULL) {
            call_stdcall(cdecl_fn, args, 2, &moved);
            CHECK(moved == -8);
            printf("ESP check: a cdecl call through the stdcall thunk leaves %ld bytes: detected\n",
                   (long)-moved);
        }
    }

    /* version, last error */
    CHECK(CALL("pyun_vb6_version", W(&s)) == 0 && strcmp(bs(s), PYUN_VERSION_STRING) == 0);
    CHECK(bslen(s) == strlen(PYUN_VERSION_STRING));
    /* the old BSTR is freed and replaced (VB6 passes the variable's current BSTR) */
    CHECK(CALL("pyun_vb6_version", W(&s)) == 0 && strcmp(bs(s), PYUN_VERSION_STRING) == 0);
    bfree(&s);

    /* page 001's vector, GBK, secret 123 */
    CHECK(CALL("pyun_vb6_sign", W(VECTOR_JSON_GBK), W("123"), GBK, W(&s)) == 0);
    CHECK(strcmp(bs(s), VECTOR_SIGN) == 0);
    printf("sign (page 001, GBK, secret 123): %s\n", bs(s));
    CHECK(CALL("pyun_vb6_last_error_message", W(&t)) == 0 && bslen(t) == 0);
    CHECK(CALL("pyun_vb6_canonical_string", W(VECTOR_JSON_GBK), GBK, W(&s)) == 0);
    CHECK(strcmp(bs(s), VECTOR_CANONICAL_GBK) == 0 && bslen(s) == strlen(VECTOR_CANONICAL_GBK));
    /* a GBK record of our own: printed for windows.sh to compare with the Linux CLI */
    snprintf(buf, sizeof buf,
             "{\"plate\":\"%s\",\"parking_serial\":\"VB6-1\",\"car_desc\":\"\301\331\315\243\","
             "\"enter_gate\":\"\",\"total_value\":\"1000\"}", plate_gbk);
    CHECK(CALL("pyun_vb6_sign", W(buf), W("123"), GBK, W(&s)) == 0 && bslen(s) == 32);
    printf("sign (VB6-1, GBK, secret 123): %s\n", bs(s));
    {
        const char *want = getenv("PYUN_VB6_WANT_SIGN");
        if (want != NULL && want[0] != '\0') CHECK(strcmp(bs(s), want) == 0);
    }

    /* errors: an empty secret, an unknown charset, the last error as a BSTR */
    CHECK(CALL("pyun_vb6_sign", W(VECTOR_JSON_GBK), W(""), GBK, W(&s)) == PYUN_RESULT_CONFIG);
    rc = CALL("pyun_vb6_last_error_message", W(&t));
    CHECK(rc > 0 && (size_t)rc == bslen(t) && strlen(bs(t)) == (size_t)rc);
    printf("last error: %s\n", bs(t));
    CHECK(CALL("pyun_vb6_sign", W(VECTOR_JSON_GBK), W("123"), 1234, W(&s)) ==
          PYUN_RESULT_INVALID_ARGUMENT);
    CHECK(CALL("pyun_vb6_sign", W("{not json"), W("123"), GBK, W(&s)) == PYUN_RESULT_MALFORMED_JSON);
    CHECK(CALL("pyun_vb6_last_error_message", W(&t)) > 0);

    /* sign_push -> verify, GBK */
    CHECK(CALL("pyun_vb6_sign_push", W(VECTOR_JSON_GBK), W("123"), W("app-1"), GBK, W(&s)) == 0);
    CHECK(strstr(bs(s), "\"sign\":\"") != NULL && strstr(bs(s), "\324\301X44444") != NULL);
    CHECK(CALL("pyun_vb6_verify", W(bs(s)), W("123"), GBK, W(&rule)) == 0 && rule == 1);
    CHECK(CALL("pyun_vb6_verify", W(bs(s)), W("124"), GBK, W(&rule)) == PYUN_RESULT_SIGNATURE_INVALID);

    /* received pushes as bytes: the signed push as a JSON body */
    CHECK(CALL("pyun_vb6_sign_push", W(VECTOR_JSON_UTF8), W("123"), W("app-1"), PYUN_CHARSET_UTF8, W(&s)) == 0);
    CHECK(CALL("pyun_vb6_parse_push_request", W("application/json"), W(bs(s)), W(bslen(s)), GBK, W(&t)) == 0);
    CHECK(strstr(bs(t), "\"encoding\":\"json\"") != NULL && strstr(bs(t), "\324\301X44444") != NULL);
    rule = -1;
    CHECK(CALL("pyun_vb6_verify_push_request", W("application/json"), W(bs(s)), W(bslen(s)), W("123"),
               GBK, W(&rule), W(&t)) == 0 && rule == 1);
    CHECK(strstr(bs(t), "\"fields\"") != NULL);
    CHECK(CALL("pyun_vb6_verify_push_request", W("application/json"), W(bs(s)), W(bslen(s)), W("999"),
               GBK, W(&rule), W(&t)) == PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(CALL("pyun_vb6_parse_push_request", W(NULL), W(bs(s)), W(-1), GBK, W(&t)) ==
          PYUN_RESULT_INVALID_ARGUMENT);

    /* explain: the platform's GBK hint against the GBK fields */
    CHECK(CALL("pyun_vb6_canonical_string", W(VECTOR_JSON_GBK), GBK, W(&s)) == 0);
    snprintf(buf, sizeof buf, "%s%s]", prefix_gbk, bs(s));
    CHECK(CALL("pyun_vb6_explain", W(buf), W(NULL), W(VECTOR_JSON_GBK), GBK, W(&t)) == 0);
    CHECK(strstr(bs(t), "\"cause\":\"wrong_secret\"") != NULL);
    CHECK(CALL("pyun_vb6_explain_files", W(buf), W(NULL), W(VECTOR_JSON_GBK), W(NULL), GBK, W(&t)) == 0);
    CHECK(strstr(bs(t), "\"cause\":\"wrong_secret\"") != NULL);

    /* local time as epoch milliseconds (a VB6 Date split in Pyun.bas's PyunEpochMs): a Double */
    CHECK(CALL("pyun_vb6_epoch_ms_from_local", 2021, 6, 28, 18, 5, 32, 253, W(&ms)) == 0);
    CHECK(CALL("pyun_vb6_epoch_ms_from_local", 2021, 6, 29, 18, 5, 32, 253, W(&ms2)) == 0 &&
          ms2 - ms == 86400000.0 && ms == (double)(int64_t)ms);
    CHECK(CALL("pyun_vb6_epoch_ms_from_local", 2021, 2, 30, 0, 0, 0, 0, W(&ms2)) ==
          PYUN_RESULT_INVALID_ARGUMENT);
    printf("2021-06-28 18:05:32.253 local: %.0f ms\n", ms);

    /* client: a push of a GBK record to the sandbox */
    snprintf(buf, sizeof buf, "{\"app_secret\":\"%s\",\"base_url\":\"%s\",\"max_attempts\":2}",
             secret, url);
    CHECK(CALL("pyun_vb6_client_new", W(buf), GBK, W(&client)) == 0 && client != 0);
    snprintf(serial, sizeof serial, "VB6-%lu", (unsigned long)GetTickCount());
    make_record(record, sizeof record, serial);
    rc = CALL("pyun_vb6_client_push", W(client), W("enter"), W(record), W(NULL), W(&outcome), W(&s));
    CHECK(rc == 0 && outcome == PYUN_OUTCOME_ACCEPTED);
    CHECK(strstr(bs(s), "\"outcome\":\"accepted\"") != NULL);
    printf("push %s (%s): rc %ld, outcome %ld: %.300s\n", serial, "GBK plate", (long)rc,
           (long)outcome, bs(s));
    if (rc != 0) {
        CALL("pyun_vb6_last_error_message", W(&t));
        printf("last error: %s\n", bs(t));
    }
    /* a handle pyun never gave out */
    CHECK(CALL("pyun_vb6_client_push", W(12345), W("enter"), W(record), W(NULL), W(&outcome), W(&s)) ==
          PYUN_RESULT_INVALID_HANDLE);
    CHECK(CALL("pyun_vb6_last_error_message", W(&t)) > 0);
    /* validation: no plate */
    CHECK(CALL("pyun_vb6_client_push", W(client), W("enter"), W("{\"parking_serial\":\"X\"}"), W(NULL),
               W(&outcome), W(&s)) == PYUN_RESULT_VALIDATION);

    /* a built request: info, body length, body into a Byte array */
    CHECK(CALL("pyun_vb6_client_build_request", W(client), W("enter"), W(record), W(NULL), W(&request)) == 0);
    CHECK(request != 0);
    CHECK(CALL("pyun_vb6_request_info", W(request), W(&s)) == 0 && strstr(bs(s), "\"url\"") != NULL);
    CHECK(CALL("pyun_vb6_request_body_len", W(request), W(&len)) == 0 && len > 0);
    CHECK(CALL("pyun_vb6_request_body", W(request), W(buf), W(4), W(&len2)) ==
          PYUN_RESULT_INVALID_ARGUMENT && len2 == len);
    body = (uint8_t *)calloc((size_t)len + 1, 1);
    len2 = -1;
    CHECK(body != NULL && CALL("pyun_vb6_request_body", W(request), W(body), W(len), W(&len2)) == 0);
    CHECK(len2 == len && body != NULL && strstr((const char *)body, serial) != NULL);
    free(body);
    CALL("pyun_vb6_request_free", W(request));
    CHECK(CALL("pyun_vb6_request_info", W(request), W(&s)) == PYUN_RESULT_INVALID_HANDLE);

    /* logs to a file */
    snprintf(logpath, sizeof logpath, "%s\\vb6-pyun.log", work);
    CHECK(CALL("pyun_vb6_log_set_file", W(logpath), 4, D(1048576.0), GBK) == 0);

    /* outbox: enqueue a GBK record, drain it to the sandbox, read its status and events */
    snprintf(path, sizeof path, "%s\\vb6-outbox-%lu.db", work, (unsigned long)GetTickCount());
    CHECK(CALL("pyun_vb6_outbox_open", W(path), 0, GBK, W(&outbox)) == 0 && outbox != 0);
    snprintf(serial, sizeof serial, "VB6-OB-%lu", (unsigned long)GetTickCount());
    make_record(record, sizeof record, serial);
    CHECK(CALL("pyun_vb6_outbox_enqueue", W(outbox), W("enter"), W(record), W(NULL), W(&id)) == 0);
    CHECK(id >= 1 && id == (double)(int64_t)id);
    CHECK(CALL("pyun_vb6_outbox_record", W(outbox), D(id), W(&s)) == 0);
    CHECK(strstr(bs(s), "\"state\":\"pending\"") != NULL && strstr(bs(s), serial) != NULL);
    CHECK(CALL("pyun_vb6_outbox_record", W(outbox), D(id + 1000), W(&s)) == 0 && strcmp(bs(s), "null") == 0);
    CHECK(CALL("pyun_vb6_outbox_find", W(outbox), W(serial), W(&s)) == 0 && strstr(bs(s), serial) != NULL);
    CHECK(CALL("pyun_vb6_outbox_head", W(outbox), W(&s)) == 0 && strstr(bs(s), serial) != NULL);
    CHECK(CALL("pyun_vb6_outbox_counts", W(outbox), W(&s)) == 0 && strstr(bs(s), "\"pending\":1") != NULL);
    CHECK(CALL("pyun_vb6_outbox_drain", W(outbox), W(client), W(&s)) == 0);
    CHECK(strstr(bs(s), "\"accepted\":1") != NULL);
    printf("drain: %s\n", bs(s));
    CHECK(CALL("pyun_vb6_outbox_record", W(outbox), D(id), W(&s)) == 0 && strstr(bs(s), "\"state\":\"done\"") != NULL);
    CHECK(CALL("pyun_vb6_outbox_events", W(outbox), D(0.0), 100, W(&s)) == 0);
    CHECK(strstr(bs(s), "\"kind\":\"accepted\"") != NULL && strstr(bs(s), serial) != NULL);
    printf("events: %.300s\n", bs(s));
    /* reading the events without a JSON parser: their count, the first one's kind and key */
    CHECK(CALL("pyun_vb6_json_field", W(bs(s)), W("length"), GBK, W(&found), W(&t)) == 0 &&
          found == 1 && strcmp(bs(t), "1") == 0);
    CHECK(CALL("pyun_vb6_json_field", W(bs(s)), W("0.kind"), GBK, W(&found), W(&t)) == 0 &&
          found == 1 && strcmp(bs(t), "accepted") == 0);
    CHECK(CALL("pyun_vb6_json_field", W(bs(s)), W("0.key"), GBK, W(&found), W(&t)) == 0 &&
          found == 1 && strcmp(bs(t), serial) == 0);
    CHECK(CALL("pyun_vb6_json_field", W(bs(s)), W("0.nothing"), GBK, W(&found), W(&t)) == 0 &&
          found == 0 && bslen(t) == 0);
    CHECK(CALL("pyun_vb6_json_field", W("{\"a\":"), W("a"), GBK, W(&found), W(&t)) ==
          PYUN_RESULT_MALFORMED_JSON);
    CHECK(CALL("pyun_vb6_outbox_events", W(outbox), D(1.0e6), 100, W(&s)) == 0 && strcmp(bs(s), "[]") == 0);
    CHECK(CALL("pyun_vb6_outbox_dead_letters", W(outbox), W(&s)) == 0 && strcmp(bs(s), "[]") == 0);
    CHECK(CALL("pyun_vb6_outbox_retry_dead", W(outbox), D(-1.0), W(&count)) == 0 && count == 0.0);
    CHECK(CALL("pyun_vb6_outbox_head", W(outbox), W(&s)) == 0 && strcmp(bs(s), "null") == 0);

    /* the background sender (no callback): a second record, delivered without a drain */
    snprintf(serial, sizeof serial, "VB6-SN-%lu", (unsigned long)GetTickCount());
    make_record(record, sizeof record, serial);
    CHECK(CALL("pyun_vb6_outbox_start_sender", W(outbox), W(client), 50, W(&sender)) == 0 && sender != 0);
    CHECK(CALL("pyun_vb6_outbox_enqueue", W(outbox), W("enter"), W(record), W(NULL), W(&id)) == 0);
    {
        int i, done = 0;
        for (i = 0; i < 200 && !done; i++) {
            Sleep(50);
            if (CALL("pyun_vb6_outbox_record", W(outbox), D(id), W(&s)) != 0) break;
            done = strstr(bs(s), "\"state\":\"done\"") != NULL;
        }
        CHECK(done);
    }
    CALL("pyun_vb6_sender_stop", W(sender));
    CHECK(CALL("pyun_vb6_outbox_events", W(outbox), D(1.0), 100, W(&s)) == 0 && strstr(bs(s), serial) != NULL);
    CALL("pyun_vb6_outbox_free", W(outbox));
    CHECK(CALL("pyun_vb6_outbox_counts", W(outbox), W(&s)) == PYUN_RESULT_INVALID_HANDLE);
    CALL("pyun_vb6_client_free", W(client));
    CHECK(CALL("pyun_vb6_client_new", W("{\"app_secret\":\"\"}"), GBK, W(&client)) == PYUN_RESULT_CONFIG);

    /* the log file got lines; then logging off */
    CHECK(CALL("pyun_vb6_log_set_file", W(NULL), 0, D(0.0), GBK) == 0);
    {
        FILE *f = fopen(logpath, "rb");
        long size = -1;
        if (f != NULL) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        printf("log file %s: %ld bytes\n", logpath, size);
        CHECK(size > 0);
    }

    bfree(&s);
    bfree(&t);
    FreeLibrary(dll);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

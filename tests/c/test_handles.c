/* test_handles.c: a stale, freed, foreign or mistyped pointer is a reported error, never a
 * crash (issue 17). Every handle call checks its handle; every release function checks what it
 * is given; the host keeps running and valgrind stays clean.
 *
 *   test_handles [BASE_URL [DATA_DIR [WORK_DIR [TEST]]]]
 *
 * BASE_URL  the sandbox (or PYUN_SANDBOX_URL); required
 * DATA_DIR  examples/data (or PYUN_DATA_DIR; default "examples/data")
 * WORK_DIR  a writable directory for the outbox database (or PYUN_WORK_DIR; default ".")
 * TEST      run only the test of that name (or PYUN_HANDLES_ONLY), e.g. double_free
 * The sandbox's secret comes from PYUN_APP_SECRET (default "123") and is never printed.
 *
 * Prints one line per failed check and closes with "N passed, M failed"; exits 0 only when
 * nothing failed. C99, portable to Windows (mingw) through threads.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyun.h"
#include "check.h"
#include "test_data.h"
#include "threads.h"

#define THREADS 8
#define DATA_SERIAL "DEMO-20261122-0001" /* the serial of examples/data/enter.json */

static const char *base_url;
static const char *data_dir;
static const char *work_dir;
static const char *sandbox_secret;
static char run_id[48];

/* ---------------------------------------------------------------- harness (main thread; check.h) */

/* The last error holds every one of the NULL-terminated needles. */
static int error_holds(const char *first, ...) {
    va_list ap;
    const char *s;
    char *msg = last_error();
    int ok = msg[0] != '\0';
    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *)) {
        if (strstr(msg, s) == NULL) {
            fprintf(stderr, "    the last error \"%s\" does not hold \"%s\"\n", msg, s);
            ok = 0;
        }
    }
    va_end(ap);
    free(msg);
    return ok;
}
#define HOLDS(...) CHECK(error_holds(__VA_ARGS__, (const char *)NULL))

/* A call that must succeed: code OK and the last error cleared. */
#define OK(call) ((call) == PYUN_RESULT_OK && pyun_last_error_message(NULL, 0) == 0)

/* Puts a known message into this thread's last error, to see a release function report into
 * it (or leave it alone). */
static void set_marker_error(void) {
    char *out = NULL;
    if (pyun_sign("{\"marker\":", "x", 0, &out) != PYUN_RESULT_MALFORMED_JSON) abort();
}
static int error_is_marker(void) {
    char *msg = last_error();
    int ok = strstr(msg, "JSON") != NULL || strstr(msg, "json") != NULL;
    free(msg);
    return ok;
}

/* ---------------------------------------------------------------- helpers */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (char *)malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Concatenates NULL-terminated arguments into a new string. */
static char *cat(const char *first, ...) {
    va_list ap;
    size_t n = 0;
    const char *s;
    char *out, *p;
    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *)) n += strlen(s);
    va_end(ap);
    out = (char *)malloc(n + 1);
    if (out == NULL) abort();
    p = out;
    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *)) {
        size_t k = strlen(s);
        memcpy(p, s, k);
        p += k;
    }
    va_end(ap);
    *p = '\0';
    return out;
}

/* A JSON string literal (quotes included) for `s`: paths on Windows hold backslashes. */
static char *json_quote(const char *s) {
    char *out = (char *)malloc(strlen(s) * 6 + 3), *q = out;
    if (out == NULL) abort();
    *q++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *q++ = '\\';
            *q++ = (char)c;
        } else if (c < 0x20) {
            sprintf(q, "\\u%04x", c);
            q += 6;
        } else {
            *q++ = (char)c;
        }
    }
    *q++ = '"';
    *q = '\0';
    return out;
}

/* The record of examples/data/<name> with a serial of its own. */
static char *record(const char *name, const char *serial) {
    char *path = cat(data_dir, "/", name, (const char *)NULL), *text = read_file(path), *p;
    char *out;
    free(path);
    if (text == NULL || (p = strstr(text, DATA_SERIAL)) == NULL) {
        free(text);
        return NULL;
    }
    *p = '\0';
    out = cat(text, serial, p + strlen(DATA_SERIAL), (const char *)NULL);
    free(text);
    return out;
}

static char *photo_json(const char *field, const char *name) {
    char *path = cat(data_dir, "/", name, (const char *)NULL), *q = json_quote(path);
    char *out = cat("{\"", field, "\":", q, "}", (const char *)NULL);
    free(path);
    free(q);
    return out;
}

/* A client of the sandbox (`url` NULL: one that never connects, for calls that do not send). */
static pyun_client *new_client(const char *url) {
    pyun_client *c = NULL;
    char *qs = json_quote(sandbox_secret), *qu = json_quote(url ? url : "http://127.0.0.1:9");
    char *config = cat("{\"app_secret\":", qs, ",\"base_url\":", qu,
                       ",\"timeout_ms\":120000,\"max_attempts\":2,\"initial_backoff_ms\":50}",
                       (const char *)NULL);
    if (pyun_client_new(config, 0, &c) != PYUN_RESULT_OK) c = NULL;
    free(qs);
    free(qu);
    free(config);
    return c;
}

static void remove_outbox(const char *name);

static pyun_outbox *new_outbox(const char *name) {
    pyun_outbox *ob = NULL;
    char *db = cat(work_dir, "/", name, (const char *)NULL);
    remove_outbox(name);
    if (pyun_outbox_open(db, 0, 0, &ob) != PYUN_RESULT_OK) ob = NULL;
    free(db);
    return ob;
}

static void remove_outbox(const char *name) {
    const char *suffixes[] = {"", "-wal", "-shm", "-journal", "-enqueued"};
    size_t i;
    for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *p = cat(work_dir, "/", name, suffixes[i], (const char *)NULL);
        remove(p);
        free(p);
    }
}

/* ---------------------------------------------------------------- the tests */

/* A second free of each handle is ignored and reported; the first leaves the error alone. */
static void test_double_free(void) {
    pyun_client *c = new_client(NULL);
    pyun_request *r = NULL;
    pyun_outbox *ob = new_outbox("pyun-handles-double-free.db");
    CHECK(c != NULL && ob != NULL);
    if (c == NULL || ob == NULL) return;
    CHECK(OK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r)) && r != NULL);

    set_marker_error();
    pyun_request_free(r);
    CHECK(error_is_marker());
    pyun_request_free(r);
    HOLDS("pyun_request_free", "pyun_request", "already freed");

    set_marker_error();
    pyun_client_free(c);
    CHECK(error_is_marker());
    pyun_client_free(c);
    HOLDS("pyun_client_free", "pyun_client", "already freed");
    pyun_client_free(c);
    HOLDS("pyun_client_free", "already freed");

    pyun_outbox_free(ob);
    pyun_outbox_free(ob);
    HOLDS("pyun_outbox_free", "pyun_outbox", "already freed");
    remove_outbox("pyun-handles-double-free.db");
}

/* Every call on a freed handle is PYUN_RESULT_INVALID_HANDLE, naming the call and the type;
 * out-parameters stay as they were. A stale handle never reaches a newer object. */
static void test_use_after_free(void) {
    pyun_client *c = new_client(NULL), *live = new_client(NULL), *newer;
    pyun_request *r = NULL, *r2 = (pyun_request *)(void *)&r;
    pyun_outbox *ob = new_outbox("pyun-handles-uaf.db");
    pyun_outcome outcome = (pyun_outcome)77;
    char *json = (char *)&outcome;
    uint8_t *body = (uint8_t *)&outcome;
    size_t len = 4242;
    int64_t id = -5;
    uint64_t count = 7;
    CHECK(c != NULL && live != NULL && ob != NULL);
    if (c == NULL || live == NULL || ob == NULL) return;
    CHECK(OK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r)) && r != NULL);

    pyun_request_free(r);
    CHECK(pyun_request_info(r, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_request_info", "pyun_request", "freed");
    CHECK(pyun_request_body(r, &body, &len) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_request_body", "pyun_request");
    CHECK(json == (char *)&outcome && body == (uint8_t *)&outcome && len == 4242);

    pyun_client_free(c);
    CHECK(pyun_client_push(c, "enter", ENTER_RECORD_UTF8, NULL, &outcome, &json) ==
          PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_client_push", "pyun_client", "freed");
    CHECK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r2) ==
          PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_client_build_request", "pyun_client");
    CHECK(outcome == (pyun_outcome)77 && json == (char *)&outcome &&
          r2 == (pyun_request *)(void *)&r);
    /* The handle of a client made after the free is never the freed one. */
    newer = new_client(NULL);
    CHECK(newer != NULL && newer != c);
    CHECK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r2) ==
          PYUN_RESULT_INVALID_HANDLE);
    CHECK(pyun_outbox_drain(ob, c, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_drain", "pyun_client");

    pyun_outbox_free(ob);
    CHECK(pyun_outbox_enqueue(ob, "enter", ENTER_RECORD_UTF8, NULL, &id) ==
          PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_enqueue", "pyun_outbox", "freed");
    CHECK(pyun_outbox_drain(ob, live, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_drain", "pyun_outbox");
    CHECK(pyun_outbox_counts(ob, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_counts", "pyun_outbox");
    CHECK(pyun_outbox_dead_letters(ob, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_dead_letters", "pyun_outbox");
    CHECK(pyun_outbox_retry_dead(ob, -1, &count) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_retry_dead", "pyun_outbox");
    CHECK(id == -5 && count == 7 && json == (char *)&outcome);
    /* NULL is still NULL, not an invalid handle. */
    CHECK(pyun_client_push(NULL, "enter", ENTER_RECORD_UTF8, NULL, &outcome, NULL) ==
          PYUN_RESULT_NULL_ARGUMENT);

    /* The live ones still work. */
    r2 = NULL;
    CHECK(newer != NULL && OK(pyun_client_build_request(newer, "enter", ENTER_RECORD_UTF8, NULL,
                                                        &r2)));
    pyun_request_free(r2);
    pyun_client_free(newer);
    pyun_client_free(live);
    remove_outbox("pyun-handles-uaf.db");
}

typedef struct {
    pyun_client *client;
    char *enter, *leave, *gif, *bmp;
    volatile int pushes;   /* pushes returned so far (read by the main thread) */
    int accepted, invalid, other, after_invalid;
    char message[512];
} pusher;

/* Pushes until the client is gone: every push is accepted or finds the handle invalid. */
static void pusher_main(void *arg) {
    pusher *p = (pusher *)arg;
    pyun_outcome outcome;
    char *result = NULL;
    int i;
    for (i = 0; i < 100000; i++) {
        pyun_result rc = pyun_client_push(p->client, i % 2 ? "leave" : "enter",
                                          i % 2 ? p->leave : p->enter, i % 2 ? p->bmp : p->gif,
                                          &outcome, &result);
        if (rc == PYUN_RESULT_OK && outcome == PYUN_OUTCOME_ACCEPTED) {
            if (p->invalid) p->after_invalid++;
            p->accepted++;
            pyun_string_free(result);
            result = NULL;
        } else if (rc == PYUN_RESULT_INVALID_HANDLE) {
            if (p->invalid++ == 0 &&
                pyun_last_error_message(p->message, sizeof p->message) >= sizeof p->message)
                p->message[0] = '\0';
            if (p->invalid >= 3) break;
        } else {
            p->other++;
            if (pyun_last_error_message(p->message, sizeof p->message) >= sizeof p->message)
                p->message[0] = '\0';
            break;
        }
        p->pushes++;
    }
}

static void sleep_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

/* The client is freed while other threads push through it, with photos, to the sandbox: the
 * push in flight finishes (free waits for it), every later push is INVALID_HANDLE. */
static void test_free_during_push(void) {
    pusher p[4];
    pt_thread th[4];
    int started[4], i, round, waited;
    char serial[96];
    for (round = 0; round < 2; round++) {
        pyun_client *c = new_client(base_url);
        CHECK(c != NULL);
        if (c == NULL) return;
        for (i = 0; i < 4; i++) {
            memset(&p[i], 0, sizeof p[i]);
            snprintf(serial, sizeof serial, "H-%s-F%d-%d", run_id, round, i);
            p[i].client = c;
            p[i].enter = record("enter.json", serial);
            p[i].leave = record("leave.json", serial);
            p[i].gif = photo_json("enter_image_file", "enter.gif");
            p[i].bmp = photo_json("leave_image_file", "leave.bmp");
            CHECK(p[i].enter != NULL && p[i].leave != NULL);
        }
        for (i = 0; i < 4; i++) started[i] = pt_start(&th[i], pusher_main, &p[i]) == 0;
        /* Free once every thread has a push behind it (each then is inside its next one). */
        for (waited = 0; waited < 60000; waited += 2) {
            int ready = 1;
            for (i = 0; i < 4; i++) ready = ready && (!started[i] || p[i].pushes >= 1 + round);
            if (ready) break;
            sleep_ms(2);
        }
        pyun_client_free(c);
        for (i = 0; i < 4; i++) {
            CHECK(started[i] && pt_join(&th[i]) == 0);
            CHECK(p[i].accepted >= 1);
            CHECK(p[i].invalid >= 1 && p[i].after_invalid == 0);
            CHECK(p[i].other == 0);
            CHECK(strstr(p[i].message, "pyun_client_push") != NULL &&
                  strstr(p[i].message, "pyun_client") != NULL);
            if (p[i].other) fprintf(stderr, "    pusher %d: %s\n", i, p[i].message);
            free(p[i].enter);
            free(p[i].leave);
            free(p[i].gif);
            free(p[i].bmp);
        }
        pyun_client_free(c);
        HOLDS("pyun_client_free", "already freed");
    }
}

/* Pointers pyun never handed out: an address in the host's data, its stack, its heap, a small
 * integer. Calls return INVALID_HANDLE; frees are ignored and reported; none is dereferenced. */
static void test_random_pointer(void) {
    static char host_data[64];
    char stack[64];
    char *heap = (char *)malloc(64);
    void *bogus[4];
    size_t i;
    pyun_outcome outcome = (pyun_outcome)77;
    char *json = NULL;
    int64_t id = 0;
    pyun_request *r = NULL;
    if (heap == NULL) abort();
    memset(host_data, 0xAB, sizeof host_data);
    memset(stack, 0xCD, sizeof stack);
    memset(heap, 0xEF, 64);
    bogus[0] = host_data;
    bogus[1] = stack;
    bogus[2] = heap;
    bogus[3] = (void *)(uintptr_t)0x1234;
    for (i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        CHECK(pyun_client_push((pyun_client *)bogus[i], "enter", ENTER_RECORD_UTF8, NULL,
                               &outcome, &json) == PYUN_RESULT_INVALID_HANDLE);
        HOLDS("pyun_client_push", "pyun_client");
        CHECK(pyun_client_build_request((pyun_client *)bogus[i], "enter", ENTER_RECORD_UTF8,
                                        NULL, &r) == PYUN_RESULT_INVALID_HANDLE);
        CHECK(pyun_request_info((pyun_request *)bogus[i], &json) == PYUN_RESULT_INVALID_HANDLE);
        HOLDS("pyun_request_info", "pyun_request");
        CHECK(pyun_outbox_enqueue((pyun_outbox *)bogus[i], "enter", ENTER_RECORD_UTF8, NULL,
                                  &id) == PYUN_RESULT_INVALID_HANDLE);
        HOLDS("pyun_outbox_enqueue", "pyun_outbox");
        pyun_client_free((pyun_client *)bogus[i]);
        HOLDS("pyun_client_free", "pyun_client", "ignored");
        pyun_request_free((pyun_request *)bogus[i]);
        HOLDS("pyun_request_free", "pyun_request");
        pyun_outbox_free((pyun_outbox *)bogus[i]);
        HOLDS("pyun_outbox_free", "pyun_outbox");
    }
    CHECK(json == NULL && r == NULL && id == 0 && outcome == (pyun_outcome)77);
    /* Nothing was written through them. */
    for (i = 0; i < 64; i++) {
        CHECK((unsigned char)host_data[i] == 0xAB && (unsigned char)stack[i] == 0xCD &&
              (unsigned char)heap[i] == 0xEF);
        if (failed) break;
    }
    free(heap);
}

/* A handle of one type passed as another: INVALID_HANDLE naming both; a free through the wrong
 * function is ignored and the handle keeps working. */
static void test_wrong_type(void) {
    pyun_client *c = new_client(NULL);
    pyun_request *r = NULL;
    pyun_outbox *ob = new_outbox("pyun-handles-wrong-type.db");
    char *json = NULL;
    int64_t id = 0;
    CHECK(c != NULL && ob != NULL);
    if (c == NULL || ob == NULL) return;
    CHECK(OK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r)) && r != NULL);

    CHECK(pyun_request_info((pyun_request *)(void *)c, &json) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_request_info", "pyun_request", "pyun_client");
    CHECK(pyun_client_build_request((pyun_client *)(void *)r, "enter", ENTER_RECORD_UTF8, NULL,
                                    &r) == PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_client_build_request", "pyun_client", "pyun_request");
    CHECK(pyun_outbox_enqueue((pyun_outbox *)(void *)c, "enter", ENTER_RECORD_UTF8, NULL, &id) ==
          PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_enqueue", "pyun_outbox", "pyun_client");
    /* The two handles of drain, swapped. */
    CHECK(pyun_outbox_drain((pyun_outbox *)(void *)c, (pyun_client *)(void *)ob, &json) ==
          PYUN_RESULT_INVALID_HANDLE);
    HOLDS("pyun_outbox_drain", "pyun_outbox");
    CHECK(json == NULL && id == 0);

    pyun_request_free((pyun_request *)(void *)c);
    HOLDS("pyun_request_free", "pyun_request", "pyun_client");
    pyun_outbox_free((pyun_outbox *)(void *)r);
    HOLDS("pyun_outbox_free", "pyun_outbox", "pyun_request");
    pyun_client_free((pyun_client *)(void *)ob);
    HOLDS("pyun_client_free", "pyun_client", "pyun_outbox");
    /* All three still work. */
    CHECK(OK(pyun_request_info(r, &json)) && json != NULL);
    pyun_string_free(json);
    json = NULL;
    CHECK(OK(pyun_outbox_counts(ob, &json)) && json != NULL);
    pyun_string_free(json);
    pyun_request_free(r);
    r = NULL;
    CHECK(OK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r)));
    pyun_request_free(r);
    pyun_client_free(c);
    pyun_outbox_free(ob);
    remove_outbox("pyun-handles-wrong-type.db");
}

/* pyun_string_free and pyun_bytes_free take only what pyun returned and has not freed: a
 * malloc'd string, a stack buffer, a static string, pyun's own version string, a pointer into
 * a pyun string, a string freed before: ignored (the host still owns its own memory, which
 * the test then frees itself) and reported. */
static void test_foreign_and_twice_freed_strings(void) {
    char stack[32] = "not from pyun";
    static char host_static[] = "not from pyun either";
    char *heap = (char *)malloc(32);
    char *s = NULL, *t = NULL;
    uint8_t *body = NULL;
    size_t len = 0;
    pyun_client *c = new_client(NULL);
    pyun_request *r = NULL;
    if (heap == NULL) abort();
    strcpy(heap, "malloc'd by the host");

    pyun_string_free(heap);
    HOLDS("pyun_string_free", "ignored");
    CHECK(strcmp(heap, "malloc'd by the host") == 0);
    free(heap); /* still the host's: valgrind would call this a double free otherwise */
    pyun_string_free(stack);
    HOLDS("pyun_string_free", "ignored");
    pyun_string_free(host_static);
    HOLDS("pyun_string_free");
    pyun_string_free((char *)pyun_version());
    HOLDS("pyun_string_free");
    CHECK(strcmp(pyun_version(), PYUN_VERSION_STRING) == 0);

    CHECK(OK(pyun_sign(VECTOR_JSON_UTF8, "123", 0, &s)) && s != NULL &&
          strcmp(s, VECTOR_SIGN) == 0);
    if (s != NULL) {
        pyun_string_free(s + 1);
        HOLDS("pyun_string_free", "ignored");
        CHECK(strcmp(s, VECTOR_SIGN) == 0);
        /* The host may write into a string it got (here: cut it short); it is still freed
         * whole. */
        s[4] = '\0';
        set_marker_error();
        pyun_string_free(s);
        CHECK(error_is_marker());
        pyun_string_free(s);
        HOLDS("pyun_string_free", "ignored");
    }
    /* Freed twice after another string took its place: the second one stays live. */
    CHECK(OK(pyun_sign(VECTOR_JSON_UTF8, "123", 0, &t)) && t != NULL);
    pyun_string_free(t);
    s = NULL;
    CHECK(OK(pyun_sign(VECTOR_JSON_UTF8, "123", 0, &s)) && s != NULL);
    if (s != t) {
        pyun_string_free(t);
        HOLDS("pyun_string_free", "ignored");
    }
    CHECK(s != NULL && strcmp(s, VECTOR_SIGN) == 0);
    pyun_string_free(s);

    /* Bytes. */
    CHECK(c != NULL);
    if (c == NULL) return;
    CHECK(OK(pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r)));
    CHECK(OK(pyun_request_body(r, &body, &len)) && body != NULL && len > 100);
    heap = (char *)malloc(len);
    if (heap == NULL) abort();
    memset(heap, 'h', len);
    pyun_bytes_free((uint8_t *)heap, len);
    HOLDS("pyun_bytes_free", "ignored");
    CHECK(heap[len - 1] == 'h');
    free(heap);
    pyun_bytes_free((uint8_t *)stack, sizeof stack);
    HOLDS("pyun_bytes_free", "ignored");
    pyun_bytes_free(body + 1, len - 1);
    HOLDS("pyun_bytes_free", "ignored");
    /* A wrong length: the body is pyun's, so it is freed with its own length, and reported. */
    pyun_bytes_free(body, len + 1000);
    HOLDS("pyun_bytes_free", "length");
    pyun_bytes_free(body, len);
    HOLDS("pyun_bytes_free", "ignored");
    /* A string to pyun_bytes_free and a body to pyun_string_free: freed (they are pyun's),
     * and reported. */
    body = NULL;
    s = NULL;
    CHECK(OK(pyun_request_body(r, &body, &len)) && OK(pyun_request_info(r, &s)));
    pyun_string_free((char *)body);
    HOLDS("pyun_string_free", "pyun_bytes_free");
    pyun_bytes_free((uint8_t *)s, strlen(s));
    HOLDS("pyun_bytes_free", "pyun_string_free");
    pyun_request_free(r);
    pyun_client_free(c);
}

typedef struct {
    int index, ok, reported;
} churn;

/* Handles made, used, freed and freed again on many threads at once: each thread sees only its
 * own, the registry keeps them apart. */
static void churn_main(void *arg) {
    churn *t = (churn *)arg;
    int i;
    char msg[256];
    t->ok = 1;
    for (i = 0; i < 20; i++) {
        pyun_client *c = new_client(NULL);
        pyun_request *r = NULL;
        char *json = NULL;
        if (c == NULL) {
            t->ok = 0;
            return;
        }
        if (pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r) !=
                PYUN_RESULT_OK ||
            pyun_request_info(r, &json) != PYUN_RESULT_OK || strstr(json, "/enter") == NULL)
            t->ok = 0;
        pyun_string_free(json);
        pyun_request_free(r);
        pyun_client_free(c);
        pyun_client_free(c);
        if (pyun_last_error_message(msg, sizeof msg) < sizeof msg &&
            strstr(msg, "already freed") != NULL)
            t->reported++;
        if (pyun_request_info(r, &json) != PYUN_RESULT_INVALID_HANDLE) t->ok = 0;
    }
}

static void test_threads(void) {
    churn t[THREADS];
    pt_thread th[THREADS];
    int i, started[THREADS];
    for (i = 0; i < THREADS; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].index = i;
        started[i] = pt_start(&th[i], churn_main, &t[i]) == 0;
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(started[i] && pt_join(&th[i]) == 0);
        CHECK(t[i].ok && t[i].reported == 20);
    }
}

/* ---------------------------------------------------------------- main */

static const char *arg_or_env(int argc, char **argv, int i, const char *env, const char *dflt) {
    const char *v = i < argc ? argv[i] : getenv(env);
    return v != NULL && v[0] != '\0' ? v : dflt;
}

typedef struct {
    const char *name;
    void (*fn)(void);
} named_test;

int main(int argc, char **argv) {
    static const named_test tests[] = {
        {"double_free", test_double_free},
        {"use_after_free", test_use_after_free},
        {"free_during_push", test_free_during_push},
        {"random_pointer", test_random_pointer},
        {"wrong_type", test_wrong_type},
        {"strings", test_foreign_and_twice_freed_strings},
        {"threads", test_threads},
    };
    const char *only, *id;
    size_t i;

    base_url = arg_or_env(argc, argv, 1, "PYUN_SANDBOX_URL", NULL);
    data_dir = arg_or_env(argc, argv, 2, "PYUN_DATA_DIR", "examples/data");
    work_dir = arg_or_env(argc, argv, 3, "PYUN_WORK_DIR", ".");
    only = arg_or_env(argc, argv, 4, "PYUN_HANDLES_ONLY", NULL);
    sandbox_secret = getenv("PYUN_APP_SECRET");
    if (sandbox_secret == NULL || sandbox_secret[0] == '\0') sandbox_secret = "123";
    if (base_url == NULL) {
        fprintf(stderr, "usage: %s BASE_URL [DATA_DIR [WORK_DIR [TEST]]] (or PYUN_SANDBOX_URL)\n",
                argv[0]);
        return 2;
    }
    id = getenv("PYUN_RUN_ID");
    snprintf(run_id, sizeof run_id, "%s%lu", id ? id : "r", (unsigned long)time(NULL));

    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only != NULL && strcmp(only, tests[i].name) != 0) continue;
        printf("handles: %s\n", tests[i].name);
        fflush(stdout);
        tests[i].fn();
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

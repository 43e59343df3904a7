/* test_storage.c: the outbox's files against the ways they go wrong (issue 21, items 7, 8, 11).
 * A committed record never disappears silently: two handles creating one outbox at once bind
 * one side file; a missing side file, or a database deleted under a kept side file, refuses the
 * open with PYUN_RESULT_OUTBOX_UNVERIFIED until the operator accepts a fresh start; a network
 * share is refused with PYUN_RESULT_NETWORK_SHARE. No sandbox: nothing is sent.
 *
 *   test_storage WORK_DIR
 *
 * Prints one line per failed check and closes with "N passed, M failed"; exits 0 only when
 * nothing failed. C99; pthreads or Windows threads through threads.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyun.h"
#include "check.h"
#include "threads.h"

#ifdef _WIN32
#include <windows.h>
static void pause_ms(int ms) { Sleep((DWORD)ms); }
#else
#include <time.h>
static void pause_ms(int ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}
#endif

static const char *work_dir;

/* examples/data/leave.json without its payments, with a serial of the test's. */
#define RECORD_FMT                                                                            \
    "{\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"%s\","   \
    "\"plate\":\"\\u7ca4B12345\",\"plate_color\":1,\"plate_type\":0,"                       \
    "\"enter_time\":\"1763791200000\",\"car_type\":1,\"car_desc\":\"\\u4e34\\u505c\","    \
    "\"charge_type\":\"1\","                                                                \
    "\"vehicle_type\":1,\"total_parking_space\":\"100\",\"remain_parking_space\":\"58\","  \
    "\"leave_time\":\"1763798400000\",\"total_value\":\"1000\",\"free_value\":\"100\","    \
    "\"cash_value\":\"500\",\"online_value\":\"400\"}"

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

static char *path_of(const char *name, const char *suffix) {
    size_t n = strlen(work_dir) + strlen(name) + strlen(suffix) + 2;
    char *p = (char *)malloc(n);
    if (p == NULL) abort();
    snprintf(p, n, "%s/%s%s", work_dir, name, suffix);
    return p;
}

/* Removes db, -wal, -shm and -enqueued. */
static void remove_outbox(const char *db) {
    const char *suffixes[] = {"", "-wal", "-shm", "-enqueued"};
    size_t i;
    for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char *p = path_of(db, suffixes[i]);
        remove(p);
        free(p);
    }
}

static int copy_file(const char *from, const char *to) {
    char buf[8192];
    size_t n;
    FILE *in = fopen(from, "rb"), *out;
    if (in == NULL) return 0;
    out = fopen(to, "wb");
    if (out == NULL) {
        fclose(in);
        return 0;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out) == 0;
}

static int enqueue_leave(pyun_outbox *ob, const char *serial) {
    char rec[512];
    int64_t id = 0;
    snprintf(rec, sizeof rec, RECORD_FMT, serial);
    return pyun_outbox_enqueue(ob, "leave", rec, NULL, &id) == PYUN_RESULT_OK && id > 0;
}

/* ---------------------------------------------------------------- item 7: created twice at once */

typedef struct {
    const char *db;
    volatile int *go;
    pyun_outbox *ob;
    pyun_result rc;
    char *error; /* the thread's last error */
} opener;

static void open_when_told(void *arg) {
    opener *o = (opener *)arg;
    while (!*o->go) {
    }
    o->rc = pyun_outbox_open(o->db, 0, 0, &o->ob);
    o->error = last_error();
}

/* Two handles create a new outbox at the same moment (a host and `pyun outbox` at first boot),
 * both enqueue, then an older copy of the file is put back: every record committed after the
 * copy must be named by the open that finds them missing, whichever handle stored it. */
static void test_created_twice_at_once(void) {
    int round, bad = 0;
    for (round = 0; round < 30; round++) {
        char name[64], *db, *copy, *wal, *shm, *msg;
        volatile int go = 0;
        opener a, b;
        pt_thread ta, tb;
        pyun_outbox *again = NULL;
        pyun_result rc;
        snprintf(name, sizeof name, "pyun-c-storage-twice-%d.db", round);
        db = path_of(name, "");
        copy = path_of(name, ".copy");
        wal = path_of(name, "-wal");
        shm = path_of(name, "-shm");
        remove_outbox(name);
        a.db = b.db = db;
        a.go = b.go = &go;
        a.ob = b.ob = NULL;
        if (pt_start(&ta, open_when_told, &a) != 0 || pt_start(&tb, open_when_told, &b) != 0)
            abort();
        pause_ms(5);
        go = 1;
        pt_join(&ta);
        pt_join(&tb);
        if (!CHECK(a.rc == PYUN_RESULT_OK && b.rc == PYUN_RESULT_OK)) {
            fprintf(stderr, "    round %d: open %d (%s) and %d (%s)\n", round, a.rc, a.error, b.rc,
                    b.error);
            bad++;
            free(a.error);
            free(b.error);
            break;
        }
        free(a.error);
        free(b.error);
        /* The schema is in the main file from creation on: this is the file before any record. */
        CHECK(copy_file(db, copy));
        CHECK(enqueue_leave(a.ob, "TWICE-A1"));
        CHECK(enqueue_leave(b.ob, "TWICE-B2"));
        CHECK(enqueue_leave(a.ob, "TWICE-A3"));
        CHECK(enqueue_leave(b.ob, "TWICE-B4"));
        pyun_outbox_free(a.ob);
        pyun_outbox_free(b.ob);
        /* The older copy put back. */
        CHECK(copy_file(copy, db));
        remove(wal);
        remove(shm);
        rc = pyun_outbox_open(db, 0, 0, &again);
        msg = last_error();
        if (rc != PYUN_RESULT_RECORDS_LOST || strstr(msg, "4 committed record") == NULL ||
            strstr(msg, "TWICE-A1") == NULL || strstr(msg, "TWICE-B2") == NULL ||
            strstr(msg, "TWICE-A3") == NULL || strstr(msg, "TWICE-B4") == NULL) {
            fprintf(stderr, "    round %d: open gave %d: %s\n", round, rc, msg);
            bad++;
        }
        free(msg);
        if (rc == PYUN_RESULT_OK) pyun_outbox_free(again);
        remove_outbox(name);
        remove(copy);
        free(db);
        free(copy);
        free(wal);
        free(shm);
    }
    CHECK(bad == 0);
}

/* ---------------------------------------------------------------- item 8: missing evidence */

static void test_side_file_missing(void) {
    const char *name = "pyun-c-storage-noside.db";
    char *db = path_of(name, ""), *side = path_of(name, "-enqueued"), *json = NULL;
    pyun_outbox *ob = NULL;
    remove_outbox(name);
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OK);
    CHECK(enqueue_leave(ob, "NOSIDE-1") && enqueue_leave(ob, "NOSIDE-2"));
    pyun_outbox_free(ob);
    /* The usual backup: the database copied without its side file. */
    CHECK(remove(side) == 0);
    ob = NULL;
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OUTBOX_UNVERIFIED && ob == NULL);
    HOLDS("-enqueued", "missing", "accept-fresh-start", "PYUN_OUTBOX_ACCEPT_FRESH_START");
    /* Refused again, not once: nothing was decided for the operator. */
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OUTBOX_UNVERIFIED);
    /* The operator accepts the database as it is: it opens with its records. */
    CHECK(pyun_outbox_open(db, PYUN_OUTBOX_ACCEPT_FRESH_START, 0, &ob) == PYUN_RESULT_OK);
    CHECK(pyun_outbox_counts(ob, &json) == PYUN_RESULT_OK && strstr(json, "\"pending\":2") != NULL);
    pyun_string_free(json);
    pyun_outbox_free(ob);
    ob = NULL;
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OK);
    CHECK(enqueue_leave(ob, "NOSIDE-3"));
    pyun_outbox_free(ob);
    remove_outbox(name);
    free(db);
    free(side);
}

static void test_database_deleted_under_its_side_file(void) {
    const char *name = "pyun-c-storage-nodb.db";
    char *db = path_of(name, ""), *wal = path_of(name, "-wal"), *json = NULL;
    pyun_outbox *ob = NULL;
    remove_outbox(name);
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OK);
    CHECK(enqueue_leave(ob, "NODB-1") && enqueue_leave(ob, "NODB-2"));
    pyun_outbox_free(ob);
    CHECK(remove(db) == 0);
    remove(wal);
    ob = NULL;
    CHECK(pyun_outbox_open(db, 0, 0, &ob) == PYUN_RESULT_OUTBOX_UNVERIFIED && ob == NULL);
    HOLDS("2 committed record", "NODB-1", "NODB-2", "accept-fresh-start");
    CHECK(pyun_outbox_open(db, PYUN_OUTBOX_ACCEPT_FRESH_START, 0, &ob) == PYUN_RESULT_OK);
    CHECK(pyun_outbox_counts(ob, &json) == PYUN_RESULT_OK && strstr(json, "\"pending\":0") != NULL);
    pyun_string_free(json);
    pyun_outbox_free(ob);
    remove_outbox(name);
    free(db);
    free(wal);
}

/* ---------------------------------------------------------------- item 11: network shares */

static void test_network_share_and_flags(void) {
    pyun_outbox *ob = NULL;
    FILE *f;
    char *db = path_of("pyun-c-storage-flags.db", "");
    CHECK(pyun_outbox_open("\\\\lot-server\\share\\pyun.db", 0, 0, &ob) ==
              PYUN_RESULT_NETWORK_SHARE &&
          ob == NULL);
    HOLDS("\\\\lot-server\\share\\pyun.db", "network share", "PYUN_OUTBOX_ALLOW_NETWORK_SHARE");
    /* Nothing was created for it (on Linux that would be a file of that name here). */
    f = fopen("\\\\lot-server\\share\\pyun.db", "rb");
    CHECK(f == NULL);
    if (f != NULL) fclose(f);
    /* Unknown flags are refused, not ignored. */
    CHECK(pyun_outbox_open(db, 8, 0, &ob) == PYUN_RESULT_INVALID_ARGUMENT && ob == NULL);
    HOLDS("flags", "8");
    remove_outbox("pyun-c-storage-flags.db");
    free(db);
}

int main(int argc, char **argv) {
    work_dir = argc > 1 ? argv[1] : ".";
    test_created_twice_at_once();
    test_side_file_missing();
    test_database_deleted_under_its_side_file();
    test_network_share_and_flags();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

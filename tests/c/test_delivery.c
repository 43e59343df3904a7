/* test_delivery.c: enqueue and forget through the C ABI. 4 threads enqueue records (1,000 by
 * default) while the outbox's background sender delivers them to a sandbox (one that fails
 * and drops requests, in scripts/test-c.sh); the outbox is closed and reopened in the middle.
 * Every record must end accepted, the event cursor (pyun_outbox_events) must see each
 * acceptance exactly once, and so must the sender's event callback, restarted from the last
 * position it handled (also once more at the end: a stopped sender hands over no more events,
 * they wait for the next start).
 *
 *   test_delivery BASE_URL [WORK_DIR]     (PYUN_APP_SECRET: the sandbox's secret;
 *                                          PYUN_DELIVERY_RECORDS: how many, default 1000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyun.h"
#include "check.h"
#include "threads.h"

#define THREADS 4
#define MAX_RECORDS 4000


static void sleep_ms(unsigned ms) {
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

/* What the callback saw: only the sender thread writes, the main thread reads after stop. */
static int callback_seen[MAX_RECORDS + 1];
static long long callback_cursor;
static int callback_bad;

static void on_event(void *userdata, const char *json) {
    long long seq = 0, id = 0;
    char kind[16] = "";
    if (userdata != (void *)callback_seen ||
        sscanf(json, "{\"seq\":%lld,\"kind\":\"%15[^\"]\",\"record_id\":%lld", &seq, kind, &id) != 3 ||
        seq <= callback_cursor) {
        callback_bad++;
        return;
    }
    __atomic_store_n(&callback_cursor, seq, __ATOMIC_SEQ_CST);
    if (strcmp(kind, "accepted") == 0 && id > 0 && id <= MAX_RECORDS) callback_seen[id]++;
}

typedef struct {
    pyun_outbox *outbox;
    const char *run;
    int phase, thread, count, errors;
} enqueue_job;

static void enqueue_some(void *arg) {
    enqueue_job *job = (enqueue_job *)arg;
    int i;
    for (i = 0; i < job->count; i++) {
        char record[256];
        int64_t id = 0;
        snprintf(record, sizeof record,
                 "{\"park_uuid\":\"p\",\"flow_no\":\"%s-%d-%d-%d\",\"parking_serial\":\"S-%s-%d-%d-%d\","
                 "\"plate\":\"P\"}",
                 job->run, job->phase, job->thread, i, job->run, job->phase, job->thread, i);
        if (pyun_outbox_enqueue(job->outbox, "update", record, NULL, &id) != PYUN_RESULT_OK)
            job->errors++;
    }
}

static long long json_number(const char *json, const char *key) {
    const char *at = strstr(json, key);
    return at != NULL ? atoll(at + strlen(key)) : -1;
}

int main(int argc, char **argv) {
    const char *base_url = argc > 1 ? argv[1] : getenv("PYUN_SANDBOX_URL");
    const char *work_dir = argc > 2 ? argv[2] : (getenv("PYUN_WORK_DIR") ? getenv("PYUN_WORK_DIR") : ".");
    const char *secret = getenv("PYUN_APP_SECRET");
    const char *n_env = getenv("PYUN_DELIVERY_RECORDS");
    int total = n_env != NULL ? atoi(n_env) : 1000;
    char db[1024], config[1024], run[32];
    pyun_client *client = NULL;
    int phase, seen_cursor[MAX_RECORDS + 1];
    long long cursor = 0, accepted = 0, events = 0;
    time_t deadline;

    if (base_url == NULL || secret == NULL || total < THREADS * 2 || total > MAX_RECORDS) {
        fprintf(stderr, "usage: test_delivery BASE_URL [WORK_DIR] (PYUN_APP_SECRET set)\n");
        return 2;
    }
    snprintf(run, sizeof run, "D%ld", (long)time(NULL));
    snprintf(db, sizeof db, "%s/pyun-c-delivery-%s.db", work_dir, run);
    snprintf(config, sizeof config,
             "{\"app_secret\":\"%s\",\"base_url\":\"%s\",\"max_attempts\":4,\"initial_backoff_ms\":5,"
             "\"max_backoff_ms\":50,\"timeout_ms\":10000}",
             secret, base_url);
    memset(seen_cursor, 0, sizeof seen_cursor);
    CHECK(pyun_client_new(config, 0, &client) == PYUN_RESULT_OK);

    for (phase = 0; phase < 2; phase++) {
        pyun_outbox *outbox = NULL;
        pyun_sender *sender = NULL;
        pt_thread threads[THREADS];
        enqueue_job jobs[THREADS];
        int t;
        CHECK(pyun_outbox_open(db, 0, 0, &outbox) == PYUN_RESULT_OK);
        /* The callback restarts from the last position it handled, as a host that keeps it. */
        CHECK(pyun_outbox_start_sender(outbox, client, 1000, on_event, callback_seen,
                                       callback_cursor, &sender) == PYUN_RESULT_OK);
        for (t = 0; t < THREADS; t++) {
            jobs[t].outbox = outbox;
            jobs[t].run = run;
            jobs[t].phase = phase;
            jobs[t].thread = t;
            jobs[t].count = total / 2 / THREADS;
            jobs[t].errors = 0;
            CHECK(pt_start(&threads[t], enqueue_some, &jobs[t]) == 0);
        }
        for (t = 0; t < THREADS; t++) {
            CHECK(pt_join(&threads[t]) == 0);
            CHECK(jobs[t].errors == 0);
        }
        deadline = time(NULL) + 600;
        while (phase == 1) {
            char *counts = NULL;
            long long done = -1;
            if (pyun_outbox_counts(outbox, &counts) == PYUN_RESULT_OK) {
                done = json_number(counts, "\"done\":");
                pyun_string_free(counts);
            }
            if (done >= (long long)(total / 2 / THREADS * THREADS * 2) || time(NULL) > deadline) break;
            sleep_ms(20);
        }
        /* Phase 0 stops with records still queued: they are delivered after the restart. */
        pyun_sender_stop(sender);
        /* The event cursor, read by the main thread. */
        for (;;) {
            char *json = NULL;
            const char *p;
            int n = 0;
            if (pyun_outbox_events(outbox, cursor, 100, &json) != PYUN_RESULT_OK) {
                CHECK(0);
                break;
            }
            for (p = strstr(json, "{\"seq\":"); p != NULL; p = strstr(p + 1, "{\"seq\":")) {
                long long seq = 0, id = 0;
                char kind[16] = "";
                if (sscanf(p, "{\"seq\":%lld,\"kind\":\"%15[^\"]\",\"record_id\":%lld", &seq, kind, &id) == 3) {
                    CHECK(seq > cursor);
                    cursor = seq;
                    events++;
                    n++;
                    if (strcmp(kind, "accepted") == 0 && id > 0 && id <= MAX_RECORDS) {
                        seen_cursor[id]++;
                        accepted++;
                    }
                }
            }
            pyun_string_free(json);
            if (n == 0) break;
        }
        if (phase == 1) {
            /* Stop hands over no more events once called: those after the callback's position
             * come at the next start, as a host that keeps its position sees them. */
            pyun_sender *again = NULL;
            time_t until = time(NULL) + 60;
            CHECK(pyun_outbox_start_sender(outbox, client, 1000, on_event, callback_seen,
                                           __atomic_load_n(&callback_cursor, __ATOMIC_SEQ_CST), &again) == PYUN_RESULT_OK);
            while (__atomic_load_n(&callback_cursor, __ATOMIC_SEQ_CST) < cursor && time(NULL) < until) sleep_ms(5);
            pyun_sender_stop(again);
        }
        if (phase == 1) {
            char *json = NULL;
            CHECK(pyun_outbox_record(outbox, 1, &json) == PYUN_RESULT_OK && strstr(json, "\"state\":\"done\"") != NULL &&
                  strstr(json, "\"seqno\":\"") != NULL);
            pyun_string_free(json);
            CHECK(pyun_outbox_record(outbox, 999999, &json) == PYUN_RESULT_OK && strcmp(json, "null") == 0);
            pyun_string_free(json);
            CHECK(pyun_outbox_head(outbox, &json) == PYUN_RESULT_OK && strcmp(json, "null") == 0);
            pyun_string_free(json);
        }
        pyun_outbox_free(outbox);
    }
    {
        int i, once = 1, callback_once = 1, n = total / 2 / THREADS * THREADS * 2;
        for (i = 1; i <= n; i++) {
            once &= seen_cursor[i] == 1;
            callback_once &= callback_seen[i] == 1;
        }
        CHECK(accepted == n && once);
        CHECK(callback_once && callback_bad == 0 && callback_cursor == cursor);
        printf("%d records from %d threads, a restart between: %lld accepted, %lld events, each seen once by the cursor and the callback\n",
               n, THREADS, accepted, events);
    }
    /* Misuse is reported, not a crash. */
    pyun_sender_stop(NULL);
    CHECK(pyun_outbox_start_sender(NULL, client, 0, NULL, NULL, 0, NULL) == PYUN_RESULT_INVALID_HANDLE ||
          pyun_outbox_start_sender(NULL, client, 0, NULL, NULL, 0, NULL) == PYUN_RESULT_NULL_ARGUMENT);
    pyun_client_free(client);
    remove(db);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

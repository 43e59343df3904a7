/* test_callbacks.c: pyun's callbacks in a host's hands (docs/promises.md, "Callbacks"). A
 * watchdog thread ends the program (exit 3, "HANG: ...") when a part does not finish before
 * its deadline: a deadlock fails the test instead of hanging it.
 *
 *   - a log callback that queries the outbox while delivery pauses (drain and sender)
 *   - a log callback that unsets itself; a slow log callback while another thread replaces it:
 *     no other thread's logging waits, and no call of the old callback starts after the
 *     replacing call returned
 *   - stopping the sender from inside its event callback and from another thread, with a
 *     backlog of events: no callback starts after stop returned, and stop from another thread
 *     waits for at most the callback in progress (plus one that raced it)
 *   - the event callback never runs before `*out_sender` is written
 *   - a leave enqueued just before its enter is still delivered after it
 *   - the stress host: for PYUN_CALLBACK_SECONDS (default 30), one thread starts and stops
 *     senders (some stop themselves from their callback), one sets and replaces the log
 *     callback (which sometimes unsets itself), one drains and logs; every callback calls back
 *     into every export allowed from a callback. The userdata of a stopped sender or replaced
 *     log callback is freed at once (valgrind sees a late callback as a use after free).
 *
 *   test_callbacks BASE_URL [WORK_DIR]   (PYUN_APP_SECRET: the sandbox's secret;
 *                                         PYUN_CALLBACK_SECONDS: the stress part, default 30;
 *                                         PYUN_CALLBACK_PARTS: some of "pause logset stop order
 *                                         stress", default all) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "pyun.h"
#include "check.h"
#include "threads.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

#define MAGIC 0x5059554eu
#define DEAD 0xdeadbeefu

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

/* ------------------------------------------------------------------------------ watchdog */

static const char *watch_phase = "start";
static long long watch_deadline; /* time(NULL) after which the phase hangs; 0: none */
static int watch_done;

static void arm(const char *phase, int seconds) {
    STORE(&watch_phase, phase);
    STORE(&watch_deadline, (long long)time(NULL) + seconds);
}

static void watchdog(void *arg) {
    (void)arg;
    while (!LOAD(&watch_done)) {
        long long deadline = LOAD(&watch_deadline);
        if (deadline != 0 && (long long)time(NULL) > deadline) {
            fprintf(stderr, "HANG: %s did not finish before its deadline (a deadlock?)\n", LOAD(&watch_phase));
            printf("%d passed, %d failed\n", passed, failed + 1);
            fflush(NULL);
#ifdef _WIN32
            ExitProcess(3);
#else
            _exit(3);
#endif
        }
        sleep_ms(50);
    }
}

/* Polls `*value` until it is at least `want`, for up to `seconds`. */
static int wait_for(int *value, int want, int seconds) {
    time_t deadline = time(NULL) + seconds;
    while (LOAD(value) < want) {
        if (time(NULL) > deadline) return 0;
        sleep_ms(1);
    }
    return 1;
}

/* --------------------------------------------------------------------------------- setup */

static const char *base_url, *work_dir, *secret;
static char run_id[32];

static pyun_client *new_client(const char *app_secret) {
    char config[1024];
    pyun_client *client = NULL;
    snprintf(config, sizeof config,
             "{\"app_secret\":\"%s\",\"base_url\":\"%s\",\"max_attempts\":2,\"initial_backoff_ms\":5,"
             "\"max_backoff_ms\":50,\"timeout_ms\":10000}",
             app_secret, base_url);
    CHECK(pyun_client_new(config, 0, &client) == PYUN_RESULT_OK);
    return client;
}

static pyun_outbox *open_outbox(const char *name) {
    char db[1024];
    pyun_outbox *outbox = NULL;
    snprintf(db, sizeof db, "%s/pyun-c-callbacks-%s-%s.db", work_dir, run_id, name);
    CHECK(pyun_outbox_open(db, 0, 0, &outbox) == PYUN_RESULT_OK);
    return outbox;
}

static void remove_outbox(const char *name) {
    char db[1024];
    const char *suffix[] = {"", "-wal", "-shm", "-enqueued"};
    size_t i;
    for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(db, sizeof db, "%s/pyun-c-callbacks-%s-%s.db%s", work_dir, run_id, name, suffix[i]);
        remove(db);
    }
}

static int enqueue_update(pyun_outbox *outbox, const char *tag, int i) {
    char record[256];
    int64_t id = 0;
    snprintf(record, sizeof record,
             "{\"park_uuid\":\"p\",\"flow_no\":\"%s-%s-%d\",\"parking_serial\":\"S-%s-%s-%d\",\"plate\":\"P\"}",
             run_id, tag, i, run_id, tag, i);
    return pyun_outbox_enqueue(outbox, "update", record, NULL, &id) == PYUN_RESULT_OK;
}

static long long json_number(const char *json, const char *key) {
    const char *at = strstr(json, key);
    return at != NULL ? atoll(at + strlen(key)) : -1;
}

static long long count_of(pyun_outbox *outbox, const char *key) {
    char *json = NULL;
    long long n = -1;
    if (pyun_outbox_counts(outbox, &json) == PYUN_RESULT_OK) {
        n = json_number(json, key);
        pyun_string_free(json);
    }
    return n;
}

/* Something in pyun logs a warning on the calling thread: a string it never handed out. */
static void log_something(void) {
    char not_ours[8] = "x";
    pyun_string_free(not_ours);
}

/* Every export the docs allow from a callback that reads the outbox; how many succeeded. */
static int query_outbox(pyun_outbox *outbox) {
    char *json = NULL, buf[64];
    int ok = 0;
    if (pyun_outbox_head(outbox, &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_outbox_record(outbox, 1, &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_outbox_find(outbox, "K", &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_outbox_counts(outbox, &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_outbox_events(outbox, 0, 3, &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_outbox_dead_letters(outbox, &json) == PYUN_RESULT_OK) ok++, pyun_string_free(json);
    if (pyun_version()[0] != '\0') ok++;
    pyun_last_error_message(buf, sizeof buf);
    return ok;
}

/* ------------------------------------------- 1. a log callback querying a pausing outbox */

typedef struct {
    pyun_outbox *outbox;
    int calls, paused, queries;
} query_log;

static void log_queries(void *userdata, uint32_t level, const char *target, const char *message) {
    query_log *q = (query_log *)userdata;
    (void)level;
    (void)target;
    ADD(&q->calls, 1);
    if (strstr(message, "delivery paused") != NULL) ADD(&q->paused, 1);
    ADD(&q->queries, query_outbox(q->outbox));
}

static void test_pause_log_queries(void) {
    pyun_client *wrong = new_client("wrong-secret");
    pyun_outbox *first = open_outbox("pause-drain"), *second = open_outbox("pause-sender");
    pyun_sender *sender = NULL;
    query_log q;
    char *report = NULL;
    int i;
    memset(&q, 0, sizeof q);
    for (i = 0; i < 4; i++) CHECK(enqueue_update(first, "pd", i) && enqueue_update(second, "ps", i));
    q.outbox = first;
    CHECK(pyun_log_set_callback(log_queries, &q, 1, 0) == PYUN_RESULT_OK);
    arm("a log callback querying the outbox while pyun_outbox_drain pauses delivery", 60);
    CHECK(pyun_outbox_drain(first, wrong, &report) == PYUN_RESULT_OK &&
          strstr(report, "\"paused\":\"delivery paused") != NULL);
    pyun_string_free(report);
    CHECK(LOAD(&q.paused) == 1 && LOAD(&q.queries) >= 7);
    /* The same on the sender's thread, then a stop that must not wait for ever. */
    CHECK(pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK);
    q.outbox = second;
    CHECK(pyun_log_set_callback(log_queries, &q, 1, 0) == PYUN_RESULT_OK);
    arm("a log callback querying the outbox while the sender pauses delivery", 60);
    CHECK(pyun_outbox_start_sender(second, wrong, 50, NULL, NULL, 0, &sender) == PYUN_RESULT_OK);
    CHECK(wait_for(&q.paused, 2, 30));
    pyun_sender_stop(sender);
    CHECK(pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK);
    printf("a log callback queried the outbox (%d calls) as delivery paused, in a drain and on the sender\n",
           LOAD(&q.queries));
    pyun_outbox_free(first);
    pyun_outbox_free(second);
    pyun_client_free(wrong);
}

/* ------------------------------------------------ 2. unset from inside; a slow callback */

typedef struct {
    int calls, unset_returned, after_unset;
} unset_log;

static void log_unsets(void *userdata, uint32_t level, const char *target, const char *message) {
    unset_log *u = (unset_log *)userdata;
    (void)level;
    (void)target;
    (void)message;
    if (LOAD(&u->unset_returned)) ADD(&u->after_unset, 1);
    if (ADD(&u->calls, 1) == 1 && pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK)
        STORE(&u->unset_returned, 1);
}

typedef struct {
    int claimed, in_slow, release, calls, replaced, after_replaced;
} slow_log;

static void log_slowly(void *userdata, uint32_t level, const char *target, const char *message) {
    slow_log *s = (slow_log *)userdata;
    int expected = 0;
    (void)level;
    (void)target;
    (void)message;
    if (LOAD(&s->replaced)) ADD(&s->after_replaced, 1);
    ADD(&s->calls, 1);
    /* The first call blocks until the host lets it go (a callback waiting for a UI thread). */
    if (__atomic_compare_exchange_n(&s->claimed, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        STORE(&s->in_slow, 1);
        while (!LOAD(&s->release)) sleep_ms(1);
    }
}

static int replacer_entering;

static void log_once(void *arg) {
    (void)arg;
    log_something();
}

static void replace_log(void *arg) {
    slow_log *s = (slow_log *)arg;
    STORE(&replacer_entering, 1);
    if (pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK) STORE(&s->replaced, 1);
}

static void test_log_callback_changes(void) {
    unset_log u;
    slow_log s;
    pt_thread slow, replacer;
    int i, replaced_early;
    memset(&u, 0, sizeof u);
    arm("pyun_log_set_callback from inside the log callback", 30);
    CHECK(pyun_log_set_callback(log_unsets, &u, 2, 0) == PYUN_RESULT_OK);
    for (i = 0; i < 3; i++) log_something();
    CHECK(LOAD(&u.calls) == 1 && LOAD(&u.unset_returned) == 1 && LOAD(&u.after_unset) == 0);

    memset(&s, 0, sizeof s);
    arm("logging on other threads while a slow log callback is being replaced", 60);
    CHECK(pyun_log_set_callback(log_slowly, &s, 2, 0) == PYUN_RESULT_OK);
    CHECK(pt_start(&slow, log_once, NULL) == 0);
    CHECK(wait_for(&s.in_slow, 1, 30));
    CHECK(pt_start(&replacer, replace_log, &s) == 0);
    CHECK(wait_for(&replacer_entering, 1, 30));
    /* The replacing call waits for the slow call; logging elsewhere must not wait for either. */
    for (i = 0; i < 200; i++) {
        log_something();
        sleep_ms(1);
    }
    replaced_early = LOAD(&s.replaced);
    STORE(&s.release, 1);
    CHECK(pt_join(&slow) == 0 && pt_join(&replacer) == 0);
    CHECK(!replaced_early && LOAD(&s.replaced) && LOAD(&s.after_replaced) == 0);
    printf("the log callback unset itself; 200 records logged while a slow callback was being replaced\n");
}

/* ------------------------------------------ 3 and 4. stopping the sender; *out_sender first */

typedef struct {
    pyun_sender *sender;
    int inside, calls, early, first, stop_called, stopped, after_stop, during_stop, stop_logged;
} stop_events;

static void on_event_stop(void *userdata, const char *json) {
    stop_events *e = (stop_events *)userdata;
    (void)json;
    if (LOAD(&e->stopped)) ADD(&e->after_stop, 1);
    if (LOAD(&e->stop_called)) ADD(&e->during_stop, 1);
    if (ADD(&e->calls, 1) != 1) return;
    if (LOAD(&e->sender) == NULL) ADD(&e->early, 1);
    if (e->inside) {
        time_t deadline = time(NULL) + 10;
        while (LOAD(&e->sender) == NULL && time(NULL) < deadline) sleep_ms(1);
        pyun_sender_stop(LOAD(&e->sender));
        STORE(&e->stopped, 1);
    } else {
        time_t deadline = time(NULL) + 30;
        STORE(&e->first, 1);
        while (!LOAD(&e->stop_called) && time(NULL) < deadline) sleep_ms(1);
    }
}

static stop_events *stop_log_target;

static void log_sender_stops(void *userdata, uint32_t level, const char *target, const char *message) {
    (void)userdata;
    (void)level;
    (void)target;
    if (strstr(message, "sender stopped") != NULL && LOAD(&stop_log_target) != NULL)
        ADD(&LOAD(&stop_log_target)->stop_logged, 1);
}

static void test_sender_stop(void) {
    pyun_client *client = new_client(secret);
    pyun_outbox *outbox = open_outbox("backlog");
    stop_events e;
    char *report = NULL;
    int i, rounds = 0, early = 0;
    arm("a backlog of 300 events", 120);
    for (i = 0; i < 300; i++) CHECK(enqueue_update(outbox, "bl", i));
    CHECK(pyun_outbox_drain(outbox, client, &report) == PYUN_RESULT_OK);
    pyun_string_free(report);
    CHECK(count_of(outbox, "\"done\":") == 300);
    CHECK(pyun_log_set_callback(log_sender_stops, NULL, 4, 0) == PYUN_RESULT_OK);

    /* Stopped from inside its own callback: that callback is the last one. */
    memset(&e, 0, sizeof e);
    e.inside = 1;
    STORE(&stop_log_target, &e);
    arm("pyun_sender_stop from inside the event callback", 60);
    CHECK(pyun_outbox_start_sender(outbox, client, 1000, on_event_stop, &e, 0, &e.sender) == PYUN_RESULT_OK);
    CHECK(wait_for(&e.stopped, 1, 30));
    CHECK(wait_for(&e.stop_logged, 1, 30)); /* the sender thread has ended */
    CHECK(LOAD(&e.after_stop) == 0 && LOAD(&e.calls) == 1);
    printf("stopped from inside its callback: %d callback(s) in all, %d after stop returned\n", LOAD(&e.calls),
           LOAD(&e.after_stop));

    /* Stopped from another thread while a callback runs: at most one more starts meanwhile. */
    memset(&e, 0, sizeof e);
    STORE(&stop_log_target, &e);
    arm("pyun_sender_stop from another thread during a backlog of events", 60);
    CHECK(pyun_outbox_start_sender(outbox, client, 1000, on_event_stop, &e, 0, &e.sender) == PYUN_RESULT_OK);
    CHECK(wait_for(&e.first, 1, 30));
    STORE(&e.stop_called, 1);
    pyun_sender_stop(e.sender);
    STORE(&e.stopped, 1);
    CHECK(LOAD(&e.stop_logged) == 1 && LOAD(&e.during_stop) <= 1 && LOAD(&e.after_stop) == 0);
    printf("stopped from another thread: %d callback(s) started while stop ran, %d after it returned\n",
           LOAD(&e.during_stop), LOAD(&e.after_stop));
    STORE(&stop_log_target, NULL);
    CHECK(pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK);

    /* The first callback comes after *out_sender was written, every time. */
    arm("starting and stopping senders with a backlog of events", 120);
    for (rounds = 0; rounds < 50; rounds++) {
        memset(&e, 0, sizeof e);
        CHECK(pyun_outbox_start_sender(outbox, client, 1000, on_event_stop, &e, 0, &e.sender) == PYUN_RESULT_OK);
        CHECK(wait_for(&e.first, 1, 30));
        STORE(&e.stop_called, 1);
        pyun_sender_stop(e.sender);
        early += LOAD(&e.early);
    }
    CHECK(early == 0);
    printf("%d senders started: the first callback came before *out_sender was written %d time(s)\n", rounds,
           early);
    pyun_outbox_free(outbox);
    pyun_client_free(client);
}

/* ------------------------------------------------------- 5. a leave just before its enter */

static void test_leave_before_enter(void) {
    enum { PAIRS = 100 };
    pyun_client *client = new_client(secret);
    pyun_outbox *outbox = open_outbox("order");
    pyun_sender *sender = NULL;
    long long enter_seq[PAIRS], leave_seq[PAIRS], cursor = 0;
    int i, wrong_order = 0, unseen = 0;
    time_t deadline;
    arm("a leave enqueued just before its enter", 300);
    CHECK(pyun_outbox_start_sender(outbox, client, 1000, NULL, NULL, 0, &sender) == PYUN_RESULT_OK);
    for (i = 0; i < PAIRS; i++) {
        char enter[512], leave[512];
        int64_t id = 0;
        const char *common =
            "\"park_uuid\":\"p\",\"parking_serial\":\"O-%s-%d\",\"plate\":\"P\",\"plate_color\":1,"
            "\"enter_time\":\"1763791200000\",\"car_type\":1,\"car_desc\":\"x\",\"charge_type\":\"1\"";
        char fields[400];
        snprintf(fields, sizeof fields, common, run_id, i);
        snprintf(leave, sizeof leave, "{%s,\"leave_time\":\"1763798400000\"}", fields);
        snprintf(enter, sizeof enter, "{%s}", fields);
        /* Ids 2i+1 (the leave) and 2i+2 (the enter), with the sender idle in between. */
        CHECK(pyun_outbox_enqueue(outbox, "leave", leave, NULL, &id) == PYUN_RESULT_OK && id == 2 * i + 1);
        CHECK(pyun_outbox_enqueue(outbox, "enter", enter, NULL, &id) == PYUN_RESULT_OK && id == 2 * i + 2);
        enter_seq[i] = leave_seq[i] = 0;
        if (i % 10 == 9) {
            /* Idle again before the next pairs. */
            deadline = time(NULL) + 60;
            while (count_of(outbox, "\"pending\":") > 0 && time(NULL) < deadline) sleep_ms(5);
        }
    }
    deadline = time(NULL) + 120;
    while (count_of(outbox, "\"pending\":") > 0 && time(NULL) < deadline) sleep_ms(10);
    pyun_sender_stop(sender);
    for (;;) {
        char *json = NULL;
        const char *p;
        int n = 0;
        if (pyun_outbox_events(outbox, cursor, 100, &json) != PYUN_RESULT_OK) break;
        for (p = strstr(json, "{\"seq\":"); p != NULL; p = strstr(p + 1, "{\"seq\":")) {
            long long seq = 0, id = 0;
            char kind[16] = "";
            if (sscanf(p, "{\"seq\":%lld,\"kind\":\"%15[^\"]\",\"record_id\":%lld", &seq, kind, &id) == 3) {
                cursor = seq;
                n++;
                if (strcmp(kind, "accepted") == 0 && id >= 1 && id <= 2 * PAIRS)
                    *(id % 2 == 1 ? &leave_seq[(id - 1) / 2] : &enter_seq[(id - 2) / 2]) = seq;
            }
        }
        pyun_string_free(json);
        if (n == 0) break;
    }
    for (i = 0; i < PAIRS; i++) {
        if (enter_seq[i] == 0 || leave_seq[i] == 0)
            unseen++;
        else if (leave_seq[i] < enter_seq[i])
            wrong_order++;
    }
    CHECK(unseen == 0 && wrong_order == 0);
    printf("%d leaves enqueued just before their enter: %d delivered first, %d not accepted\n", PAIRS,
           wrong_order, unseen);
    pyun_outbox_free(outbox);
    pyun_client_free(client);
}

/* --------------------------------------------------------------------- 6. the stress host */

static pyun_outbox *stress_outbox;
static pyun_client *stress_good, *stress_wrong;
static long long stress_end;
static int violations, sender_rounds, self_stops, log_rounds, log_calls, event_calls, drains, nested_unsets;

typedef struct {
    unsigned magic;
    pyun_sender *sender;
    int stop_self, calls, stopped;
} stress_sender;

static void stress_event(void *userdata, const char *json) {
    stress_sender *s = (stress_sender *)userdata;
    (void)json;
    if (s->magic != MAGIC || LOAD(&s->stopped)) {
        ADD(&violations, 1);
        return;
    }
    ADD(&s->calls, 1);
    ADD(&event_calls, 1);
    query_outbox(stress_outbox);
    if (s->stop_self) {
        pyun_sender *mine = XCHG(&s->sender, NULL);
        if (mine != NULL) {
            pyun_sender_stop(mine);
            ADD(&self_stops, 1);
            STORE(&s->stopped, 1); /* the last touch: the host may free it now */
        }
    }
}

typedef struct {
    unsigned magic;
    int calls;
} stress_log;

static void stress_logger(void *userdata, uint32_t level, const char *target, const char *message) {
    stress_log *l = (stress_log *)userdata;
    (void)level;
    (void)target;
    (void)message;
    if (l->magic != MAGIC) {
        ADD(&violations, 1);
        return;
    }
    ADD(&l->calls, 1);
    ADD(&log_calls, 1);
    query_outbox(stress_outbox);
    if (ADD(&nested_unsets, 1) % 97 == 0) pyun_log_set_callback(NULL, NULL, 0, 0);
}

static void churn_senders(void *arg) {
    int round;
    (void)arg;
    for (round = 0; (long long)time(NULL) < stress_end; round++) {
        stress_sender *s = (stress_sender *)calloc(1, sizeof *s);
        pyun_sender *mine;
        if (s == NULL) abort();
        s->magic = MAGIC;
        s->stop_self = round % 4 == 3;
        /* After seq 0: every start replays the whole history, a backlog to be stopped in. */
        if (pyun_outbox_start_sender(stress_outbox, round % 3 == 2 ? stress_wrong : stress_good, 20,
                                     stress_event, s, 0, &s->sender) != PYUN_RESULT_OK) {
            ADD(&violations, 1);
            free(s);
            continue;
        }
        if (round % 4 == 0) enqueue_update(stress_outbox, "st", round);
        if (s->stop_self)
            wait_for(&s->stopped, 1, 2);
        else
            wait_for(&s->calls, 1 + round % 5, 2);
        mine = XCHG(&s->sender, NULL);
        if (mine != NULL)
            pyun_sender_stop(mine);
        else if (!wait_for(&s->stopped, 1, 30)) /* it stopped itself: the callback's last touch */
            ADD(&violations, 1);
        STORE(&s->stopped, 1);
        s->magic = DEAD;
        free(s);
        ADD(&sender_rounds, 1);
    }
}

static void churn_log_callback(void *arg) {
    stress_log *current = NULL;
    int round;
    (void)arg;
    for (round = 0; (long long)time(NULL) < stress_end; round++) {
        stress_log *next = (stress_log *)calloc(1, sizeof *next);
        if (next == NULL) abort();
        next->magic = MAGIC;
        if (pyun_log_set_callback(stress_logger, next, round % 2 == 0 ? 4 : 2, 0) != PYUN_RESULT_OK)
            ADD(&violations, 1);
        /* The replaced callback no longer runs: its userdata goes at once. */
        if (current != NULL) {
            current->magic = DEAD;
            free(current);
        }
        current = next;
        wait_for(&current->calls, 3, 1);
        if (round % 5 == 4) {
            if (pyun_log_set_callback(NULL, NULL, 0, 0) != PYUN_RESULT_OK) ADD(&violations, 1);
            current->magic = DEAD;
            free(current);
            current = NULL;
        }
        ADD(&log_rounds, 1);
    }
    pyun_log_set_callback(NULL, NULL, 0, 0);
    if (current != NULL) {
        current->magic = DEAD;
        free(current);
    }
}

static void drain_and_log(void *arg) {
    int round;
    (void)arg;
    for (round = 0; (long long)time(NULL) < stress_end; round++) {
        char *report = NULL;
        if (pyun_outbox_drain(stress_outbox, round % 2 ? stress_wrong : stress_good, &report) == PYUN_RESULT_OK)
            pyun_string_free(report);
        log_something();
        ADD(&drains, 1);
        sleep_ms(5);
    }
}

static void test_stress(int seconds) {
    pt_thread threads[3];
    int i;
    char *report = NULL;
    stress_outbox = open_outbox("stress");
    stress_good = new_client(secret);
    stress_wrong = new_client("wrong-secret");
    /* A history of events: every sender started replays it, and is stopped in the middle. */
    for (i = 0; i < 300; i++) CHECK(enqueue_update(stress_outbox, "sh", i));
    CHECK(pyun_outbox_drain(stress_outbox, stress_good, &report) == PYUN_RESULT_OK);
    pyun_string_free(report);
    stress_end = (long long)time(NULL) + seconds;
    arm("the stress host (senders started and stopped, log callbacks set and replaced)", seconds + 120);
    CHECK(pt_start(&threads[0], churn_senders, NULL) == 0);
    CHECK(pt_start(&threads[1], churn_log_callback, NULL) == 0);
    CHECK(pt_start(&threads[2], drain_and_log, NULL) == 0);
    for (i = 0; i < 3; i++) CHECK(pt_join(&threads[i]) == 0);
    CHECK(LOAD(&violations) == 0 && sender_rounds > 0 && log_rounds > 0 && event_calls > 0 && log_calls > 0);
    printf("stress for %d s: %d senders (%d stopped from their callback), %d event callbacks; %d log callbacks set,"
           " %d calls; %d drains; %d callback(s) after their stop or unset returned\n",
           seconds, sender_rounds, self_stops, event_calls, log_rounds, log_calls, drains, LOAD(&violations));
    pyun_outbox_free(stress_outbox);
    pyun_client_free(stress_good);
    pyun_client_free(stress_wrong);
}

/* Whether PYUN_CALLBACK_PARTS (unset: all) names this part. */
static int part(const char *name) {
    const char *parts = getenv("PYUN_CALLBACK_PARTS");
    return parts == NULL || strstr(parts, name) != NULL;
}

int main(int argc, char **argv) {
    const char *seconds_env = getenv("PYUN_CALLBACK_SECONDS");
    int seconds = seconds_env != NULL ? atoi(seconds_env) : 30;
    pt_thread dog;
    base_url = argc > 1 ? argv[1] : getenv("PYUN_SANDBOX_URL");
    work_dir = argc > 2 ? argv[2] : (getenv("PYUN_WORK_DIR") ? getenv("PYUN_WORK_DIR") : ".");
    secret = getenv("PYUN_APP_SECRET");
    if (base_url == NULL || secret == NULL || seconds < 1) {
        fprintf(stderr, "usage: test_callbacks BASE_URL [WORK_DIR] (PYUN_APP_SECRET set; PYUN_CALLBACK_SECONDS >= 1)\n");
        return 2;
    }
    snprintf(run_id, sizeof run_id, "CB%ld", (long)time(NULL));
    if (pt_start(&dog, watchdog, NULL) != 0) return 2;

    if (part("pause")) test_pause_log_queries();
    if (part("logset")) test_log_callback_changes();
    if (part("stop")) test_sender_stop();
    if (part("order")) test_leave_before_enter();
    if (part("stress")) test_stress(seconds);

    STORE(&watch_done, 1);
    pt_join(&dog);
    remove_outbox("pause-drain");
    remove_outbox("pause-sender");
    remove_outbox("backlog");
    remove_outbox("order");
    remove_outbox("stress");
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

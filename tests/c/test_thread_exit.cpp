/* test_thread_exit.cpp: pyun called while a thread is shutting down.
 *
 *   test_thread_exit BASE_URL WORK_DIR
 *
 * C++ hosts (and the .NET and Delphi runtimes) run code at thread exit: destructors of
 * `thread_local` objects and pthread key destructors. By then libpyun's own thread-local
 * storage may already be destroyed (or never be destroyed again), and a call must still return
 * its result code instead of aborting the process. The calls below run:
 *   1. in the destructor of a thread_local object constructed before the thread's first pyun
 *      call (so it is destroyed after libpyun's thread-locals),
 *   2. in a pthread key destructor (after every thread_local of the thread is gone),
 *   3. in a pthread key destructor of a thread that never called pyun before,
 *   4. in the destructor of a thread_local of the main thread, at exit().
 * Each prints one line; the program exits 0 only when every call returned what it should.
 * The sandbox's secret comes from PYUN_APP_SECRET (default "123"). */
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pyun.h"
#include "test_data.h"

static std::string base_url, work_dir, secret = "123";
static int failures;

static void expect(bool ok, const char *where, const char *what) {
    if (!ok) {
        failures++;
        std::fprintf(stderr, "FAIL %s: %s\n", where, what);
    }
}

/* Every kind of call: stateless success and failure, the last error, a client, a built request
 * and its body, a push to the sandbox, an outbox. Returns the number of failed expectations. */
static int exercise(const char *where) {
    int before = failures;
    char *s = NULL;
    pyun_result rc = pyun_sign(VECTOR_JSON_UTF8, "123", 0, &s);
    expect(rc == PYUN_RESULT_OK && s != NULL && std::strcmp(s, VECTOR_SIGN) == 0, where,
           "pyun_sign");
    pyun_string_free(s);

    rc = pyun_sign("{", "123", 0, &s);
    expect(rc == PYUN_RESULT_MALFORMED_JSON, where, "pyun_sign of bad JSON");
    /* The message may have been dropped (no storage left at thread exit): any length is fine,
     * and what is copied is NUL-terminated. */
    char message[512] = "unchanged";
    size_t n = pyun_last_error_message(message, sizeof message);
    expect(n == 0 || (n < sizeof message && std::strlen(message) == n), where,
           "pyun_last_error_message");

    std::string config = "{\"app_secret\":\"" + secret + "\",\"base_url\":\"" + base_url +
                         "\",\"max_attempts\":1}";
    pyun_client *client = NULL;
    rc = pyun_client_new(config.c_str(), 0, &client);
    expect(rc == PYUN_RESULT_OK && client != NULL, where, "pyun_client_new");
    pyun_client *bad = NULL;
    expect(pyun_client_new("{\"app_secret\":\"\"}", 0, &bad) == PYUN_RESULT_CONFIG &&
               bad == NULL,
           where, "pyun_client_new with an empty secret");

    std::string serial = "TE-" + std::to_string(getpid()) + "-" + where;
    std::string record = "{\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\","
                         "\"parking_serial\":\"" + serial +
                         "\",\"plate\":\"B12345\",\"plate_color\":1,\"plate_type\":0,"
                         "\"enter_time\":\"1763791200000\",\"enter_gate\":\"E1\",\"car_desc\":\"temp\","
                         "\"car_type\":1,\"car_color\":4,\"charge_type\":\"1\","
                         "\"vehicle_type\":1,\"total_parking_space\":\"100\","
                         "\"remain_parking_space\":\"57\"}";
    pyun_request *request = NULL;
    rc = pyun_client_build_request(client, "enter", record.c_str(), NULL, &request);
    expect(rc == PYUN_RESULT_OK && request != NULL, where, "pyun_client_build_request");
    uint8_t *body = NULL;
    size_t len = 0;
    rc = pyun_request_body(request, &body, &len);
    expect(rc == PYUN_RESULT_OK && len > 0, where, "pyun_request_body");
    pyun_bytes_free(body, len);
    pyun_request_free(request);

    pyun_outcome outcome = PYUN_OUTCOME_UNKNOWN;
    rc = pyun_client_push(client, "enter", record.c_str(), NULL, &outcome, NULL);
    expect(rc == PYUN_RESULT_OK && outcome == PYUN_OUTCOME_ACCEPTED, where, "pyun_client_push");
    pyun_client_free(client);

    std::string db = work_dir + "/thread-exit-" + where + ".db";
    pyun_outbox *outbox = NULL;
    rc = pyun_outbox_open(db.c_str(), 0, 0, &outbox);
    expect(rc == PYUN_RESULT_OK && outbox != NULL, where, "pyun_outbox_open");
    char *counts = NULL;
    rc = pyun_outbox_counts(outbox, &counts);
    expect(rc == PYUN_RESULT_OK && counts != NULL, where, "pyun_outbox_counts");
    pyun_string_free(counts);
    pyun_outbox_free(outbox);

    std::printf("%s: %s (last error %zu bytes)\n", where,
                failures == before ? "every call returned its result" : "FAILED", n);
    std::fflush(stdout);
    return failures - before;
}

/* A thread_local whose destructor calls pyun. */
struct AtThreadExit {
    const char *where;
    explicit AtThreadExit(const char *w) : where(w) {}
    ~AtThreadExit() {
        /* At exit() of the main thread, nobody is left to count: fail the exit status here. */
        if (exercise(where) != 0 && std::strcmp(where, "main-thread-local") == 0) std::_Exit(1);
    }
};

static pthread_key_t key_used, key_fresh;

static void key_destructor(void *where) { exercise(static_cast<const char *>(where)); }

static void *with_thread_local(void *) {
    /* Constructed before the first pyun call of the thread: destroyed after pyun's storage. */
    static thread_local AtThreadExit guard("thread-local");
    (void)guard.where;
    exercise("thread-body");
    return NULL;
}

static void *with_key_used(void *) {
    pthread_setspecific(key_used, const_cast<char *>("key-after-calls"));
    exercise("thread-body-2");
    return NULL;
}

static void *with_key_fresh(void *) {
    pthread_setspecific(key_fresh, const_cast<char *>("key-first-call"));
    return NULL;
}

static void run(void *(*fn)(void *)) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0 || pthread_join(t, NULL) != 0) {
        std::fprintf(stderr, "FAIL: thread\n");
        failures++;
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: test_thread_exit BASE_URL WORK_DIR\n");
        return 2;
    }
    base_url = argv[1];
    work_dir = argv[2];
    if (const char *s = std::getenv("PYUN_APP_SECRET")) secret = s;
    if (pthread_key_create(&key_used, key_destructor) != 0 ||
        pthread_key_create(&key_fresh, key_destructor) != 0)
        return 2;
    static thread_local AtThreadExit main_guard("main-thread-local");
    (void)main_guard.where;
    run(with_thread_local);
    run(with_key_used);
    run(with_key_fresh);
    exercise("main");
    std::printf("thread exit: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}

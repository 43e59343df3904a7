/* handles.c: what the C ABI's handle and string checks cost per call (issue 17).
 *
 *   handles [ROUNDS]      (bench/c/handles.sh builds it and runs it against libpyun)
 *
 * Single thread, best of ROUNDS rounds (default 7), nanoseconds per call:
 *   sign           pyun_sign of page 001's enter vector + pyun_string_free
 *   build_request  pyun_client_build_request of an enter (no photo) + pyun_request_free
 *   failing_call   pyun_client_push with out_outcome NULL: the handle check, the panic guard
 *                  and the error message, nothing else (the floor of a handle call)
 * Threads, each on a client of its own, best of ROUNDS rounds, calls per second in total:
 *   sign x1 / x8 (the string registry), build_request x1 / x8, failing_call x1 / x8
 * No network: the client points at a closed port and nothing is sent. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyun.h"
#include "../../tests/c/test_data.h"
#include "../../tests/c/threads.h"

#define MAX_THREADS 8

static double now(void) {
#ifdef _WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

static void die(const char *what) {
    char msg[512];
    if (pyun_last_error_message(msg, sizeof msg) >= sizeof msg) msg[0] = '\0';
    fprintf(stderr, "%s failed: %s\n", what, msg);
    exit(1);
}

static pyun_client *new_client(void) {
    pyun_client *c = NULL;
    if (pyun_client_new("{\"app_secret\":\"123\",\"base_url\":\"http://127.0.0.1:9\"}", 0, &c) !=
        PYUN_RESULT_OK)
        die("pyun_client_new");
    return c;
}

typedef enum { SIGN, BUILD, FAILING } work;

static void run(work w, pyun_client *c, long n) {
    long i;
    for (i = 0; i < n; i++) {
        if (w == SIGN) {
            char *s = NULL;
            if (pyun_sign(VECTOR_JSON_UTF8, "123", 0, &s) != PYUN_RESULT_OK) die("pyun_sign");
            pyun_string_free(s);
        } else if (w == BUILD) {
            pyun_request *r = NULL;
            if (pyun_client_build_request(c, "enter", ENTER_RECORD_UTF8, NULL, &r) !=
                PYUN_RESULT_OK)
                die("pyun_client_build_request");
            pyun_request_free(r);
        } else {
            if (pyun_client_push(c, "enter", ENTER_RECORD_UTF8, NULL, NULL, NULL) !=
                PYUN_RESULT_NULL_ARGUMENT)
                die("pyun_client_push");
        }
    }
}

typedef struct {
    work w;
    pyun_client *client;
    long n;
} job;

static void job_main(void *arg) {
    job *j = (job *)arg;
    run(j->w, j->client, j->n);
}

/* Calls per second of `threads` threads, each making n calls on its own client. */
static double throughput(work w, pyun_client **clients, int threads, long n) {
    job jobs[MAX_THREADS];
    pt_thread th[MAX_THREADS];
    double t0;
    int i;
    t0 = now();
    for (i = 0; i < threads; i++) {
        jobs[i].w = w;
        jobs[i].client = clients[i];
        jobs[i].n = n;
        if (pt_start(&th[i], job_main, &jobs[i]) != 0) die("pt_start");
    }
    for (i = 0; i < threads; i++) pt_join(&th[i]);
    return (double)threads * (double)n / (now() - t0);
}

int main(int argc, char **argv) {
    static const char *names[] = {"sign", "build_request", "failing_call"};
    static const long single_n[] = {20000, 10000, 100000};
    int rounds = argc > 1 ? atoi(argv[1]) : 7, r, i;
    pyun_client *clients[MAX_THREADS];
    static const work tp_work[] = {SIGN, BUILD, FAILING};
    static const long tp_n[] = {4000, 4000, 40000};
    double best[3], best_tp[3][2];
    for (i = 0; i < MAX_THREADS; i++) clients[i] = new_client();
    for (i = 0; i < 3; i++) best[i] = 1e30;
    memset(best_tp, 0, sizeof best_tp);
    run(SIGN, clients[0], 2000);
    run(BUILD, clients[0], 2000);
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < 3; i++) {
            double t0 = now(), ns;
            run((work)i, clients[0], single_n[i]);
            ns = (now() - t0) * 1e9 / (double)single_n[i];
            if (ns < best[i]) best[i] = ns;
        }
        for (i = 0; i < 3; i++) {
            work w = tp_work[i];
            long n = tp_n[i];
            double one = throughput(w, clients, 1, n * 2), eight = throughput(w, clients, 8, n);
            if (one > best_tp[i][0]) best_tp[i][0] = one;
            if (eight > best_tp[i][1]) best_tp[i][1] = eight;
        }
    }
    printf("libpyun %s, best of %d rounds\n", pyun_version(), rounds);
    for (i = 0; i < 3; i++) printf("%-14s %8.0f ns/call\n", names[i], best[i]);
    for (i = 0; i < 3; i++)
        printf("%-14s x1 %9.0f calls/s, x8 on 8 clients %9.0f calls/s\n", names[i],
               best_tp[i][0], best_tp[i][1]);
    for (i = 0; i < MAX_THREADS; i++) pyun_client_free(clients[i]);
    return 0;
}

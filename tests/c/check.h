/* check.h: the C tests' harness, one copy for test_pyun.c, test_handles.c and test_delivery.c:
 * pass/fail counts, the calling thread's last error as a string, and CHECK, which reports a
 * failure with its line and that last error. Each test program includes it once. */
#ifndef PYUN_TEST_CHECK_H
#define PYUN_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "pyun.h"

static int passed, failed;

/* This thread's last error message (empty when none); free() it. */
static char *last_error(void) {
    size_t n = pyun_last_error_message(NULL, 0);
    char *buf = (char *)malloc(n + 1);
    if (buf == NULL) abort();
    if (pyun_last_error_message(buf, n + 1) != n) buf[0] = '\0';
    return buf;
}

static int check(int ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        char *e = last_error();
        failed++;
        fprintf(stderr, "FAIL line %d: %s\n    last error: %s\n", line, what, e);
        free(e);
    }
    return ok;
}
#define CHECK(cond) check((cond) != 0, #cond, __LINE__)

#endif

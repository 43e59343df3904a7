/* example.h: the few helpers the C examples share (reading a file, printing pyun's error). */
#ifndef PYUN_EXAMPLE_H
#define PYUN_EXAMPLE_H

#include <stdio.h>
#include <stdlib.h>

#include "pyun.h"

/* Prints why the last pyun call on this thread failed: ask for the length (NULL buffer), then
 * fetch the message into a buffer one byte longer (for the NUL). */
static void print_error(const char *what, pyun_result rc) {
    size_t n = pyun_last_error_message(NULL, 0);
    char *msg = (char *)malloc(n + 1);
    if (msg != NULL && pyun_last_error_message(msg, n + 1) == n)
        fprintf(stderr, "%s (%d): %s\n", what, (int)rc, msg);
    free(msg);
}

/* The whole file, NUL-terminated, in a new buffer; NULL when it cannot be read. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = (char *)malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

#endif

/* threads.h: the smallest portable thread shim the C tests need (start, join).
 * Windows: CreateThread; everywhere else: pthreads (link with -pthread). */
#ifndef PYUN_TEST_THREADS_H
#define PYUN_TEST_THREADS_H

typedef void (*pt_fn)(void *arg);

#ifdef _WIN32
#include <windows.h>

typedef struct {
    pt_fn fn;
    void *arg;
    HANDLE handle;
} pt_thread;

static DWORD WINAPI pt_trampoline(LPVOID p) {
    pt_thread *t = (pt_thread *)p;
    t->fn(t->arg);
    return 0;
}

/* Returns 0 on success. */
static int pt_start(pt_thread *t, pt_fn fn, void *arg) {
    t->fn = fn;
    t->arg = arg;
    t->handle = CreateThread(NULL, 0, pt_trampoline, t, 0, NULL);
    return t->handle == NULL ? -1 : 0;
}

static int pt_join(pt_thread *t) {
    DWORD rc = WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
    return rc == WAIT_OBJECT_0 ? 0 : -1;
}

#else
#include <pthread.h>

typedef struct {
    pt_fn fn;
    void *arg;
    pthread_t handle;
} pt_thread;

static void *pt_trampoline(void *p) {
    pt_thread *t = (pt_thread *)p;
    t->fn(t->arg);
    return NULL;
}

static int pt_start(pt_thread *t, pt_fn fn, void *arg) {
    t->fn = fn;
    t->arg = arg;
    return pthread_create(&t->handle, NULL, pt_trampoline, t);
}

static int pt_join(pt_thread *t) {
    return pthread_join(t->handle, NULL);
}
#endif

#endif

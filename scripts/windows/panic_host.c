/* panic_host.c: a host that already has MinGW's libgcc_s loaded (as a process with another
 * MinGW-built plugin does) and RUST_BACKTRACE set, then calls pyun_test_panic of a test build
 * of pyun.dll. The panic must be caught inside pyun (PYUN_RESULT_PANIC = 99), not abort the
 * host: on i686 that holds only if pyun.dll registers its own unwind tables (rsbegin.o), and
 * only if pyun does not walk the host's stack for a backtrace (its panic hook).
 * Usage: panic_host DIR\pyun.dll */
#include <stdio.h>
#include <windows.h>

#ifdef _WIN64
#define LIBGCC "libgcc_s_seh-1.dll"
#else
#define LIBGCC "libgcc_s_dw2-1.dll"
#endif

typedef int (*test_panic_fn)(void);
typedef size_t (*last_error_fn)(char *, size_t);

int main(int argc, char **argv) {
    HMODULE gcc, dll;
    test_panic_fn test_panic;
    last_error_fn last_error;
    char message[512];
    int rc;
    if (argc != 2) return 2;
    gcc = LoadLibraryA(LIBGCC);
    if (gcc == NULL) {
        printf("could not preload " LIBGCC " (error %lu)\n", (unsigned long)GetLastError());
        return 1;
    }
    printf("preloaded " LIBGCC "\n");
    SetEnvironmentVariableA("RUST_BACKTRACE", "full");
    dll = LoadLibraryA(argv[1]);
    if (dll == NULL) {
        printf("LoadLibrary(%s) failed: error %lu\n", argv[1], (unsigned long)GetLastError());
        return 1;
    }
    test_panic = (test_panic_fn)(void (*)(void))GetProcAddress(dll, "pyun_test_panic");
    last_error = (last_error_fn)(void (*)(void))GetProcAddress(dll, "pyun_last_error_message");
    if (test_panic == NULL || last_error == NULL) {
        printf("pyun_test_panic or pyun_last_error_message not exported\n");
        return 1;
    }
    fflush(stdout);
    rc = test_panic();
    last_error(message, sizeof message);
    printf("pyun_test_panic returned %d: %s\n", rc, message);
    return rc == 99 ? 0 : 1;
}

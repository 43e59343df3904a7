/* verinfo.c: prints the version resource of a DLL as Windows reads it (GetFileVersionInfo),
 * one "Name: value" line per field. Run under wine by scripts/windows.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

int main(int argc, char **argv) {
    static const char *const names[] = {"FileVersion", "ProductVersion", "ProductName",
                                        "CompanyName", "FileDescription", "OriginalFilename"};
    DWORD ignored = 0, size;
    void *data;
    VS_FIXEDFILEINFO *fixed = NULL;
    UINT len = 0;
    struct { WORD language, codepage; } *tr = NULL;
    size_t i;
    if (argc != 2) {
        fprintf(stderr, "usage: verinfo FILE.dll\n");
        return 2;
    }
    size = GetFileVersionInfoSizeA(argv[1], &ignored);
    if (size == 0) {
        printf("no version resource in %s (error %lu)\n", argv[1], (unsigned long)GetLastError());
        return 1;
    }
    data = malloc(size);
    if (data == NULL || !GetFileVersionInfoA(argv[1], 0, size, data)) return 1;
    if (VerQueryValueA(data, "\\", (void **)&fixed, &len) && fixed != NULL)
        printf("Fixed: %lu.%lu.%lu.%lu\n", (unsigned long)HIWORD(fixed->dwFileVersionMS),
               (unsigned long)LOWORD(fixed->dwFileVersionMS),
               (unsigned long)HIWORD(fixed->dwFileVersionLS),
               (unsigned long)LOWORD(fixed->dwFileVersionLS));
    if (!VerQueryValueA(data, "\\VarFileInfo\\Translation", (void **)&tr, &len) || len < 4) {
        printf("no translation table\n");
        return 1;
    }
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[128];
        char *value = NULL;
        snprintf(key, sizeof key, "\\StringFileInfo\\%04x%04x\\%s", tr->language, tr->codepage,
                 names[i]);
        if (VerQueryValueA(data, key, (void **)&value, &len) && value != NULL)
            printf("%s: %s\n", names[i], value);
        else
            printf("%s: (missing)\n", names[i]);
    }
    free(data);
    return 0;
}

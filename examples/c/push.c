/* push.c: pushes a vehicle enter and its leave, each with a photo, to the platform (or the
 * local sandbox) through one client, and prints what the platform answered.
 *
 *   push [BASE_URL [DATA_DIR]]
 *
 * BASE_URL defaults to $PYUN_BASE_URL (start a sandbox with `pyun sandbox --port 8040` and use
 * http://127.0.0.1:8040); DATA_DIR to $PYUN_DATA_DIR or "examples/data" (enter.json,
 * leave.json, enter.gif, leave.bmp). The secret comes from $PYUN_APP_SECRET (default "123",
 * the sandbox's default). Exit status: 0 when both records were accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

/* Appends `s` to `out` as a JSON string literal (Windows paths hold backslashes). */
static void json_append(char *out, const char *s) {
    char *q = out + strlen(out);
    *q++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') *q++ = '\\';
        if ((unsigned char)*s >= 0x20) *q++ = *s;
    }
    *q++ = '"';
    *q = '\0';
}

/* `{"<field>": "<dir>/<name>"}` in a new string. */
static char *photo(const char *field, const char *dir, const char *name) {
    size_t n = 2 * (strlen(dir) + strlen(name)) + strlen(field) + 16;
    char *path = (char *)malloc(strlen(dir) + strlen(name) + 2), *json = (char *)malloc(n);
    if (path == NULL || json == NULL) exit(3);
    sprintf(path, "%s/%s", dir, name);
    sprintf(json, "{\"%s\":", field);
    json_append(json, path);
    strcat(json, "}");
    free(path);
    return json;
}

/* Pushes data_dir/<name>.json with its photo; returns 0 when the platform accepted it. */
static int push(const pyun_client *client, const char *endpoint, const char *dir,
                const char *field, const char *photo_name) {
    char path[1024], *record, *files, *result = NULL;
    pyun_outcome outcome;
    pyun_result rc;
    int status;

    snprintf(path, sizeof path, "%s/%s.json", dir, endpoint);
    if ((record = read_file(path)) == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    files = photo(field, dir, photo_name);
    rc = pyun_client_push(client, endpoint, record, files, &outcome, &result);
    if (rc == PYUN_RESULT_OK || rc == PYUN_RESULT_REJECTED) {
        /* The platform answered: the outcome and its answer as JSON (no secret in it). */
        printf("%s: outcome %d, %s\n", endpoint, (int)outcome, result);
        status = rc == PYUN_RESULT_OK && outcome == PYUN_OUTCOME_ACCEPTED ? 0 : 1;
        pyun_string_free(result);
    } else {
        print_error(endpoint, rc); /* nothing was accepted; out-params untouched */
        status = 1;
    }
    free(files);
    free(record);
    return status;
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : getenv("PYUN_BASE_URL");
    const char *dir = argc > 2 ? argv[2] : getenv("PYUN_DATA_DIR");
    const char *secret = getenv("PYUN_APP_SECRET");
    pyun_client *client = NULL;
    char *config;
    pyun_result rc;
    int status;

    if (url == NULL || url[0] == '\0') {
        fprintf(stderr, "usage: %s BASE_URL [DATA_DIR]  (or set PYUN_BASE_URL)\n", argv[0]);
        return 2;
    }
    if (dir == NULL || dir[0] == '\0') dir = "examples/data";
    if (secret == NULL || secret[0] == '\0') secret = "123";

    /* Only app_secret is required; the rest shows the common options. */
    config = (char *)malloc(2 * (strlen(secret) + strlen(url)) + 128);
    if (config == NULL) return 3;
    strcpy(config, "{\"app_secret\":");
    json_append(config, secret);
    strcat(config, ",\"base_url\":");
    json_append(config, url);
    strcat(config, ",\"timeout_ms\":30000,\"max_attempts\":3}");
    rc = pyun_client_new(config, PYUN_CHARSET_UTF8, &client);
    free(config);
    if (rc != PYUN_RESULT_OK) {
        print_error("pyun_client_new", rc);
        return 1;
    }

    status = push(client, "enter", dir, "enter_image_file", "enter.gif");
    if (status == 0) status = push(client, "leave", dir, "leave_image_file", "leave.bmp");
    pyun_client_free(client);
    return status;
}

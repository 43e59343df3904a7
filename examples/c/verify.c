/* verify.c: checks the signature of a push received from the platform (a leave record or a
 * payment order), as a subscriber's receiver must before it answers {"code":"1001"}.
 *
 *   verify PUSH_FILE   verifies the file: the raw application/x-www-form-urlencoded body, or
 *                      the fields as a JSON object. Exit 0 valid, 1 invalid, 2 unusable.
 *   verify             without a file: signs a sample push as the platform would, verifies
 *                      it, then shows that a changed field fails. Exit 0 when both hold.
 *
 * The secret comes from $PYUN_APP_SECRET (default "123"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

/* 0 valid, 1 invalid, 2 unusable (not JSON, NULL, bad encoding...). */
static int verify(const char *push, const char *secret) {
    int32_t rule = 0;
    pyun_result rc = pyun_verify(push, secret, PYUN_CHARSET_UTF8, &rule);
    if (rc == PYUN_RESULT_OK) {
        printf("valid (%s)\n", rule == 1 ? "empty values signed" : "empty values skipped");
        return 0;
    }
    print_error(rc == PYUN_RESULT_SIGNATURE_INVALID ? "invalid" : "unusable", rc);
    return rc == PYUN_RESULT_SIGNATURE_INVALID ? 1 : 2;
}

int main(int argc, char **argv) {
    const char *secret = getenv("PYUN_APP_SECRET");
    const char *sample = "{\"parking_serial\":\"202106028000000007\",\"plate\":"
                         "\"\347\262\244X44444\",\"car_desc\":\"\",\"discounts\":\"[]\","
                         "\"total_value\":\"1000\",\"paid_value\":\"900\"}";
    char *push = NULL, *tampered, *at;
    pyun_result rc;
    int status;

    if (secret == NULL || secret[0] == '\0') secret = "123";
    if (argc > 1) {
        if ((push = read_file(argv[1])) == NULL) {
            fprintf(stderr, "cannot read %s\n", argv[1]);
            return 2;
        }
        status = verify(push, secret);
        free(push);
        return status;
    }

    /* The platform's side: app_id, sign_type, timestamp and sign are added. */
    rc = pyun_sign_push(sample, secret, "op00961963581daa7", PYUN_CHARSET_UTF8, &push);
    if (rc != PYUN_RESULT_OK) {
        print_error("pyun_sign_push", rc);
        return 2;
    }
    printf("push: %s\n", push);
    status = verify(push, secret);

    /* The same push with one field changed must not verify. */
    tampered = (char *)malloc(strlen(push) + 1);
    if (tampered == NULL) return 3;
    strcpy(tampered, push);
    at = strstr(tampered, "\"900\"");
    if (at != NULL) at[1] = '1'; /* paid_value 900 -> 100 */
    printf("tampered: ");
    fflush(stdout);
    if (at == NULL || verify(tampered, secret) != 1) status = 1;
    else printf("rejected as it should be\n");
    free(tampered);
    pyun_string_free(push);
    return status;
}

/* sign.c: the sign of a flat JSON object of fields, and its canonical string (secret masked,
 * safe to log) to compare with the string in a platform hint.
 *
 *   sign [FIELDS_JSON_FILE]
 *
 * The secret comes from the environment variable PYUN_APP_SECRET (it stays out of the process
 * list; default "123"). Without a file, the fields of page 001's enter test vector are signed:
 * with the secret "123" that gives F58EDB51E299C99BE0E24D84739994CA. */
#include <stdio.h>
#include <stdlib.h>

#include "example.h"

static const char VECTOR[] =
    "{\"car_color\":\"1\",\"car_desc\":\"\344\270\264\346\227\266\350\275\246\",\"car_type\":\"1\","
    "\"enter_gate\":\"\345\205\245\345\217\243\345\220\215\347\247\260\","
    "\"enter_image\":\"https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF\","
    "\"enter_image_hash\":\"3EF48C1A8A95DF308EFF872082280815\","
    "\"enter_release_reason\":\"\350\256\277\351\227\256\345\256\242\346\210\267\","
    "\"enter_security\":\"\345\205\245\345\217\243\344\277\235\345\256\211\","
    "\"enter_time\":\"1624874732253\",\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\","
    "\"parking_serial\":\"202106028000000007\",\"plate\":\"\347\262\244X44444\","
    "\"plate_color\":\"1\",\"remain_parking_space\":\"10\",\"total_parking_space\":\"100\","
    "\"vehicle_type\":\"1\"}";

int main(int argc, char **argv) {
    const char *secret = getenv("PYUN_APP_SECRET");
    char *fields = NULL, *sign = NULL, *canonical = NULL;
    pyun_result rc;
    int status = 0;

    if (secret == NULL || secret[0] == '\0') secret = "123";
    if (argc > 1 && (fields = read_file(argv[1])) == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    printf("libpyun %s\n", pyun_version());
    rc = pyun_sign(fields ? fields : VECTOR, secret, PYUN_CHARSET_UTF8, &sign);
    if (rc != PYUN_RESULT_OK) {
        print_error("pyun_sign", rc);
        status = 1;
        goto done;
    }
    rc = pyun_canonical_string(fields ? fields : VECTOR, PYUN_CHARSET_UTF8, &canonical);
    if (rc != PYUN_RESULT_OK) {
        print_error("pyun_canonical_string", rc);
        status = 1;
        goto done;
    }
    printf("sign: %s\ncanonical: %s\n", sign, canonical);
done:
    pyun_string_free(sign); /* NULL is fine */
    pyun_string_free(canonical);
    free(fields);
    return status;
}

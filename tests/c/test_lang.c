/* test_lang.c: the last error in the language PYUN_LANG asks for, encoded in the charset of
 * the call (GBK when the caller passes PYUN_CHARSET_GBK). It sets PYUN_LANG for its own
 * process as a host does (docs/c-api.md), first to zh, then to en, to see the language is read
 * at each call. Run by scripts/test-c.sh, and under wine by scripts/windows.sh. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "check.h"

/* What the catalog (core/src/messages/catalog.rs) says, as bytes. */
#define NO_SIGN_ZH_GBK "\315\306\313\315\310\261\311\331 `sign`\243\250\307\251\303\373\243\251\327\326\266\316"
#define NO_SIGN_ZH_UTF8 "\346\216\250\351\200\201\347\274\272\345\260\221 `sign`\357\274\210\347\255\276\345\220\215\357\274\211\345\255\227\346\256\265"
#define EMPTY_SECRET_ZH_GBK "\305\344\326\303\316\336\320\247\243\272app_secret\243\250\303\334\324\277\243\251\316\252\277\325"
#define NO_SIGN_EN "the push has no `sign` field"
#define NO_SERIAL_ZH_GBK "enter \274\307\302\274\316\336\320\247\243\272\310\261\311\331\261\330\314\356\327\326\266\316 `parking_serial`\243\250\262\316\312\375`parking_serial`\316\264\264\253\265\335\243\251"
/* The C ABI's own refusals of its arguments (ffi-c), from the same catalog. */
#define NULL_SECRET_ZH_GBK "\262\316\312\375 `app_secret` \316\252 NULL\243\250\277\325\326\270\325\353\243\251"
#define NOT_GBK_ZH_GBK "`push` \326\320 `a` \265\304\326\265\262\273\312\307\323\320\320\247\265\304 GBK \316\304\261\276\243\250\265\332 6 \327\326\275\332\243\251\243\273\307\353\274\354\262\351\265\367\323\303\267\275\312\271\323\303\265\304\264\372\302\353\322\263"
/* An outbox file that is not a database, and what opening it says (the store's failure: its
 * frame and what it was doing, both from the catalog; SQLite's own words after them). */
#define DAMAGED_DB "test_lang_damaged.db"
#define DAMAGED_ZH_GBK "\267\242\274\376\317\344 test_lang_damaged.db\243\272\270\303\316\304\274\376\262\273\312\307\277\311\266\301\310\241\265\304\267\242\274\376\317\344\312\375\276\335\277\342\243\250\322\321\313\360\273\265\243\277\243\251\243\273\316\264\270\304\266\257\270\303\316\304\274\376\243\272file is not a database"
#define DAMAGED_EN "outbox test_lang_damaged.db: the file is not a readable outbox database (corrupt?); it was left untouched: file is not a database"
/* An update whose plate has a lowercase letter (粤b12345), in GBK, and the warning it logs. */
#define LOWERCASE_PLATE_GBK "{\"park_uuid\":\"p\",\"flow_no\":\"W-1\",\"parking_serial\":\"W-1\",\"plate\":\"\324\301b12345\"}"
#define PLATE_WARNING_ZH_GBK "\263\265\305\306 \"\324\301b12345\"\243\272\272\254\323\320\320\241\320\264\327\326\304\270\243\272\263\265\305\306\327\326\304\270\323\246\316\252\264\363\320\264\243\250\324\301B12345\243\251\243\254\306\275\314\250\260\264\267\242\313\315\265\304\324\255\321\371\306\245\305\344\243\250\310\324\260\264\324\255\321\371\267\242\313\315\243\272\306\275\314\250\275\323\312\334\310\316\272\316\263\265\305\306\316\304\261\276\243\251"
/* An enter record without parking_serial, in GBK (粤B12345, 临停). */
#define ENTER_NO_SERIAL_GBK "{\"park_uuid\":\"p1\",\"plate\":\"\324\301B12345\",\"plate_color\":1," \
    "\"enter_time\":\"1763791200000\",\"car_type\":1,\"car_desc\":\"\301\331\315\243\",\"charge_type\":\"1\"}"

/* The last warning logged (level 2), kept by the log callback (it runs on the calling thread
 * here: pyun_client_build_request logs before it returns). */
static char warning[1024];

static void keep_warning(void *userdata, uint32_t level, const char *target, const char *message) {
    (void)userdata;
    (void)target;
    if (level == 2) {
        strncpy(warning, message, sizeof warning - 1);
        warning[sizeof warning - 1] = '\0';
    }
}

/* Writes a file that is not a SQLite database where an outbox is opened. */
static void write_damaged(const char *path) {
    FILE *f = fopen(path, "wb");
    int i;
    if (f == NULL) abort();
    for (i = 0; i < 4096; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
}

static int last_error_is(const char *expected) {
    char *e = last_error();
    int same = strcmp(e, expected) == 0;
    if (!same) fprintf(stderr, "    got: %s\n    expected: %s\n", e, expected);
    free(e);
    return same;
}

/* Sets PYUN_LANG for this process, as a host does. */
static void set_lang(const char *lang) {
#ifdef _WIN32
    SetEnvironmentVariableA("PYUN_LANG", lang);
#else
    setenv("PYUN_LANG", lang, 1);
#endif
}

int main(void) {
    int32_t rule = -1;
    set_lang("zh");
    /* Chinese, in GBK for a GBK call and in UTF-8 for a UTF-8 one. */
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_GBK, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_ZH_GBK));
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_UTF8, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_ZH_UTF8));
    CHECK(pyun_verify("{\"a\":\"1\"}", "", PYUN_CHARSET_GBK, &rule) == PYUN_RESULT_CONFIG);
    CHECK(last_error_is(EMPTY_SECRET_ZH_GBK));
    CHECK(pyun_verify("{\"a\":\"1\"}", NULL, PYUN_CHARSET_GBK, &rule) == PYUN_RESULT_NULL_ARGUMENT);
    CHECK(last_error_is(NULL_SECRET_ZH_GBK));
    CHECK(pyun_verify("{\"a\":\"\377\"}", "123", PYUN_CHARSET_GBK, &rule) ==
          PYUN_RESULT_INVALID_ENCODING);
    CHECK(last_error_is(NOT_GBK_ZH_GBK));
    /* The language is read at each call: a host that switches to English gets English. */
    set_lang("en");
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_GBK, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_EN));
    CHECK(pyun_verify("{\"a\":\"1\"}", NULL, PYUN_CHARSET_GBK, &rule) == PYUN_RESULT_NULL_ARGUMENT);
    CHECK(last_error_is("`app_secret` is NULL"));
    /* A client's own "lang" wins over the environment, per handle. */
    {
        pyun_client *zh = NULL, *bad = NULL;
        pyun_outcome outcome;
        char *result = NULL;
        CHECK(pyun_client_new("{\"app_secret\":\"s\",\"base_url\":\"http://127.0.0.1:9\",\"lang\":\"zh\"}",
                              PYUN_CHARSET_GBK, &zh) == PYUN_RESULT_OK);
        CHECK(pyun_client_push(zh, "enter", ENTER_NO_SERIAL_GBK, NULL, &outcome, &result) ==
              PYUN_RESULT_VALIDATION);
        CHECK(last_error_is(NO_SERIAL_ZH_GBK));
        CHECK(result == NULL);
        CHECK(pyun_client_new("{\"app_secret\":\"s\",\"lang\":\"fr\"}", PYUN_CHARSET_GBK, &bad) ==
              PYUN_RESULT_CONFIG);
        CHECK(last_error_is("invalid configuration: lang \"fr\": expected \"en\" or \"zh\""));
        CHECK(bad == NULL);
        pyun_client_free(zh);
    }
    /* The outbox's store failures are whole sentences of the catalog: frame, what it was doing. */
    {
        pyun_outbox *ob = NULL;
        write_damaged(DAMAGED_DB);
        set_lang("zh");
        CHECK(pyun_outbox_open(DAMAGED_DB, 0, PYUN_CHARSET_GBK, &ob) == PYUN_RESULT_STORE);
        CHECK(ob == NULL);
        CHECK(last_error_is(DAMAGED_ZH_GBK));
        set_lang("en");
        CHECK(pyun_outbox_open(DAMAGED_DB, 0, PYUN_CHARSET_GBK, &ob) == PYUN_RESULT_STORE);
        CHECK(last_error_is(DAMAGED_EN));
        remove(DAMAGED_DB);
    }
    /* A plate of a doubtful shape is a warning in the log (the record is still built), in the
     * language asked for and the log's charset. */
    {
        pyun_client *client = NULL;
        pyun_request *request = NULL;
        set_lang("zh");
        CHECK(pyun_log_set_callback(keep_warning, NULL, 2, PYUN_CHARSET_GBK) == PYUN_RESULT_OK);
        CHECK(pyun_client_new("{\"app_secret\":\"s\"}", PYUN_CHARSET_GBK, &client) == PYUN_RESULT_OK);
        CHECK(pyun_client_build_request(client, "update", LOWERCASE_PLATE_GBK, NULL, &request) ==
              PYUN_RESULT_OK);
        if (!CHECK(strcmp(warning, PLATE_WARNING_ZH_GBK) == 0))
            fprintf(stderr, "    warning: %s\n", warning);
        pyun_request_free(request);
        set_lang("en");
        CHECK(pyun_client_build_request(client, "update", LOWERCASE_PLATE_GBK, NULL, &request) ==
              PYUN_RESULT_OK);
        if (!CHECK(strstr(warning, "holds lowercase letters: plates are uppercase") != NULL))
            fprintf(stderr, "    warning: %s\n", warning);
        CHECK(pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK);
        pyun_request_free(request);
        pyun_client_free(client);
    }
    /* A client's own "lang" is also the language of what it logs (here a doubtful plate), per
     * handle, whatever the environment says. */
    {
        pyun_client *zh = NULL, *en = NULL;
        pyun_request *request = NULL;
        CHECK(pyun_log_set_callback(keep_warning, NULL, 2, PYUN_CHARSET_GBK) == PYUN_RESULT_OK);
        CHECK(pyun_client_new("{\"app_secret\":\"s\",\"lang\":\"zh\"}", PYUN_CHARSET_GBK, &zh) ==
              PYUN_RESULT_OK);
        CHECK(pyun_client_new("{\"app_secret\":\"s\",\"lang\":\"en\"}", PYUN_CHARSET_GBK, &en) ==
              PYUN_RESULT_OK);
        set_lang("en");
        warning[0] = '\0';
        CHECK(pyun_client_build_request(zh, "update", LOWERCASE_PLATE_GBK, NULL, &request) ==
              PYUN_RESULT_OK);
        if (!CHECK(strcmp(warning, PLATE_WARNING_ZH_GBK) == 0))
            fprintf(stderr, "    warning: %s\n", warning);
        pyun_request_free(request);
        set_lang("zh");
        warning[0] = '\0';
        CHECK(pyun_client_build_request(en, "update", LOWERCASE_PLATE_GBK, NULL, &request) ==
              PYUN_RESULT_OK);
        if (!CHECK(strstr(warning, "holds lowercase letters: plates are uppercase") != NULL))
            fprintf(stderr, "    warning: %s\n", warning);
        CHECK(pyun_log_set_callback(NULL, NULL, 0, 0) == PYUN_RESULT_OK);
        pyun_request_free(request);
        pyun_client_free(zh);
        pyun_client_free(en);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

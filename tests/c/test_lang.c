/* test_lang.c: the last error in the language PYUN_LANG asks for, encoded in the charset of
 * the call (GBK when the caller passes PYUN_CHARSET_GBK). scripts/test-c.sh runs it with
 * PYUN_LANG=zh; it switches to English itself, as a host may, to see the language is read at
 * each call. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* What the catalog (core/src/messages/catalog.rs) says, as bytes. */
#define NO_SIGN_ZH_GBK "\315\306\313\315\310\261\311\331 `sign`\243\250\307\251\303\373\243\251\327\326\266\316"
#define NO_SIGN_ZH_UTF8 "\346\216\250\351\200\201\347\274\272\345\260\221 `sign`\357\274\210\347\255\276\345\220\215\357\274\211\345\255\227\346\256\265"
#define EMPTY_SECRET_ZH_GBK "\305\344\326\303\316\336\320\247\243\272app_secret\243\250\303\334\324\277\243\251\316\252\277\325"
#define NO_SIGN_EN "the push has no `sign` field"

static int last_error_is(const char *expected) {
    char *e = last_error();
    int same = strcmp(e, expected) == 0;
    if (!same) fprintf(stderr, "    got: %s\n    expected: %s\n", e, expected);
    free(e);
    return same;
}

int main(void) {
    int32_t rule = -1;
    const char *lang = getenv("PYUN_LANG");
    if (lang == NULL || strcmp(lang, "zh") != 0) {
        fprintf(stderr, "run with PYUN_LANG=zh\n");
        return 2;
    }
    /* Chinese, in GBK for a GBK call and in UTF-8 for a UTF-8 one. */
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_GBK, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_ZH_GBK));
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_UTF8, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_ZH_UTF8));
    CHECK(pyun_verify("{\"a\":\"1\"}", "", PYUN_CHARSET_GBK, &rule) == PYUN_RESULT_CONFIG);
    CHECK(last_error_is(EMPTY_SECRET_ZH_GBK));
    /* The language is read at each call: a host that switches to English gets English. */
#ifdef _WIN32
    _putenv("PYUN_LANG=en");
#else
    setenv("PYUN_LANG", "en", 1);
#endif
    CHECK(pyun_verify("{\"a\":\"1\"}", "123", PYUN_CHARSET_GBK, &rule) ==
          PYUN_RESULT_SIGNATURE_INVALID);
    CHECK(last_error_is(NO_SIGN_EN));
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* Generated test data: the signing vector of page 001 (enter, secret "123") and
 * examples/data/enter.json, as UTF-8 and as GBK (code page 936) bytes. Octal escapes, so
 * no escape swallows the character after it. */
#ifndef PYUN_TEST_DATA_H
#define PYUN_TEST_DATA_H

/* The sign page 001 prints for the enter vector with app_secret "123". */
#define VECTOR_SIGN "F58EDB51E299C99BE0E24D84739994CA"

static const char VECTOR_JSON_UTF8[] =
    "{\"car_color\":\"1\",\"car_desc\":\"\344\270\264\346\227\266\350\275\246\",\"car_type\":"
    "\"1\",\"enter_gate\":\"\345\205\245\345\217\243\345\220\215\347\247\260\",\"enter_image"
    "\":\"https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF\",\"enter_image_hash\""
    ":\"3EF48C1A8A95DF308EFF872082280815\",\"enter_release_reason\":\"\350\256\277\351\227"
    "\256\345\256\242\346\210\267\",\"enter_security\":\"\345\205\245\345\217\243\344\277\235"
    "\345\256\211\",\"enter_time\":\"1624874732253\",\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-"
    "af666b8cc11a\",\"parking_serial\":\"202106028000000007\",\"plate\":\"\347\262\244X44444"
    "\",\"plate_color\":\"1\",\"remain_parking_space\":\"10\",\"total_parking_space\":\"100\""
    ",\"vehicle_type\":\"1\"}";

static const char VECTOR_JSON_GBK[] =
    "{\"car_color\":\"1\",\"car_desc\":\"\301\331\312\261\263\265\",\"car_type\":\"1\",\"ente"
    "r_gate\":\"\310\353\277\332\303\373\263\306\",\"enter_image\":\"https://t7.baidu.com/it/"
    "u=1595072465,3644073269&fm=193&f=GIF\",\"enter_image_hash\":\"3EF48C1A8A95DF308EFF872082"
    "280815\",\"enter_release_reason\":\"\267\303\316\312\277\315\273\247\",\"enter_security"
    "\":\"\310\353\277\332\261\243\260\262\",\"enter_time\":\"1624874732253\",\"park_uuid\":"
    "\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"202106028000000007\",\"pla"
    "te\":\"\324\301X44444\",\"plate_color\":\"1\",\"remain_parking_space\":\"10\",\"total_pa"
    "rking_space\":\"100\",\"vehicle_type\":\"1\"}";

static const char VECTOR_CANONICAL_UTF8[] =
    "car_color=1&car_desc=\344\270\264\346\227\266\350\275\246&car_type=1&enter_gate=\345\205"
    "\245\345\217\243\345\220\215\347\247\260&enter_image=https://t7.baidu.com/it/u=159507246"
    "5,3644073269&fm=193&f=GIF&enter_image_hash=3EF48C1A8A95DF308EFF872082280815&enter_releas"
    "e_reason=\350\256\277\351\227\256\345\256\242\346\210\267&enter_security=\345\205\245"
    "\345\217\243\344\277\235\345\256\211&enter_time=1624874732253&park_uuid=49f0cc52-e8c7-41"
    "e3-b54d-af666b8cc11a&parking_serial=202106028000000007&plate=\347\262\244X44444&plate_co"
    "lor=1&remain_parking_space=10&total_parking_space=100&vehicle_type=1&app_secret=***";

static const char VECTOR_CANONICAL_GBK[] =
    "car_color=1&car_desc=\301\331\312\261\263\265&car_type=1&enter_gate=\310\353\277\332\303"
    "\373\263\306&enter_image=https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF&en"
    "ter_image_hash=3EF48C1A8A95DF308EFF872082280815&enter_release_reason=\267\303\316\312"
    "\277\315\273\247&enter_security=\310\353\277\332\261\243\260\262&enter_time=162487473225"
    "3&park_uuid=49f0cc52-e8c7-41e3-b54d-af666b8cc11a&parking_serial=202106028000000007&plate"
    "=\324\301X44444&plate_color=1&remain_parking_space=10&total_parking_space=100&vehicle_ty"
    "pe=1&app_secret=***";

static const char ENTER_RECORD_UTF8[] =
    "{\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"DEMO-202611"
    "22-0001\",\"plate\":\"\347\262\244B12345\",\"plate_color\":1,\"plate_type\":0,\"enter_ti"
    "me\":\"1763791200000\",\"enter_gate\":\"\344\270\234\351\227\250\345\205\245\345\217\243"
    "\",\"enter_security\":\"\345\274\240\344\270\211\",\"car_type\":1,\"car_desc\":\"\344"
    "\270\264\345\201\234\",\"car_color\":4,\"charge_type\":\"1\",\"vehicle_type\":1,\"total_"
    "parking_space\":\"100\",\"remain_parking_space\":\"57\"}";

static const char ENTER_RECORD_GBK[] =
    "{\"park_uuid\":\"49f0cc52-e8c7-41e3-b54d-af666b8cc11a\",\"parking_serial\":\"DEMO-202611"
    "22-0001\",\"plate\":\"\324\301B12345\",\"plate_color\":1,\"plate_type\":0,\"enter_time\""
    ":\"1763791200000\",\"enter_gate\":\"\266\253\303\305\310\353\277\332\",\"enter_security"
    "\":\"\325\305\310\375\",\"car_type\":1,\"car_desc\":\"\301\331\315\243\",\"car_color\":4"
    ",\"charge_type\":\"1\",\"vehicle_type\":1,\"total_parking_space\":\"100\",\"remain_parki"
    "ng_space\":\"57\"}";

#endif

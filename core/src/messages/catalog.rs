//! Every message pyun writes for people, by id, in English and Chinese. `{0}`, `{1}`... are
//! the arguments, in the order the code passes them; both texts use the same ones.
//!
//! A plain table rather than Fluent (or gettext): the messages have no plurals or genders to
//! select, a `&'static str` per language is checked at compile time (a new id needs both
//! texts), and Fluent wraps every argument in Unicode isolation marks (U+2068/U+2069) that GBK
//! cannot encode, which would break the C ABI's GBK last error.
//!
//! The platform's own Chinese phrases (参数`x`未传递, the hints it returns) are quoted as the
//! platform writes them, in both languages, never translated.

/// Declares [`Msg`] (its doc is the English text) and each id's two texts.
macro_rules! catalog {
    ($($id:ident: $en:literal, $zh:literal;)*) => {
        /// The id of a message in the catalog.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg {
            $(#[doc = $en] $id,)*
        }

        impl Msg {
            /// Every message, in catalog order.
            pub const ALL: &'static [Msg] = &[$(Msg::$id,)*];

            /// The id as written in the code (`FieldMissing`).
            pub const fn id(self) -> &'static str {
                match self {
                    $(Msg::$id => stringify!($id),)*
                }
            }

            /// The English and the Chinese text.
            pub(super) const fn texts(self) -> (&'static str, &'static str) {
                match self {
                    $(Msg::$id => ($en, $zh),)*
                }
            }
        }
    };
}

catalog! {
    // Records checked before sending (error.rs).
    FieldMissing:
        "`{0}` is required but missing (参数`{0}`未传递)",
        "缺少必填字段 `{0}`（参数`{0}`未传递）";
    FieldEmpty:
        "`{0}` is required but empty (参数`{0}`未传递)",
        "必填字段 `{0}` 为空（参数`{0}`未传递）";
    FieldInvalid:
        "`{0}`: {1}",
        "字段 `{0}` 无效：{1}";
    FieldUnknown:
        "`{0}` is not a field of this record (a typo? put fields pyun does not know under \"extra\")",
        "`{0}` 不是此记录的字段（拼写错误？pyun 不认识的字段请放在 \"extra\" 下）";
    HashWithoutFile:
        "`{0}` given without `{1}`: a hash sent means the file must be sent too",
        "给了 `{0}` 却没有 `{1}`：发送哈希值就必须同时发送文件";
    HashMismatch:
        "`{0}` differs from the attached file's MD5 {1}",
        "`{0}` 与所附文件的 MD5 {1} 不一致";
    BeforeEnterTime:
        "is before enter_time",
        "早于入场时间 enter_time";
    RecordInvalid:
        "invalid {0} record: {1}",
        "{0} 记录无效：{1}";
    EndpointUnknown:
        "unknown endpoint {0}: expected enter, leave, release or update",
        "未知的接口 {0}：应为 enter、leave、release 或 update";
    RecordNotObject:
        "expected a JSON object, got {0}",
        "应为 JSON 对象，实际为{0}";
    ExtraNotObject:
        "must be an object of string fields, got {0}",
        "必须是由字符串字段组成的对象，实际为{0}";
    ExtraValueType:
        "extra values must be strings or numbers, got {0}",
        "extra 中的值必须是字符串或数字，实际为{0}";
    ExtraKnownField:
        "`{0}` is a known field: set it directly",
        "`{0}` 是已知字段：请直接设置它";
    FieldNameEmpty:
        "a field name cannot be empty",
        "字段名不能为空";
    FieldNameChar:
        "a field name is ASCII letters, digits and `_`, and this one holds {0}",
        "字段名只能由 ASCII 字母、数字和 `_` 组成，而这个字段名含有 {0}";
    FileNotTaken:
        "the {0} endpoint takes no such file",
        "{0} 接口不接受这个文件";
    FileAndText:
        "given both as a text field and as a file",
        "既作为文本字段又作为文件给出";
    FileTwice:
        "attached twice",
        "附加了两次";
    // A received value cut short in a message (text.rs).
    MoreBytes:
        "{0}...({1} more bytes)",
        "{0}……（后面还有 {1} 字节）";
    // A record field's value that does not fit its type (field_value.rs, time.rs, codes.rs,
    // amount.rs, payment.rs). The English is serde's own wording, kept as scripts read it.
    ValueWrongType:
        "invalid type: {0}, expected {1}",
        "类型不对：给的是{0}，应为{1}";
    ValueNull:
        "null",
        "空值 null";
    ValueBool:
        "boolean `{0}`",
        "布尔值 `{0}`";
    ValueInteger:
        "integer `{0}`",
        "整数 `{0}`";
    ValueFloat:
        "floating point `{0}`",
        "小数 `{0}`";
    ValueString:
        "string {0}",
        "字符串 {0}";
    ValueSequence:
        "sequence",
        "数组";
    ValueMap:
        "map",
        "对象";
    ValueExpectString:
        "a string",
        "字符串";
    ValueExpectInt:
        "{0} as an integer or a decimal string",
        "{0}（整数或十进制数字字符串）";
    ValueOutOfRange:
        "{0} {1} is out of range",
        "{0} {1} 超出范围";
    ValueNotDecimal:
        "{0} must be a decimal integer, got {1}",
        "{0}：必须是十进制整数，实际为 {1}";
    ValueNegative:
        "{0} must not be negative, got {1}",
        "{0}：不能为负数，实际为 {1}";
    ValueWhatFen:
        "amount in fen",
        "金额（分）";
    ValueWhatCount:
        "parking space count",
        "车位数";
    TimeWhatMillis:
        "epoch milliseconds",
        "毫秒时间戳";
    TimeSeconds:
        "{0} looks like seconds or a bogus value; the platform wants epoch milliseconds (13 digits)",
        "{0} 看起来是秒或无效的值；平台要的是毫秒时间戳（13 位数字）";
    TimePastYear9999:
        "{0} is past the year 9999",
        "{0} 超过了 9999 年";
    TimeNegative:
        "{0} is negative",
        "{0} 是负数";
    TimeBadDate:
        "{0} is not a valid date",
        "{0} 不是有效的日期";
    TimeBadTime:
        "{0} is not a valid time",
        "{0} 不是有效的时间";
    TimeNotUtc:
        "{0} is not UTC yyyy-MM-dd'T'HH:mm:ss'Z' (or .SSS'Z'); Beijing 08:00 is T00:00:00Z",
        "{0} 不是 UTC 时间 yyyy-MM-dd'T'HH:mm:ss'Z'（或 .SSS'Z'）；北京时间 08:00 即 T00:00:00Z";
    TimeExpectUtc:
        "a UTC time like 2021-09-02T09:36:46.020Z, or epoch milliseconds",
        "UTC 时间（如 2021-09-02T09:36:46.020Z）或毫秒时间戳";
    PaymentNotJson:
        "not a JSON array: {0}",
        "不是 JSON 数组：{0}";
    PaymentNotArray:
        "expected a JSON array of payments, got {0}",
        "应为由付款记录组成的 JSON 数组，实际为 {0}";
    PaymentNotObject:
        "[{0}].expected an object, got {1}",
        "[{0}] 应为对象，实际为 {1}";
    PaymentFieldInvalid:
        "[{0}].{1}: {2}",
        "[{0}].{1}：{2}";
    // Text damaged before it reached pyun (garbled.rs).
    GarbledReplacement:
        "{0} holds U+FFFD (\u{FFFD}), the mark of text decoded in the wrong charset: most often a GBK (\"ANSI\") file read as UTF-8. Read it as GBK (pyun --charset gbk; .NET Encoding.GetEncoding(936); Python encoding=\"gbk\")",
        "{0} 含有 U+FFFD（\u{FFFD}），这是文本按错误字符集解码的标志：最常见的是把 GBK（“ANSI”）文件当作 UTF-8 读取。请按 GBK 读取（pyun --charset gbk；.NET Encoding.GetEncoding(936)；Python encoding=\"gbk\"）";
    GarbledQuestionMark:
        "{0} holds `?` where a character was: a Chinese character lost to a code page that cannot hold it (an ANSI program such as VB6 on a non-Chinese Windows). Pass the plate as Unicode, or run the program with the Chinese code page (936)",
        "{0} 中的 `?` 原本是一个字符：汉字在无法表示它的代码页中丢失了（例如在非中文 Windows 上运行的 VB6 等 ANSI 程序）。请以 Unicode 传递车牌，或让程序使用中文代码页（936）运行";
    GarbledLatin1:
        "{0} holds Latin-1 letters: UTF-8 text read as Windows-1252 or Latin-1 ({1} becomes {2}). Read the text as UTF-8",
        "{0} 含有 Latin-1 字母：UTF-8 文本被当作 Windows-1252 或 Latin-1 读取（{1} 变成了 {2}）。请按 UTF-8 读取该文本";

    // A plate of a doubtful shape: a warning in the log, the record still sent (plate.rs).
    PlateWarning:
        "plate {0} {1} (sent as it is: the platform takes any plate text)",
        "车牌 {0}：{1}（仍按原样发送：平台接受任何车牌文本）";
    PlateSeparator:
        "holds the separator {0}: plates are sent without spaces or dots ({1})",
        "含有分隔符 {0}：车牌发送时不含空格和点（{1}）";
    PlateFullWidth:
        "holds full-width letters or digits (from an input method): use ASCII ones",
        "含有全角字母或数字（来自输入法）：请使用半角字母和数字";
    PlateLowercase:
        "holds lowercase letters: plates are uppercase ({0}), and the platform matches them as sent",
        "含有小写字母：车牌字母应为大写（{0}），平台按发送的原样匹配";
    PlateNoProvince:
        "starts with {0}, not with a province character: {1}, not {2} (a plate reader that dropped the Chinese character?)",
        "以 {0} 开头，缺少省份简称：应为 {1}，而不是 {2}（车牌识别丢掉了汉字？）";
    PlateNotProvince:
        "starts with {0}, which is not a province abbreviation ({1})",
        "首字 {0} 不是省份简称（{1}）";
    PlateNoLetter:
        "has no letter after the province character ({0})",
        "省份简称后应为发牌机关字母（{0}）";
    PlateSerialChar:
        "holds {0} among the letters and digits after {1}",
        "车牌序号（{1} 之后的字母和数字）中含有 {0}";
    PlateLength:
        "has {0} characters after the province and letter; a plate has 5 (ordinary, {1}), 6 (new energy, {2}) or 4 and a suffix such as {3}",
        "省份简称和字母之后有 {0} 位；普通车牌为 5 位（{1}），新能源车牌为 6 位（{2}），或 4 位加后缀（如 {3}）";
    PlateIOrO:
        "holds the letter I or O in its serial, which plates do not use: a 1 or 0 misread?",
        "车牌序号含有字母 I 或 O，车牌不使用这两个字母：是否把数字 1 或 0 认错了？";
    ProblemSeparator:
        "; ",
        "；";

    // The kinds of pyun's Error (error.rs).
    JsonMalformed:
        "malformed JSON: {0}",
        "JSON 格式错误：{0}";
    JsonEof:
        "{0} at line {1} column {2}",
        "第 {1} 行第 {2} 列：JSON 文本没有写完（{0}）";
    JsonSyntax:
        "{0} at line {1} column {2}",
        "第 {1} 行第 {2} 列：JSON 语法错误（{0}）";
    JsonData:
        "{0} at line {1} column {2}",
        "第 {1} 行第 {2} 列：JSON 的值不符合要求（{0}）";
    JsonFieldTwice:
        "field `{0}` appears twice at line {1} column {2}",
        "第 {1} 行第 {2} 列：字段 `{0}` 出现了两次";
    JsonNotObject:
        "expected a JSON object of string fields, got {0}",
        "应为由字符串字段组成的 JSON 对象，实际为{0}";
    JsonNull:
        "null",
        "空值 null";
    JsonBool:
        "the boolean {0}",
        "布尔值 {0}";
    JsonNumber:
        "the number {0}",
        "数字 {0}";
    JsonString:
        "a string",
        "字符串";
    JsonArray:
        "an array",
        "数组";
    JsonObject:
        "an object",
        "对象";
    FlatFieldNested:
        "field `{0}` holds {1} where flat fields hold strings: the platform signs it as JSON text in a string (\"{0}\": \"{2}\")",
        "字段 `{0}` 的值是{1}，而平铺的字段应为字符串：平台把它作为字符串中的 JSON 文本签名（\"{0}\": \"{2}\"）";
    FlatFieldNotString:
        "field `{0}` must be a string, got {1}",
        "字段 `{0}` 必须是字符串，实际为{1}";
    PushFieldNotString:
        "field `{0}` must be a string: the platform sends every field as a string, lists and objects as JSON text in a string (here `\"{0}\": {1}`); got {2}",
        "字段 `{0}` 必须是字符串：平台发送的每个字段都是字符串，列表和对象是字符串中的 JSON 文本（此处为 `\"{0}\": {1}`）；实际为{2}";
    PushNotUtf8:
        "the push body is not UTF-8",
        "推送内容不是 UTF-8 编码";
    PushFieldTwice:
        "field `{0}` appears twice in the push",
        "字段 `{0}` 在推送中出现了两次";
    ListInvalid:
        "`{0}` is not a valid list: {1}",
        "`{0}` 不是有效的列表：{1}";
    UrlencodedMalformed:
        "malformed urlencoded body: {0}",
        "urlencoded 内容格式错误：{0}";
    FileUnreadable:
        "cannot read {0} file {1}: {2}",
        "无法读取 {0} 文件 {1}：{2}";
    FileIsDirectory:
        "is a directory",
        "这是一个目录，不是文件";
    FileChangedSize:
        "the file changed size after it was hashed",
        "文件在计算哈希值之后大小变了";
    ConfigInvalid:
        "invalid configuration: {0}",
        "配置无效：{0}";
    BodyUnreadable:
        "unreadable push body: {0}",
        "无法读取推送内容：{0}";
    BodyNoBoundary:
        "Content-Type multipart/form-data has no `boundary` parameter",
        "Content-Type multipart/form-data 缺少 `boundary` 参数";
    BodyUnknownType:
        "cannot tell how the body is encoded: Content-Type {0} is not {1}, and the body looks like none of them",
        "无法识别请求体的编码：Content-Type {0} 不是 {1}，请求体看起来也不是其中任何一种";
    BodyNoType:
        "cannot tell how the body is encoded: there is no Content-Type, and the body looks like none of {0}",
        "无法识别请求体的编码：没有 Content-Type，请求体看起来也不是 {0} 中的任何一种";
    BodyEmpty:
        "the body is empty",
        "请求体为空";
    BodyFieldTwice:
        "{0} body: field `{1}` appears twice",
        "{0} 请求体：字段 `{1}` 出现了两次";
    BodyCharset:
        "unknown charset {0} in the Content-Type",
        "Content-Type 中的字符集 {0} 无法识别";
    BodyNotValid:
        "{0} is not valid {1}",
        "{0} 不是有效的 {1} 文本";
    BodyJsonNotUtf8:
        "the JSON body is not UTF-8",
        "JSON 请求体不是 UTF-8 编码";
    BodyMultipartAtOnce:
        "the multipart body could not be read at once",
        "无法一次读完 multipart 请求体";
    BodyMultipart:
        "malformed multipart body: {0}",
        "multipart 请求体格式错误：{0}";
    BodyPartNoName:
        "a multipart part has no name",
        "multipart 请求体中有一部分没有名称";
    BodyPartFile:
        "part `{0}` is a file; a push carries text fields only",
        "`{0}` 部分是文件；推送只含文本字段";
    BodyFieldNotUtf8:
        "field `{0}` is not valid UTF-8",
        "字段 `{0}` 不是有效的 UTF-8 文本";
    AppSecretEmpty:
        "app_secret is empty",
        "app_secret（密钥）为空";
    LangUnknown:
        "lang {0}: expected \"en\" or \"zh\"",
        "lang {0}：应为 \"en\" 或 \"zh\"";
    BaseUrlInvalid:
        "base_url {0} must be an http:// or https:// URL, e.g. {1}",
        "base_url {0} 必须是 http:// 或 https:// 开头的网址，例如 {1}";

    ConfigAttempts:
        "retry.max_attempts must be at least 1",
        "retry.max_attempts 至少为 1";
    ConfigProxy:
        "proxy {0}: {1}",
        "代理 proxy {0}：{1}";
    ConfigCaFile:
        "ca_file {0}: {1}",
        "CA 证书文件 ca_file {0}：{1}";
    CaNotPem:
        "not a PEM file: {0}",
        "不是 PEM 文件：{0}";
    CaNotCertificates:
        "holds something other than certificates",
        "其中含有证书以外的内容";
    CaEmpty:
        "no certificate in it",
        "其中没有证书";
    ConfigApiTypeMissing:
        "app_id is set but api_type is not: the platform requires both",
        "设置了 app_id 却没有设置 api_type：平台要求两者同时提供";
    ConfigAppIdMissing:
        "api_type is set without app_id: send both or neither",
        "设置了 api_type 却没有 app_id：两者要么都发送，要么都不发送";
    RequeueLost:
        "outbox {0}: record #{1} is a LOST dead letter: the database lost its content, so it cannot be sent from here; send it again from its source",
        "发件箱 {0}：记录 #{1} 是已丢失（LOST）的死信：数据库丢失了其内容，无法从这里发送；请从数据来源重新发送";
    StateUnknown:
        "state {0}: must be pending, done or dead",
        "状态 state {0}：必须是 pending、done 或 dead";

    // Signatures (sign.rs).
    SignMissing:
        "the push has no `sign` field",
        "推送缺少 `sign`（签名）字段";
    SignMismatch:
        "signature does not match (wrong app_secret, or fields altered); signed string was [{0}]",
        "签名不匹配（app_secret 错误，或字段被改动）；参与签名的字符串为 [{0}]";

    // No answer from the platform (response.rs).
    NetworkError:
        "network error: {0} after {1} attempt(s): {2}",
        "网络错误：{0}，已尝试 {1} 次：{2}";
    NetConnect:
        "cannot connect",
        "无法连接";
    NetTimeout:
        "timed out",
        "超时";
    NetDropped:
        "connection dropped",
        "连接中断";
    NetTls:
        "TLS or certificate failure",
        "TLS 或证书错误";
    NetProxyOrUrl:
        "proxy or URL problem",
        "代理或网址有误";
    NetReadingAnswer:
        "reading the answer of {0}: {1}",
        "读取 {0} 的应答时出错：{1}";
    NetPost:
        "POST {0}: {1}",
        "POST {0}：{1}";
    NetRefused:
        "{0}",
        "连接被拒绝：该地址的这个端口上没有服务在监听（{0}）";
    NetReset:
        "{0}",
        "连接被对方断开（{0}）";
    NetTimedOut:
        "{0}",
        "等待超时（{0}）";
    NetHostNotFound:
        "the host name cannot be resolved (DNS lookup failed): {0}",
        "找不到这个主机名：DNS 解析失败，请检查网址和本机的网络与 DNS 设置（{0}）";
    TlsUntrusted:
        "the server's certificate is not trusted: {0} (POST {1}); a network that re-signs TLS needs its CA trusted with ca_file",
        "服务器证书不受信任：{0}（POST {1}）；如果网络会重新签发 TLS 证书，请用 ca_file 信任其 CA";
    TlsPlainHttp:
        "the server answered in plain HTTP, not TLS (POST {0}): an https:// URL to an http:// port; use {1} as the base URL",
        "服务器以明文 HTTP 而不是 TLS 应答（POST {0}）：把 https:// 地址用在了 http:// 端口上；请把基础地址改为 {1}";
    CertUnknownIssuer:
        "it was issued by an authority this computer does not trust",
        "签发机构不受本机信任";
    CertExpired:
        "it has expired",
        "证书已过期";
    CertNotYetValid:
        "it is not valid yet: check this computer's clock",
        "证书尚未生效：请检查本机时间";
    CertOtherHost:
        "it is for another host name",
        "证书与主机名不符";
    AttemptRetrying:
        "{0} {1} attempt {2} failed ({3}); retrying in {4} ms",
        "{0} {1} 第 {2} 次尝试失败（{3}）；{4} 毫秒后重试";
    PushIgnoredLog:
        "{0} {1} was ignored by the platform (seqno {2}): {3}",
        "{0} {1} 被平台忽略（流水号 seqno {2}）：{3}";

    // The platform's answer that is not an acceptance (response.rs).
    ApiNotPlatform:
        "HTTP {0} to {1} is not the platform's answer (a proxy, gateway or captive portal answered; the record did not reach the platform)",
        "{1} 收到 HTTP {0}，但这不是平台的应答（应答来自代理、网关或上网认证页面；记录没有到达平台）";
    ApiIgnored:
        "the platform ignored the {0} record: it did not reach the platform's records (code {1} {2}, HTTP {3})",
        "平台已忽略该 {0} 记录，未入库（code {1} {2}，HTTP {3}）";
    ApiRefused:
        "platform answered {0} to {1}: code {2} {3} (HTTP {4})",
        "平台对 {1} 的应答为 {0}：code {2} {3}（HTTP {4}）";
    ApiRetryAfter:
        ", retry after {0} s",
        "，{0} 秒后再试";
    ApiSeqno:
        ", seqno {0}",
        "，流水号 seqno {0}";
    ApiHint:
        "; hint: {0}",
        "；平台提示：{0}";
    ApiBody:
        "; body: {0}",
        "；应答内容：{0}";

    // What an ignored or refused push's hint says (diagnosis.rs).
    DiagWrongSecret:
        "the platform received exactly the fields that were signed, so the app_secret differs from the one the platform holds for this parking lot (check the secret, park_uuid and app_id)",
        "平台收到的字段与签名的字段完全一致，所以 app_secret 与平台为该车场保存的密钥不同（请检查密钥、park_uuid 和 app_id）";
    DiagMissingParameter:
        "the platform says parameter `{0}` was not sent",
        "平台说参数 `{0}` 没有传递";
    DiagUnrecognised:
        "the hint holds no canonical string to compare",
        "平台提示中没有可供对照的签名串";
    DiagFieldDiffers:
        "`{0}` sent as {1} but the platform saw {2}",
        "`{0}` 发送的是 {1}，平台收到的却是 {2}";
    DiagCharsetSuspect:
        " (a charset problem: send UTF-8, or use encoding=URL mode)",
        "（字符集问题：请以 UTF-8 发送，或使用 encoding=URL 模式）";
    DiagOnlyLocal:
        "sent but not seen by the platform: {0}",
        "已发送但平台没有收到：{0}";
    DiagOnlyPlatform:
        "seen by the platform but not sent: {0}",
        "平台收到但并未发送：{0}";
    DiagFieldsDiffer:
        "the platform signed different fields than were sent: {0}",
        "平台签名的字段与发送的不同：{0}";

    // The outbox's refusals and losses (error.rs, outbox/).
    RecordsLost:
        "outbox {0}: {1} committed record(s) were LOST from the database (its WAL journal was damaged, or an older copy of the file was put back):",
        "发件箱 {0}：数据库丢失了 {1} 条已提交的记录（其 WAL 日志损坏，或放回了旧的文件副本）：";
    RecordsLostNext:
        "; send them again from their source. They are listed among the dead letters; the outbox opens normally from now on",
        "；请从数据来源重新发送。它们已列入死信；此后发件箱正常打开";
    MoreRecords:
        " and {0} more",
        " 等，另有 {0} 条";
    OutboxUnverified:
        "outbox {0}: not opened, because it cannot tell whether committed records were lost: {1}.",
        "发件箱 {0} 未打开：无法确认已提交的记录是否丢失：{1}。";
    SideFileMissing:
        "its side file {0} is missing (it records every committed enqueue: keep it next to the database, and copy it with it)",
        "其附属文件 {0} 不存在（它记录每一次已提交的入队：请放在数据库旁边，并与数据库一起复制）";
    SideFileEmpty:
        "its side file {0} is empty",
        "其附属文件 {0} 为空";
    SideFileUnreadable:
        "its side file {0} cannot be read ({1})",
        "无法读取其附属文件 {0}（{1}）";
    SideFileDamaged:
        "its side file {0} is damaged: {1}",
        "其附属文件 {0} 已损坏：{1}";
    SideFileLength:
        "{0} bytes long instead of {1} (cut short, or overwritten)",
        "长度为 {0} 字节，而不是 {1} 字节（被截断或被覆盖）";
    SideFileHeader:
        "its header is not a side file's (overwritten, or damaged)",
        "文件头不是附属文件的文件头（被覆盖或已损坏）";
    SideFileSlot:
        "its slot {0} is damaged (the id of a committed record is unreadable)",
        "第 {0} 个槽位已损坏（无法读取一条已提交记录的编号）";
    SideFileNotSynced:
        "outbox side file {0}: cannot sync the ids of committed records to the disk: {1}",
        "发件箱附属文件 {0}：无法把已提交记录的编号同步到磁盘：{1}";
    LostNotRecorded:
        "outbox {0}: cannot record the lost records: {1}",
        "发件箱 {0}：无法记下丢失的记录：{1}";
    SideFileOfAnother:
        "its side file {0} belongs to another database (this one was deleted, or replaced by another file)",
        "其附属文件 {0} 属于另一个数据库（本数据库曾被删除，或被另一个文件替换）";
    UnverifiedRecords:
        " The side file names {0} committed record(s) this database does not hold:",
        " 附属文件记有 {0} 条此数据库中没有的已提交记录：";
    SendAgain:
        "; send them again from their source.",
        "；请从数据来源重新发送。";
    UnverifiedAccept:
        " If the database holds everything it should (you restored it on purpose, or start over knowingly), accept it as it is: `pyun outbox --db {0} accept-fresh-start` (C: PYUN_OUTBOX_ACCEPT_FRESH_START, Python: accept_fresh_start=True).",
        " 如果确认数据库完整（有意恢复了它，或明知地重新开始），按现状接受它：`pyun outbox --db {0} accept-fresh-start`（C：PYUN_OUTBOX_ACCEPT_FRESH_START，Python：accept_fresh_start=True）。";
    ShareUnc:
        "a UNC path, \\\\server\\share",
        "UNC 路径 \\\\server\\share";
    ShareMappedDrive:
        "a mapped network drive, {0}",
        "映射的网络驱动器 {0}";
    ShareFileSystem:
        "a {0} file system",
        "{0} 文件系统";
    NetworkShare:
        "outbox {0}: it is on a network share ({1}): SQLite's WAL journal needs shared memory and file locks that network file systems do not keep, so records could be lost or the file damaged; it was not opened. Put the outbox on a local disk; if you must keep it there, allow it knowingly (CLI --allow-network-share, C PYUN_OUTBOX_ALLOW_NETWORK_SHARE, Python allow_network_share=True).",
        "发件箱 {0} 未打开：它位于网络共享上（{1}）。SQLite 的 WAL 日志需要共享内存和文件锁，网络文件系统无法保证，记录可能丢失或文件损坏。请把发件箱放在本地磁盘；如果必须放在那里，请明确允许（命令行 --allow-network-share，C 语言 PYUN_OUTBOX_ALLOW_NETWORK_SHARE，Python allow_network_share=True）。";
    BaseUrlHasPath:
        "base_url {0} holds an endpoint's path ({1}): the base URL is the platform's address only, e.g. {2}; pyun adds each endpoint's path itself",
        "基础地址 base_url {0} 不应包含接口路径（{1}）：只填平台地址，例如 {2}；各接口的路径由 pyun 添加";
    OutboxIsPushStore:
        "outbox {0}: this is a push store of `pyun listen` (`pyun pushes --db {0} list` reads it), not an outbox; it was left untouched",
        "发件箱 {0}：这是 `pyun listen` 的推送存储（用 `pyun pushes --db {0} list` 读取），不是发件箱；未改动该文件";
    PushStoreIsOutbox:
        "{0} is a pyun outbox (`pyun outbox --db {0} status` reads it), not a push store; it was left untouched",
        "{0} 是 pyun 发件箱（用 `pyun outbox --db {0} status` 读取），不是推送存储；未改动该文件";
    NetworkShareAllowed:
        "warning: outbox {0} is on a network share ({1}), allowed by --allow-network-share: SQLite's WAL journal cannot keep its guarantees there",
        "警告：发件箱 {0} 位于网络共享上（{1}），已按 --allow-network-share 允许：SQLite 的 WAL 日志在那里无法保证数据安全";
    DiskFull:
        "outbox {0}: {1}: disk full: free some space; the outbox keeps what it holds ({2})",
        "发件箱 {0}：{1}：磁盘已满：请释放空间；发件箱已保存的记录不会丢失（{2}）";
    ReadOnly:
        "outbox {0}: the file can only be opened read-only (a read-only disk, or no write permission): nothing could be stored",
        "发件箱 {0}：文件只能以只读方式打开（磁盘只读，或没有写权限）：无法保存任何内容";
    DeliveryOffline:
        "delivery stopped: the platform could not be reached ({0}); {1} record(s) not tried stay pending; next try in {2} s",
        "投递已暂停：无法连接平台（{0}）；未尝试的 {1} 条记录保留待发；{2} 秒后再试";
    OutboxStoreFailed:
        "outbox {0}: {1}: {2}",
        "发件箱 {0}：{1}：{2}";
    // What the outbox was doing when its database failed: the {1} of OutboxStoreFailed and
    // DiskFull (outbox/).
    StoreOpen:
        "cannot open",
        "无法打开";
    StoreBusyTimeout:
        "setting the busy timeout",
        "设置忙等待超时";
    StoreNotOutbox:
        "the file is not a readable outbox database (corrupt?); it was left untouched",
        "该文件不是可读取的发件箱数据库（已损坏？）；未改动该文件";
    StoreCannotRead:
        "cannot read the file (it was left untouched)",
        "无法读取该文件（未改动该文件）";
    StoreReadingSchema:
        "reading the schema",
        "读取数据库结构";
    StoreCreatingSchema:
        "creating the schema",
        "创建数据库结构";
    StoreAddingTallies:
        "bringing the schema of an earlier pyun up to date (tallies, message columns)",
        "更新旧版 pyun 的数据库结构（计数表、消息列）";
    StoreWal:
        "turning on the WAL journal",
        "启用 WAL 日志";
    StoreForeignKeys:
        "turning on foreign keys",
        "启用外键约束";
    StoreSynchronous:
        "setting the sync mode",
        "设置同步模式";
    StoreRecordNotStored:
        "the record was NOT stored",
        "记录未保存";
    CommitPanicked:
        "the thread committing it failed (a panic)",
        "提交它的线程失败了（panic）";
    StoreLookingForLost:
        "looking for lost records",
        "查找丢失的记录";
    StoreCounting:
        "counting the records",
        "统计记录数";
    StoreListingDead:
        "listing dead letters",
        "列出死信";
    StoreRequeueing:
        "re-queueing",
        "重新排队";
    StorePurging:
        "purging",
        "清除记录";
    StorePurgingEvents:
        "purging events",
        "清除事件";
    StoreAddingIndexes:
        "adding indexes",
        "添加索引";
    StoreReadingQueue:
        "reading the queue",
        "读取队列";
    StoreReadingRecord:
        "reading a record",
        "读取记录";
    StoreReadingSeries:
        "reading the series",
        "读取记录序列";
    StoreReadingEvents:
        "reading events",
        "读取事件";
    StoreReadingStatus:
        "reading record status",
        "读取记录状态";
    StoreReadingPhotos:
        "reading photos",
        "读取照片";
    StoreRecordingOutcome:
        "recording the outcome",
        "记录投递结果";
    StoreBusy:
        "{0} (another process holds the outbox locked, longer than the busy timeout: another pyun, a sender, or a program that opened the file)",
        "{0}（另一个进程锁住了发件箱，超过了忙等待时间：另一个 pyun、发送线程，或打开了该文件的程序）";
    StoredRecordUnreadable:
        "the stored record cannot be read: {0}",
        "无法读取已保存的记录：{0}";
    CarryEnterFailed:
        "cannot carry the dead-lettered enter's fields (page 001 note 8): {0}",
        "无法沿用已成为死信的入场记录的字段（页面 001 注 8）：{0}";
    OutboxLog:
        "outbox {0}: {1}",
        "发件箱 {0}：{1}";
    SenderNoThread:
        "outbox sender: cannot start a thread: {0}",
        "发件箱发送线程：无法创建线程：{0}";
    SenderReadingEvents:
        "outbox sender: reading events: {0}",
        "发件箱发送线程：读取事件：{0}";
    SenderFailed:
        "outbox sender: {0}",
        "发件箱发送线程：{0}";
    SenderPanicked:
        "internal error in pyun (please report): {0}; the sender stopped (start it again)",
        "pyun 内部错误（请报告此问题）：{0}；发送线程已停止（请重新启动）";
    SideFileNotWritten:
        "outbox {0}: records {1} are stored, but their ids could not be written to the -enqueued file: {2}",
        "发件箱 {0}：记录 {1} 已保存，但其编号无法写入 -enqueued 附属文件：{2}";
    AcceptedFreshStart:
        "outbox {0}: accepted as it is (accept-fresh-start): its side file was made anew",
        "发件箱 {0}：已按现状接受（accept-fresh-start）：已新建其附属文件";
    NetworkShareAllowedLog:
        "outbox {0}: on a network share ({1}), allowed by the caller: WAL's guarantees do not hold there",
        "发件箱 {0}：位于网络共享上（{1}），调用方已允许：WAL 日志在那里无法保证数据安全";
    IgnoredByPlatform:
        "ignored by the platform",
        "被平台忽略";
    // Reasons the outbox stores in its records and events, shown in the reader's language
    // (outbox/; the English stays in the database: `LIKE 'LOST%'` finds LOST rows by it).
    LostRecordError:
        "LOST: this committed record is missing from the database (its WAL journal was damaged, or an older copy of the file was put back); send it again from its source",
        "LOST（已丢失）：这条已提交的记录不在数据库中（其 WAL 日志损坏，或放回了旧的文件副本）；请从数据来源重新发送";
    LostEvent:
        "LOST: missing from the database",
        "LOST（已丢失）：数据库中没有这条记录";
    RetryRequested:
        "retry requested",
        "已请求重试";
    DeliveryPaused:
        "delivery paused for {0} s: {1} records in a row were refused the same way ({2}), so the cause is not one record (a wrong app_secret? the lot blocked?); they stay pending. Last: {3}",
        "投递暂停 {0} 秒：连续 {1} 条记录以同样的方式被拒绝（{2}），原因不在单条记录（app_secret 错误？车场被停用？）；这些记录保留待发。最后一条：{3}";
    OutboxDamaged:
        "outbox {0}: the database is damaged ({1}); it was left untouched: restore it or move it away",
        "发件箱 {0}：数据库已损坏（{1}）；未改动该文件：请恢复它或把它移走";
    OutboxForeign:
        "outbox {0}: this is a SQLite database of another program (application_id {1}, {2} schema objects), not an outbox; it was left untouched",
        "发件箱 {0}：这是其他程序的 SQLite 数据库（application_id {1}，{2} 个结构对象），不是发件箱；未改动该文件";
    SideFileNotReplaced:
        "outbox {0}: its side file {1} cannot be replaced ({2}): if it is a directory, remove it, then accept again",
        "发件箱 {0}：无法替换其附属文件 {1}（{2}）：如果它是目录，请删除后再次接受";
    SideFileNotMade:
        "outbox {0}: cannot make its side file {1}: {2}; nothing was created",
        "发件箱 {0}：无法创建其附属文件 {1}：{2}；没有创建任何文件";
    SideFileNotOpened:
        "outbox {0}: cannot open its side file {1} for writing: {2}; it was not opened",
        "发件箱 {0}：无法以写方式打开其附属文件 {1}：{2}；发件箱未打开";
    PushStoreFailed:
        "push store {0}: {1}",
        "推送存储 {0}：{1}";
    PushStorePanicked:
        "push store {0}: a thread panicked while using it",
        "推送存储 {0}：某个线程在使用它时崩溃";
    NoPushStore:
        "no push store at {0} (pyun listen --db creates it)",
        "{0} 处没有推送存储（由 pyun listen --db 创建）";
    PushStoreForeign:
        "{0} is a SQLite database of another program (application_id {1}, {2} schema objects), not a push store; it was left untouched",
        "{0} 是其他程序的 SQLite 数据库（application_id {1}，{2} 个结构对象），不是推送存储；未改动该文件";
    NotSqlite:
        "not a readable SQLite database: {0}",
        "不是可读取的 SQLite 数据库：{0}";
    NotStored:
        "the record was NOT stored: {0}",
        "记录未保存：{0}";

    // The `pyun` command's own input errors (cli/).
    CliSecretEmpty:
        "--app-secret is empty",
        "--app-secret（密钥）为空";
    CliCharset:
        "--charset {0}: expected utf-8, gbk (also ansi: the Chinese ANSI code page 936 is GBK) or gb18030",
        "--charset {0}：应为 utf-8、gbk（ansi 即中文 ANSI 代码页 936，也就是 GBK）或 gb18030";
    CliNulBytes:
        "{0} holds NUL bytes: UTF-16 text without a byte order mark? Save it as UTF-8 (or as Notepad's \"Unicode\", which has one).",
        "{0} 含有 NUL 字节，可能是不带 BOM 的 UTF-16：请另存为 UTF-8（或记事本的“Unicode”，它带 BOM）。";
    CliCannotRead:
        "cannot read {0}: {1}",
        "无法读取 {0}：{1}";
    CliStdin:
        "standard input",
        "标准输入";
    CliNotValidText:
        "{0} is not valid {1}",
        "{0} 不是有效的 {1} 文本";
    CliAnsiHint:
        " (a file saved as \"ANSI\" on Chinese Windows: add --charset gbk)",
        "（在中文 Windows 上以“ANSI”保存的文件：请加 --charset gbk）";
    CliRecordNeedsEndpoint:
        "; a record file (enter, leave, release, update) is read with --endpoint NAME",
        "；记录文件（enter、leave、release、update）请加 --endpoint 名称读取";
    CliFileArg:
        "--file {0}: expected NAME=PATH, e.g. enter_image_file=car.jpg",
        "--file {0}：格式应为 字段名=路径，例如 enter_image_file=car.jpg";
    CliFileField:
        "--file: unknown file field {0}; expected one of {1}",
        "--file：未知的文件字段 {0}；应为以下之一：{1}";
    CliSeconds:
        "{0} must be a positive number of seconds, got {1}",
        "{0} 必须是正的秒数，实际为 {1}";
    CliDemoJson:
        "demo prints a table for people: it has no --json output",
        "demo 输出的是给人看的表格，没有 --json 输出";
    CliNoPush:
        "no push with key or id {0}",
        "没有键或编号为 {0} 的推送";
    CliNoRecord:
        "no record {0} in {1}",
        "{1} 中没有记录 {0}";
    CliStopping:
        "pyun: stopping after the record in flight (Ctrl+C again quits at once)",
        "pyun: 正在停止，发送中的记录完成后结束（再按一次 Ctrl+C 立即退出）";
    CliCannotStart:
        "cannot start: {0}",
        "无法启动：{0}";
    CliCannotListen:
        "cannot listen on {0}: {1}",
        "无法在 {0} 上监听：{1}";
    CliNoSandbox:
        "cannot start the sandbox: {0}",
        "无法启动沙箱：{0}";
    OutboxCounts:
        "pending {0}  done {1}  dead {2}",
        "待发 {0}  已送达 {1}  死信 {2}";
    OutboxAccepted:
        "accepted {0} as it is, with a new side file: {1}",
        "已按现状接受 {0}，并新建了附属文件：{1}";
    OutboxNext:
        "next: {0}",
        "下一条：{0}";
    OutboxStored:
        "stored as #{0}",
        "已保存为 #{0}";
    OutboxRequeued:
        "re-queued {0}",
        "已重新排队 {0} 条";
    OutboxRequeuedLost:
        "re-queued {0}; {1} LOST dead letter(s) left as they are: their content is gone, send them again from their source (`pyun outbox dead` lists them)",
        "已重新排队 {0} 条；{1} 条已丢失（LOST）的死信保持原样：其内容已不存在，请从数据来源重新发送（`pyun outbox dead` 可列出它们）";
    OutboxPurged:
        "purged {0}",
        "已清除 {0} 条";
    DrainSummary:
        "accepted {0}  dead {1}  retried {2}  still pending {3}",
        "已送达 {0}  死信 {1}  重试 {2}  仍待发 {3}";
    DrainInterrupted:
        "  (interrupted)",
        "（已中断）";
    ListenSecretEmpty:
        "the app_secret is empty",
        "app_secret（密钥）为空";
    ListenForward:
        "--forward {0} must start with http:// or https://",
        "--forward {0} 必须以 http:// 或 https:// 开头";
    OutboxNoDb:
        "the outbox file is missing: give --db FILE (or set PYUN_OUTBOX)",
        "缺少发件箱文件：请用 --db 文件 指定（或设置 PYUN_OUTBOX）";
    EnvFileUnreadable:
        "env file {0}: cannot read it: {1}",
        "环境变量文件 {0}：无法读取：{1}";
    EnvFileNotUtf8:
        "env file {0}: not UTF-8 (save it as UTF-8 in Notepad)",
        "环境变量文件 {0}：不是 UTF-8 编码（请在记事本中另存为 UTF-8）";
    EnvFileLine:
        "env file {0}, line {1}: {2}",
        "环境变量文件 {0} 第 {1} 行：{2}";
    EnvFileNoEquals:
        "expected NAME=VALUE",
        "格式应为 名称=值";
    EnvFileBadName:
        "the name before = must be letters, digits and _",
        "= 前面的名称只能由字母、数字和 _ 组成";
    CliInternal:
        "internal error: {0} (please report it)",
        "内部错误：{0}（请报告此问题）";
    ServiceRunByScm:
        "`pyun service run` is started by Windows' service control manager: use pyun service start --name {0}",
        "`pyun service run` 由 Windows 服务控制管理器启动：请用 pyun service start --name {0} 启动服务";
    ServiceFailed:
        "service {0} ({1}): {2}",
        "服务 {0}（{1}）：{2}";
    ServiceOpManager:
        "open the service manager",
        "打开服务管理器";
    ServiceOpOpen:
        "open",
        "打开";
    ServiceOpInstall:
        "install",
        "安装";
    ServiceOpStatus:
        "status",
        "查询状态";
    ServiceOpStart:
        "start",
        "启动";
    ServiceOpStop:
        "stop",
        "停止";
    ServiceOpUninstall:
        "uninstall",
        "删除";
    ServiceOpRun:
        "run",
        "运行";
    ServiceAccessDenied:
        "access denied: run the command prompt as Administrator",
        "拒绝访问：请以管理员身份运行命令提示符";
    ServiceNoSuch:
        "there is no service named {0}",
        "没有名为 {0} 的服务";
    ServiceBeingRemoved:
        "the service is being removed: close the Services window (services.msc) and try again",
        "服务正在删除：请关闭“服务”窗口（services.msc）后重试";
    ServiceExists:
        "a service named {0} exists already (pyun service uninstall --name {0} first)",
        "已有名为 {0} 的服务（请先运行 pyun service uninstall --name {0}）";
    ServiceName:
        "--name {0}: use 1 to 64 letters, digits, - and _",
        "--name {0}：服务名只能用 1 到 64 个字母、数字、- 和 _";
    ServiceSecretOnCommandLine:
        "--app-secret would be stored in the service's command line, which every user can read: put PYUN_APP_SECRET=... in the --env-file instead",
        "不要在服务命令行里写 --app-secret（每个用户都能读到服务的命令行）：请把 PYUN_APP_SECRET=... 写进 --env-file 文件";
    ServiceUrlPassword:
        "argument {0} of the command holds a URL with a user or password, which would be stored in the service's command line",
        "命令的第 {0} 个参数的 URL 含用户名或密码，它会被保存在服务的命令行中";
    ServiceCommand:
        "the service's command: {0}",
        "服务的命令：{0}";
    ServiceSecretHint:
        " (give PYUN_APP_SECRET=... in the --env-file)",
        "（请在 --env-file 中给出 PYUN_APP_SECRET=...）";
    ServiceOnlyListen:
        "a service runs `listen ...`, `outbox --db FILE drain --follow ...` or `console ...`",
        "服务只能运行 `listen ...`、`outbox --db 文件 drain --follow ...` 或 `console ...`";
    ServiceConsoleToken:
        "a console service takes its token from the --env-file: put {0}=... (e.g. 64 random hex digits) there; a random token would be written to the service's log",
        "控制台服务的访问令牌须写在 --env-file 文件中：请在其中写 {0}=...（例如 64 个随机十六进制数字）；随机令牌会被写进服务的日志";
    ServiceCurrentFolder:
        "the current folder: {0}",
        "当前文件夹：{0}";
    ServiceExePath:
        "the path of pyun.exe: {0}",
        "pyun.exe 的路径：{0}";
    ServiceInstalled:
        "installed service {0} (starts with Windows); start it now: pyun service start --name {0}",
        "已安装服务 {0}（随 Windows 启动）；现在启动：pyun service start --name {0}";
    ServiceLog:
        "  log: {0}",
        "  日志：{0}";
    ServiceNoRestart:
        "  restart on failure not set: {0}",
        "  未能设置失败后自动重启：{0}";
    ServiceState:
        "service {0}: {1}",
        "服务 {0}：{1}";
    ServicePid:
        ", pid {0}",
        "，进程 {0}";
    ServiceLastExit:
        ", last exit code {0}",
        "，上次退出码 {0}";
    ServiceCommandLine:
        "  command: {0}",
        "  命令：{0}";
    ServiceStill:
        "service {0}: still {1} after {2} s",
        "服务 {0} 在 {2} 秒后仍为 {1}";
    ServiceStoppedStarting:
        "service {0} stopped while starting (exit code {1}): its log says why (the --log-dir in `pyun service status --name {0}`)",
        "服务 {0} 启动后即停止（退出码 {1}）：原因见其日志（`pyun service status --name {0}` 中的 --log-dir）";
    ServiceRemoved:
        "service {0} stopped and removed",
        "服务 {0} 已停止并删除";
    ServiceStarting:
        "service {0} starting: pyun {1}, process {2}",
        "服务 {0} 正在启动：pyun {1}，进程 {2}";
    ServiceStopped:
        "service {0} stopped (exit code {1})",
        "服务 {0} 已停止（退出码 {1}）";
    ServiceFolder:
        "the service's folder {0}: {1}",
        "服务的文件夹 {0}：{1}";
    ServiceEnv:
        "environment from {0}: {1}",
        "环境变量来自 {0}：{1}";
    ServiceWindowsOnly:
        "pyun service is for Windows only (it runs listen, outbox drain --follow or console as a Windows service); elsewhere run them under your service manager (systemd, launchd)",
        "pyun service 仅用于 Windows（把 listen、outbox drain --follow 或 console 作为 Windows 服务运行）；其他系统请用自己的服务管理器（systemd、launchd）运行它们";
    PushLine:
        "#{0} {1} {2} {3} received {4} deliveries {5} {6}",
        "#{0} {1} {2} {3} 收到于 {4} 送达 {5} 次 {6}";
    PushHandled:
        "handled {0}",
        "已处理于 {0}";
    PushNotHandled:
        "NOT HANDLED ({0} failure(s){1})",
        "未处理（失败 {0} 次{1}）";
    CliEndpoint:
        "unknown endpoint {0}: expected enter, leave, release or update",
        "未知的接口 {0}：应为 enter、leave、release 或 update";
    CliCtrlC:
        "cannot handle Ctrl+C: {0}",
        "无法处理 Ctrl+C：{0}";
    CliNoteFlat:
        "pyun: note: read as flat fields; if this is a record file of `{0}` as pushed, add --endpoint {0}",
        "pyun: 提示：已按平铺字段读取；如果这是 push 所用的 `{0}` 记录文件，请加 --endpoint {0}";
    CliNoteRecord:
        "pyun: note: read as a record of `{0}` (its fields say so; --endpoint chooses)",
        "pyun: 提示：已按 `{0}` 记录读取（由其字段判断；可用 --endpoint 指定）";
    PushResult:
        "{0} {1}: {2} (code {3}, seqno {4}) after {5} attempt(s), {6} ms",
        "{0} {1}：{2}（code {3}，流水号 seqno {4}），共尝试 {5} 次，{6} 毫秒";
    CliDiagnosis:
        "diagnosis: {0}",
        "诊断：{0}";
    CliHint:
        "hint: {0}",
        "平台提示：{0}";
    CliLastError:
        "last error: {0}",
        "上次错误：{0}";
    ExplainFieldArg:
        "--field {0}: expected NAME=VALUE, e.g. leave_image_hash=3EF48C1A8A95DF308EFF872082280815",
        "--field {0}：格式应为 字段名=值，例如 leave_image_hash=3EF48C1A8A95DF308EFF872082280815";
    ExplainPlatform:
        "platform: {0}",
        "平台签名串：{0}";
    ExplainLocal:
        "local:    {0}",
        "本地签名串：{0}";
    VerifyValid:
        "valid",
        "签名有效";
    VerifyValidSkipped:
        "valid (empty values skipped: the older rule)",
        "签名有效（跳过了空值：旧规则）";
    VerifyInvalid:
        "invalid: {0}",
        "签名无效：{0}";
    CliFraction:
        "{0} must be between 0 and 1, got {1}",
        "{0} 必须在 0 到 1 之间，实际为 {1}";
    SandboxListening:
        "pyun sandbox listening on {0}",
        "pyun 沙箱已启动，监听 {0}";
    SandboxUrls:
        "records: GET {0}/_sandbox/records · counters: GET {0}/_sandbox/counters",
        "已收记录：GET {0}/_sandbox/records · 计数：GET {0}/_sandbox/counters";
    SendPushKind:
        "unknown push kind {0}: expected leave or payment",
        "未知的推送类型 {0}：应为 leave 或 payment";
    SendPushAcked:
        "acknowledged after {0} attempt(s)",
        "已确认，共尝试 {0} 次";
    SendPushNotAcked:
        "not acknowledged after {0} attempt(s); last answer: HTTP {1} {2}",
        "尝试 {0} 次后仍未确认；最后的应答：HTTP {1} {2}";
    DemoStart:
        "pyun demo: sandbox of the {0} platform at {1} (app_secret {2})",
        "pyun 演示：{0} 平台的沙箱位于 {1}（app_secret {2}）";
    DemoNoteEnter:
        "photo enter.gif",
        "照片 enter.gif";
    DemoNoteLeave:
        "photo leave.bmp + payment_list; sandbox injects one 503",
        "照片 leave.bmp + payment_list；沙箱注入一次 503";
    DemoNoteRelease:
        "abnormal release",
        "异常放行";
    DemoNoteUpdate:
        "record update",
        "记录更新";
    DemoNoteWrongSecret:
        "signed with a wrong app_secret on purpose",
        "故意用错误的 app_secret 签名";
    DemoColumnEndpoint:
        "endpoint",
        "接口";
    DemoColumnSerial:
        "serial",
        "流水号";
    DemoColumnOutcome:
        "outcome",
        "结果";
    DemoColumnAttempts:
        "attempts",
        "尝试次数";
    DemoColumnMs:
        "ms",
        "毫秒";
    DemoColumnNote:
        "note",
        "说明";
    DemoError:
        "error: {0}",
        "错误：{0}";
    DemoDiagnosis:
        "diagnosis #{0}: {1}",
        "诊断 #{0}：{1}";
    DemoAccepted:
        "sandbox accepted {0} record(s), {1} duplicate(s) answered as a success and not stored again: {2}",
        "沙箱接收了 {0} 条记录，{1} 条重复记录按成功应答且未再次保存：{2}";
    DemoFinished:
        "demo finished: every step ended as expected",
        "演示结束：每一步的结果都符合预期";
    DemoStep:
        "step {0} ({1}) ended as {2}",
        "第 {0} 步（{1}）的结果为 {2}";
    DemoCount:
        "the sandbox holds {0} records, expected {1}",
        "沙箱中有 {0} 条记录，应为 {1} 条";
    DemoUnexpected:
        "demo: {0}",
        "演示：{0}";
    ConsoleLang:
        "--lang: {0} is not a language of the console: en or zh",
        "--lang：{0} 不是控制台支持的语言：应为 en 或 zh";
    ConsoleNotLoopback:
        "--host {0}: not a loopback address; the console can change the queues, so binding where other machines reach it needs --allow-remote",
        "--host {0}：不是本机回环地址；控制台可以改动队列，绑定到其他机器能访问的地址需要加 --allow-remote";
    ConsoleNoOutbox:
        "--outbox {0}: no such file (the console shows existing outboxes, it makes none)",
        "--outbox {0}：文件不存在（控制台只显示已有的发件箱，不会新建）";
    ConsoleSlow:
        "warning: {0} (the page works, more slowly)",
        "警告：{0}（页面可用，但较慢）";
    ConsoleSlowPushes:
        "warning: push store {0}: adding indexes: {1} (the page works, more slowly)",
        "警告：推送存储 {0}：添加索引失败：{1}（页面可用，但较慢）";
    ConsoleTokenChars:
        "{0}: give 32 to 256 characters of A-Z, a-z, 0-9, - _ . ~ (e.g. 64 random hex digits)",
        "{0} 须为 32 到 256 个字母、数字或 - _ . ~（例如 64 个随机十六进制数字）";
    ConsoleUrl:
        "pyun console: {0}",
        "pyun 控制台 {0}";
    ConsoleRemote:
        "warning: the console listens on {0} (--allow-remote): other machines can reach it, over plain HTTP; anyone with the URL can requeue and purge",
        "警告：控制台在 {0} 上监听（--allow-remote）：其他机器可以通过未加密的 HTTP 访问它；任何拿到该网址的人都能重新排队和清除记录";
    ConsoleReadOnly:
        "read-only: actions are refused",
        "只读：拒绝一切操作";
    ConsoleFailed:
        "console: {0}",
        "控制台：{0}";
    // The console's refusals (guard.rs) and its API's errors (api.rs), in the language of the
    // request (`?lang=`, which the page sends) or the console's.
    ConsoleUnexpectedHost:
        "forbidden: unexpected Host header",
        "禁止访问：Host 请求头不是本控制台的地址";
    ConsoleMethod:
        "method not allowed",
        "不允许的请求方法";
    ConsoleNoToken:
        "unauthorized: open the URL pyun console printed (with its token)",
        "未授权：请打开 pyun console 输出的网址（带访问令牌）";
    ConsoleWrongToken:
        "forbidden: wrong token",
        "禁止访问：访问令牌错误";
    ConsoleOrigin:
        "forbidden: a POST must come from the console's own page (Origin)",
        "禁止访问：POST 请求必须来自控制台自己的页面（Origin）";
    ConsoleFormTooLarge:
        "form too large",
        "表单太大";
    ConsolePostNoToken:
        "unauthorized: a POST needs the token in the X-Pyun-Token header or a token form field",
        "未授权：POST 请求需要在 X-Pyun-Token 请求头或 token 表单字段中带上访问令牌";
    ConsoleReadOnlyRefused:
        "forbidden: the console is read-only (--read-only)",
        "禁止访问：控制台是只读的（--read-only）";
    ConsoleNotNumber:
        "{0}: not a number: {1}",
        "{0}：不是数字：{1}";
    ConsoleParamMissing:
        "{0}: missing",
        "缺少参数 {0}";
    ConsoleNoSuchOutbox:
        "outbox: no outbox #{0}",
        "outbox：没有发件箱 #{0}";
    ConsoleSearchTerm:
        "q: give a plate, parking_serial or pay_serial (1 to {0} characters)",
        "q：请给出车牌、parking_serial 或 pay_serial（1 到 {0} 个字符）";
    ConsoleNoRecord:
        "no record #{0}",
        "没有记录 #{0}";
    ConsoleNoPushStore:
        "no push store (start the console with --pushes)",
        "没有推送存储（启动控制台时请加 --pushes）";
    ConsoleNoPush:
        "no push #{0}",
        "没有推送 #{0}";
    ConsoleRequeueWhich:
        "give id (one dead letter) or cause (all of one cause)",
        "请给出 id（一条死信）或 cause（某个原因的全部死信）";
    ConsolePushStore:
        "push store: {0}",
        "推送存储：{0}";
    ConsoleInternal:
        "internal error: {0}",
        "内部错误：{0}";
    ListenExecMissing:
        "--exec: the handler program {0} cannot be run: no such executable file ({1}); give its path (relative to {2}) or a program on the PATH",
        "--exec：无法运行处理程序 {0}：没有这个可执行文件（{1}）；请给出它的路径（相对于 {2}）或 PATH 中的程序";
    ListenExecNotFound:
        "not found, or not executable: chmod +x",
        "找不到，或不可执行：chmod +x";
    ListenExecNotOnPath:
        "not on the PATH",
        "不在 PATH 中";
    ListenStarted:
        "listening on http://{0} (store {1}); Ctrl+C stops",
        "正在监听 http://{0} （存储 {1}）；按 Ctrl+C 停止";
    ListenReleased:
        "{0} push(es) were being handled when the listener last ended: handled again on their next delivery",
        "上次监听结束时有 {0} 条推送正在处理：它们下次送达时会再次处理";
    ListenRefused:
        "refused: {0}",
        "已拒绝：{0}";
    ListenBodyLate:
        "the body did not arrive in time",
        "请求体未按时到达";
    ListenBodyTooLarge:
        "the body is larger than {0} bytes",
        "请求体超过 {0} 字节";
    ListenBodyUnreadable:
        "the body could not be read: {0}",
        "无法读取请求体：{0}";
    ListenPush:
        "push {0} {1}",
        "推送 {0} {1}";
    ListenNotVerified:
        "{0} NOT VERIFIED, not acknowledged: {1}",
        "{0} 验签未通过，未确认：{1}";
    ListenVerified:
        "{0} verified ({1}): {2}",
        "{0} 验签通过（{1}）：{2}";
    ListenNotStored:
        "NOT STORED, not acknowledged: {0}",
        "未保存，未确认：{0}";
    ListenDuplicate:
        "duplicate, acknowledged",
        "重复推送，已确认";
    ListenStored:
        "new, stored, acknowledged",
        "新推送，已保存，已确认";
    ListenBusy:
        "a copy is being handled now, not acknowledged",
        "另一份副本正在处理，未确认";
    ListenNew:
        "new",
        "新推送";
    ListenStoredBefore:
        "stored before, not yet handled",
        "此前已保存，尚未处理";
    ListenHandled:
        "{0}, handled, acknowledged",
        "{0}，已处理，已确认";
    ListenNotRecorded:
        "{0}, handled, but NOT RECORDED as handled, not acknowledged: {1}",
        "{0}，已处理，但未能记录为已处理，未确认：{1}";
    ListenHandlerFailed:
        "{0}, HANDLER FAILED, not acknowledged: {1}",
        "{0}，处理程序失败，未确认：{1}";
    // A handler's failure, stored as the push's last_error (cli/src/listen/handler.rs) and
    // shown by `pyun pushes` in the reader's language.
    HandlerCannotRun:
        "cannot run --exec: {0}",
        "无法运行 --exec：{0}";
    HandlerTimedOut:
        "--exec took longer than {0} s (ended, with the processes it started)",
        "--exec 运行超过 {0} 秒（已结束它及其启动的进程）";
    HandlerWaitFailed:
        "--exec: {0}",
        "--exec 出错：{0}";
    HandlerExitStatus:
        "--exec ended with {0}",
        "--exec 以 {0} 结束";
    HandlerForwardFailed:
        "--forward: {0}",
        "--forward 出错：{0}";
    HandlerForwardRedirect:
        "--forward answered HTTP {0} (a redirect, not followed: give the URL it points to)",
        "--forward 应答 HTTP {0}（重定向，未跟随：请填写它指向的地址）";
    HandlerForwardStatus:
        "--forward answered HTTP {0}",
        "--forward 应答 HTTP {0}";
    ListenAbnormal:
        "the handling ended abnormally, not acknowledged: {0}",
        "处理异常结束，未确认：{0}";
    ListenAcceptFailed:
        "accept failed: {0}",
        "接受连接失败：{0}";
    ListenStopped:
        "stopped",
        "已停止";
    FollowStarted:
        "delivering from {0}",
        "正在投递 {0} 中的记录";
    FollowStopped:
        "{0} record(s) still pending, kept for the next run",
        "仍有 {0} 条记录待发，留待下次运行";
    OutboxWaiting:
        "#{0} {1} {2} ({3}, {4} attempt(s))",
        "#{0} {1} {2}（{3}，已尝试 {4} 次）";
    ErrorSuffix:
        ": {0}",
        "：{0}";
    OutboxNextAt:
        "next attempt at {0}",
        "下次尝试于 {0}";
    OutboxDueNow:
        "due now",
        "现在就发";
    OutboxDeadLine:
        "#{0} {1} {2} after {3} attempt(s): {4}",
        "#{0} {1} {2}，已尝试 {3} 次：{4}";
    OutboxRecordLine:
        "#{0} {1} {2} {3} after {4} attempt(s)",
        "#{0} {1} {2} {3}，已尝试 {4} 次";

    // The C ABI's own refusals of its arguments (ffi-c/).
    FfiNull:
        "`{0}` is NULL",
        "参数 `{0}` 为 NULL（空指针）";
    FfiBodyNull:
        "`body` is NULL with a length other than 0",
        "`body` 为 NULL（空指针），长度却不为 0";
    FfiNotValid:
        "`{0}` is not valid {1} (byte {2}); {3}",
        "`{0}` 不是有效的 {1} 文本（第 {2} 字节）；{3}";
    FfiNotValidIn:
        "`{0}` is not valid {1} in the value of `{2}` (byte {3}); {4}",
        "`{0}` 中 `{2}` 的值不是有效的 {1} 文本（第 {3} 字节）；{4}";
    FfiAdviceAnsi:
        "if the caller passes the ANSI code page, use charset 936",
        "如果调用方传入的是 ANSI 代码页（中文 Windows 即 GBK），请使用 charset 936";
    FfiAdviceCodePage:
        "check the caller's code page",
        "请检查调用方使用的代码页";
    FfiUnwritable:
        "`{0}` cannot be written: it holds {1}",
        "`{0}` 无法输出：其中含有 {1}";
    FfiUnwritableIn:
        "`{0}` cannot be written: the value of `{1}` holds {2}",
        "`{0}` 无法输出：`{1}` 的值含有 {2}";
    FfiNulChar:
        "a NUL character, which a C string cannot hold",
        "NUL 字符，C 字符串无法容纳它";
    FfiUnmappable:
        "U+{0} ({1}), which {2} cannot represent; charset 54936 (GB18030) holds every character",
        "U+{0}（{1}），{2} 无法表示该字符；charset 54936（GB18030）可表示所有字符";
    FfiStringNul:
        "`{0}` cannot be written: it holds a NUL character",
        "`{0}` 无法输出：其中含有 NUL 字符";
    FfiFilesJson:
        "`files_json`: {0}",
        "`files_json` 有误：{0}";
    FfiFilesJsonShape:
        "`files_json` must be an object like {\"enter_image_file\": \"C:\\\\a.jpg\"}",
        "`files_json` 必须是对象，例如 {\"enter_image_file\": \"C:\\\\a.jpg\"}";
    FfiFilesJsonField:
        "`files_json`: unknown file field `{0}`",
        "`files_json`：未知的文件字段 `{0}`";
    FfiFilesJsonPath:
        "`files_json`: `{0}` must be a path string",
        "`files_json`：`{0}` 必须是路径字符串";
    FfiConfigJson:
        "`config_json`: {0}",
        "`config_json` 有误：{0}";
    FfiConfigShape:
        "must be an object like {\"app_secret\": \"...\"}",
        "必须是对象，例如 {\"app_secret\": \"...\"}";
    FfiConfigSecretType:
        "`app_secret` must be a string",
        "`app_secret`（密钥）必须是字符串";
    FfiConfigSecretMissing:
        "missing field `app_secret`",
        "缺少字段 `app_secret`（密钥）";
    FfiHandleNever:
        "{0}: `{1}` is not a {2} handle: pyun never handed out this pointer (a stale, foreign or corrupted value)",
        "{0}：`{1}` 不是 {2} 句柄：pyun 从未给出过这个指针（过期、外来或已损坏的值）";
    FfiHandleFreed:
        "{0}: `{1}` is a {2} that was already freed",
        "{0}：`{1}` 是一个已经释放的 {2}";
    FfiHandleNotLive:
        "{0}: `{1}` is not a live {2}: it was freed, or pyun never handed it out",
        "{0}：`{1}` 不是有效的 {2}：它已被释放，或 pyun 从未给出过它";
    FfiHandleOtherLive:
        "{0}: `{1}` is not a {2}: it is a live {3}",
        "{0}：`{1}` 不是 {2}，而是一个有效的 {3}";
    FfiHandleOtherFreed:
        "{0}: `{1}` is not a {2}: it is a {3} that was already freed",
        "{0}：`{1}` 不是 {2}，而是一个已经释放的 {3}";
    FfiNothingFreed:
        "{0}; ignored, nothing was freed",
        "{0}；已忽略，没有释放任何东西";
    FfiStringIsBody:
        "pyun_string_free: `s` is a body from pyun_request_body: it was freed, but bodies are released with pyun_bytes_free",
        "pyun_string_free：`s` 是 pyun_request_body 返回的请求体：已释放，但请求体应使用 pyun_bytes_free 释放";
    FfiStringNotOurs:
        "pyun_string_free: `s` is not a string pyun returned, or it was freed already; ignored, nothing was freed",
        "pyun_string_free：`s` 不是 pyun 返回的字符串，或已经释放过；已忽略，没有释放任何东西";
    FfiBytesLen:
        "pyun_bytes_free: `len` is {0} but the body is {1} bytes long; it was freed with its own length",
        "pyun_bytes_free：`len` 为 {0}，但请求体长 {1} 字节；已按其实际长度释放";
    FfiBytesIsString:
        "pyun_bytes_free: `bytes` is a string from pyun: it was freed, but strings are released with pyun_string_free",
        "pyun_bytes_free：`bytes` 是 pyun 返回的字符串：已释放，但字符串应使用 pyun_string_free 释放";
    FfiBytesNotOurs:
        "pyun_bytes_free: `bytes` is not a body pyun returned, or it was freed already; ignored, nothing was freed",
        "pyun_bytes_free：`bytes` 不是 pyun 返回的请求体，或已经释放过；已忽略，没有释放任何东西";
    FfiPathEmpty:
        "`path` is empty: name a field, e.g. \"hint\" or \"0.seqno\"",
        "`path` 为空：请指定字段名，例如 \"hint\" 或 \"0.seqno\"";
    FfiPathArray:
        "`path` \"{0}\": `{1}` is an array: use an index (0, 1, ...) or `length`",
        "`path` \"{0}\"：`{1}` 是数组：请用下标（0、1……）或 `length`";
    FfiPathScalar:
        "`path` \"{0}\": `{1}` is a single value, it has no field `{2}`",
        "`path` \"{0}\"：`{1}` 是单个值，没有字段 `{2}`";
    FfiLocalTime:
        "local time {0}: {1}",
        "本地时间 {0}：{1}";
    FfiLocalTimeInvalid:
        "not a valid date and time",
        "不是有效的日期和时间";
    FfiLocalTimeMissing:
        "does not exist on this computer's clock (time zone)",
        "在本机时钟（时区）中不存在";
    FfiBefore1970:
        "before 1970",
        "早于 1970 年";
    FfiMaxLevel:
        "`max_level` {0}: use 0 (off), 1 (error), 2 (warn), 3 (info), 4 (debug) or 5 (trace)",
        "`max_level` {0}：请使用 0（关闭）、1（错误）、2（警告）、3（信息）、4（调试）或 5（跟踪）";
    FfiMaxBytes:
        "`max_bytes` {0}: at least 1024",
        "`max_bytes` {0}：至少为 1024";
    FfiLogFile:
        "log file {0}: {1}",
        "日志文件 {0}：{1}";
    FfiOutboxFlags:
        "pyun_outbox_open: flags {0} holds bits that are not PYUN_OUTBOX_* flags (1, 2, 4)",
        "pyun_outbox_open：flags {0} 含有不属于 PYUN_OUTBOX_* 标志（1、2、4）的位";
    FfiNoThread:
        "pyun_outbox_start_sender: the system refused a thread",
        "pyun_outbox_start_sender：系统拒绝创建线程";
    FfiInternal:
        "internal error in pyun (please report): {0}",
        "pyun 内部错误（请报告此问题）：{0}";
}

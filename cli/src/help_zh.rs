//! The Chinese `--help`: clap takes its help from the doc comments (English), so with
//! `PYUN_LANG=zh` (or a Chinese locale) the built command is walked and every command's about
//! and every argument's help replaced from the tables below, keyed by the command's path
//! (`outbox drain`) and the argument's id. clap's own words (Usage, Options, Print help) are
//! replaced too, and the `[default: ...]` tags it adds (see [`tags`]); its errors are
//! `errors_zh.rs`'s. A test walks the command and fails on a command or argument without Chinese,
//! and on an entry that names nothing, so a new flag cannot be forgotten.
//!
//! A table in the CLI rather than the core's catalog: these texts belong to clap's derive
//! (the English is the doc comment next to the field), and no other face shows them.

use clap::{Arg, Command};

/// `(path, about)`: `""` is `pyun` itself, `outbox drain` a subcommand of a subcommand.
const COMMANDS: &[(&str, &str)] = &[
    ("", "pyun 命令行：推送、签名、验签、解释，以及 P云 平台的本地沙箱"),
    ("demo", "在本进程内启动沙箱，向它推送一组真实的记录"),
    ("push", "校验、签名并发送一条记录"),
    ("sign", "输出记录文件（按 push 的方式读取）或平铺 JSON 字段对象的签名"),
    ("verify", "验证从平台收到的推送（urlencoded、multipart 或 JSON 请求体）。退出码 0 有效，1 无效，2 输入不可用"),
    ("explain", "对照发送的记录，解释被忽略或被拒推送的平台提示（hint）。请给出与推送相同的照片（--file），或它们的 `*_hash` 字段（--field 或写在记录中）：平台对哈希值签名，缺少它们时平台看起来收到了别的字段"),
    ("sandbox", "运行平台的本地沙箱，直到被中断"),
    ("send-push", "向接收方发送一条已签名的平台推送（出场记录或支付订单），像平台一样重发，直到对方应答 {\"code\":\"1001\"}"),
    ("outbox", "不丢记录的持久队列：enqueue、drain、status、dead、retry、purge"),
    ("outbox status", "计数（待发、已送达、死信）以及下一条记录在等什么"),
    ("outbox enqueue", "校验并持久保存一条记录（照片会复制进发件箱）"),
    ("outbox drain", "投递到期的记录；加 --follow 则持续投递（有新记录时唤醒），并输出每次接收和死信，直到 Ctrl+C 或 SIGTERM"),
    ("outbox show", "一条记录的状态，按编号或其 parking_serial / flow_no 查找"),
    ("outbox list", "记录列表，最早的在前"),
    ("outbox events", "某个位置之后的投递事件（accepted、dead、requeued），按顺序"),
    ("outbox dead", "列出死信"),
    ("outbox retry", "排除原因后，把死信重新排队（全部，或一个编号）"),
    ("outbox accept-fresh-start", "在“未打开：无法确认已提交的记录是否丢失”（附属文件 DB-enqueued 缺失、损坏或属于另一个数据库）之后，按现状接受数据库：为它新建附属文件。只有确知数据库完整时才运行；被拒时列出的记录将被放弃"),
    ("outbox purge", "删除 N 天前已送达的记录"),
    ("listen", "接收平台的推送：验签、持久保存（去重）、交给处理程序处理一次，之后才确认。按 Ctrl+C / SIGTERM 停止"),
    ("pushes", "`pyun listen` 收到的推送：list、show"),
    ("pushes list", "收到的推送，最新的在前"),
    ("pushes show", "一条推送及其字段，按键（`pay_serial`、`parking_serial`）或编号查找"),
    ("service", "仅限 Windows：把 `listen` 或 `outbox drain --follow` 作为 Windows 服务运行（随 Windows 启动，注销后继续运行）：install、uninstall、start、stop、status"),
    ("service install", "注册一个随 Windows 启动的服务（需管理员），运行 `--` 之后的命令：`listen ...`、`outbox --db F drain --follow ...` 或 `console ...`（其访问令牌以 PYUN_CONSOLE_TOKEN 写在 --env-file 中）。服务在当前文件夹中启动（命令中的相对路径以此为准）。app_secret 请写在 --env-file 中，不要写在命令行上"),
    ("service uninstall", "如果服务在运行则停止它，然后删除"),
    ("service start", "启动服务；等到它运行起来"),
    ("service stop", "停止服务：命令先完成正在处理的工作；等到它停止"),
    ("service status", "服务的状态、进程号和命令行（没有该服务时退出码为 2）"),
    ("version", "输出版本号（与 --version 相同）"),
    ("console", "给车场工作人员的本地网页：发件箱队列、死信（重新排队、清除）、按车牌或流水号搜索、24 小时图表、收到的推送。输出其网址（带访问令牌）；按 Ctrl+C / SIGTERM 停止"),
    ("help", "输出本帮助，或指定子命令的帮助"),
];

/// `(path, id, help)`; path `*` holds the arguments of several commands that mean the same
/// everywhere (the global ones, clap's help and version, the shared client options). An entry
/// of a command's own path wins over `*`.
const ARGS: &[(&str, &str, &str)] = &[
    ("*", "verbose", "输出运行过程（可重复以输出更多）：请求、重试、遮盖密钥的签名串"),
    ("*", "json", "以 JSON 在标准输出上输出结果和错误（一个对象；`outbox events`、`drain --follow` 等流式输出每行一个）"),
    ("*", "charset", "命令读取的记录文件的字符集：utf-8（默认）、gbk（也可写 `ansi`：中文 Windows 记事本的“ANSI”就是代码页 936，即 GBK）或 gb18030。文件有字节顺序标记（BOM）时以它为准：UTF-8，或 UTF-16（记事本的“Unicode”）"),
    ("*", "help", "输出帮助"),
    ("*", "version", "输出版本号"),
    ("*", "base_url", "平台（或沙箱）的基础地址。其中的 `user:password@`（带基本认证的网关）以 Authorization 头发送，从不输出"),
    ("*", "app_secret", "app_secret（密钥）（或设置 PYUN_APP_SECRET，使它不出现在进程列表中）"),
    ("*", "app_id", "平台分配的 app_id（需同时给 --api-type）"),
    ("*", "api_type", "与 --app-id 配套的 api_type"),
    ("*", "url_encoding", "encoding=URL 模式，用于无法以 UTF-8 原样传送的值"),
    ("*", "strict", "把“已忽略并附提示”的应答当作失败：现在已是默认（push --allow-ignored 可放行）；保留此选项，以便传了它的脚本照常运行"),
    ("*", "timeout", "每次尝试允许的秒数"),
    ("*", "connect_timeout", "连接允许的秒数"),
    ("*", "attempts", "总尝试次数（只有网络错误和 500/503 才重试）"),
    ("*", "ca_file", "除 Mozilla 根证书外额外信任的 CA 证书 PEM 文件（用于重新签发 TLS 的网络）。证书检查从不关闭"),
    ("*", "endpoint", "enter、leave、release 或 update"),
    ("*", "record", "记录（JSON），`-` 表示标准输入"),
    ("*", "limit", "最多这么多条"),
    ("demo", "data", "含 enter.json、leave.json、release.json、update.json 和照片的文件夹"),
    ("push", "record", "记录：使用平台字段名的 JSON 对象（`-` 表示标准输入）"),
    ("push", "files", "要附带的照片，格式为 字段名=路径（enter_image_file、leave_image_file 等）。可重复"),
    ("push", "allow_ignored", "平台忽略了记录（`200` 附提示，例如密钥错误）时退出码为 0：即生产环境的“不因一条坏记录而阻塞”。不加时，被忽略的记录退出码为 1"),
    ("sign", "canonical", "输出签名串（密钥已遮盖），而不是签名"),
    ("sign", "endpoint", "按 push 的方式把 FILE 当作该接口的记录（enter、leave、release、update）读取；不加时按字段识别记录文件，其他文件按平铺字段读取"),
    ("sign", "file", "JSON 文件，`-` 表示标准输入"),
    ("verify", "content_type", "请求的 Content-Type；不给时根据请求体判断编码"),
    ("verify", "file", "文件，`-` 表示标准输入"),
    ("explain", "hint", "平台的 `hint`（提示）"),
    ("explain", "endpoint", "接口名，用于把 RECORD 按该类型的记录读取；不给时 RECORD 按平铺字段读取"),
    ("explain", "files", "随记录发送的照片，格式为 字段名=路径（enter_image_file、leave_image_file 等），与 push 时相同。其 MD5 即平台签名的 `*_hash` 字段。可重复"),
    ("explain", "fields", "记录字段之外另外发送的字段，格式为 字段名=值：手头没有照片时给照片的 `*_hash`（leave_image_hash=3EF4...），或 app_id、api_type、encoding。可重复"),
    ("sandbox", "port", "127.0.0.1 上的端口（0 表示任选空闲端口；网址在第一行输出）"),
    ("sandbox", "host", "绑定的地址；除非其他机器必须访问，否则保持默认"),
    ("sandbox", "app_secret", "沙箱验证签名所用的 app_secret"),
    ("sandbox", "fail_first", "前 N 个请求应答 503"),
    ("sandbox", "error_rate", "随机以 500/503 应答的请求比例（0..1）"),
    ("sandbox", "drop_rate", "不应答就断开的连接比例（0..1）"),
    ("sandbox", "drop_first", "前 N 个连接不应答就断开"),
    ("sandbox", "latency_ms", "每次应答前增加的毫秒数"),
    ("sandbox", "drop_after_store", "只在记录保存之后断开连接：平台已有记录，应答丢失（重发时必须被识别为重复）"),
    ("sandbox", "gateway_first", "在断开和失败的请求之后，接下来的 N 个请求像平台前面的网关、代理或上网认证页面那样应答：没有平台的 JSON"),
    ("sandbox", "gateway_status", "网关的 HTTP 状态码：429、3xx（重定向到登录页）、404，或其他（一个 HTML 页面）"),
    ("sandbox", "retry_after", "网关的 `Retry-After` 头（秒数或 HTTP 日期）"),
    ("sandbox", "seed", "随机故障（--error-rate、--drop-rate）的种子，用于可重复的运行"),
    ("sandbox", "read_timeout_ms", "接收请求头、然后接收请求体各允许的毫秒数"),
    ("sandbox", "keep", "保留的已接收记录和已记录的记录键数（/_sandbox/records、/_sandbox/received），最早的先丢弃，使长时间运行的内存有界；/_sandbox/counters 给出丢弃了多少"),
    ("sandbox", "dedup_keys", "重复检查记住的记录键数（每个 8 字节），最早的先丢弃"),
    ("send-push", "kind", "`leave`（文档第 000 页）或 `payment`（第 004 页）"),
    ("send-push", "to", "接收方的网址"),
    ("send-push", "app_id", "推送携带的 app_id"),
    ("send-push", "fields", "代替示例发送的字段（平铺 JSON 对象）"),
    ("send-push", "max_attempts", "放弃前的尝试次数"),
    ("send-push", "interval_ms", "两次尝试之间的毫秒数"),
    ("send-push", "encoding", "请求体的编码：form（urlencoded）、multipart 或 json"),
    ("outbox", "db", "发件箱数据库文件（不存在时创建）；可写在子命令之前或之后"),
    ("outbox", "allow_network_share", "仍然打开位于网络共享上的发件箱（SMB/UNC 路径、映射的网络驱动器、NFS、CIFS），SQLite 的 WAL 日志在那里无法保证数据安全；否则拒绝打开"),
    ("outbox enqueue", "files", "照片，格式为 字段名=路径。可重复"),
    ("outbox drain", "follow", "持续运行直到被中断；先完成正在发送的记录"),
    ("outbox drain", "interval_ms", "加 --follow 时：查找其他进程入队记录的间隔毫秒数"),
    ("outbox drain", "carry_enter_fields", "把转为死信的入场记录的字段带到其出场记录上（文档第 001 页注 8）"),
    ("outbox drain", "max_backoff", "失败记录再次尝试前最长的等待秒数（等待从 1 秒起倍增，直到此值）"),
    ("outbox show", "record", "记录的编号，或其键"),
    ("outbox events", "after", "已处理过的最后位置（0：从头开始）"),
    ("outbox list", "state", "只列此状态的记录：pending、done 或 dead"),
    ("outbox retry", "id", "死信的编号；不给时为全部"),
    ("outbox purge", "days", "天数（0：所有已送达的记录；大到不成日期的数字则全部保留）"),
    ("listen", "port", "端口（0 表示任选空闲端口；会输出地址）"),
    ("listen", "bind", "绑定的地址。默认只接受本机连接：请在前面放一个终止 TLS 的代理，或明知地给出 0.0.0.0"),
    ("listen", "db", "保存收到的推送的 SQLite 存储（不存在时创建）。一个存储由一个 `pyun listen` 使用：启动时会结束被杀掉的监听程序留下的认领"),
    ("listen", "exec", "对每条不同的推送（通过 shell）运行一次此命令：推送的字段以 JSON 对象写入标准输入，环境变量中有 PYUN_PUSH_KIND 和 PYUN_PUSH_KEY（百分号编码；编码后超过 256 字节时不设置）；退出状态 0 表示已处理"),
    ("listen", "forward", "把每条不同推送的字段以 JSON POST 到此网址（一个本地服务），带 X-Pyun-Push-Kind 和 X-Pyun-Push-Key 头（键与 PYUN_PUSH_KEY 相同）；2xx 应答表示已处理。不跟随重定向：3xx 算失败"),
    ("listen", "handler_timeout", "处理程序允许的秒数，超过即算失败（--exec 处理程序及其启动的所有进程会被结束）"),
    ("listen", "max_body", "接受的最大请求体，字节"),
    ("listen", "read_timeout", "接收请求头、然后接收请求体各允许的秒数"),
    ("listen", "max_connections", "同时服务的连接数；更多的连接等待被接受"),
    ("pushes", "db", "`pyun listen` 写入的存储；可写在子命令之前或之后"),
    ("pushes list", "before", "下一页：只列编号小于此值的推送（上一页最后一条的编号）"),
    ("pushes list", "unhandled", "只列处理程序尚未成功处理的推送"),
    ("pushes list", "json", "输出 JSON"),
    ("pushes show", "key", "键或编号"),
    ("pushes show", "json", "输出 JSON"),
    ("service", "name", "服务名，与 `install` 时给的相同"),
    ("service install", "name", "服务名（字母、数字、- 和 _），例如 pyun-listen"),
    ("service install", "log_dir", "服务日志 NAME.log 所在的文件夹，保持在 4 MiB 以下，轮转为 NAME.log.1 ... NAME.log.5（默认：当前文件夹下的 logs）"),
    ("service install", "env_file", "由 NAME=VALUE 行组成的文件（例如 PYUN_APP_SECRET=...），服务每次启动时读入其环境变量；`#` 开始注释。请放在只有管理员和 SYSTEM 能读的地方"),
    ("service install", "command", "命令：listen ...、outbox ... drain --follow ... 或 console ..."),
    ("console", "outboxes", "要显示的发件箱数据库。可重复"),
    ("console", "pushes", "`pyun listen` 写入的推送存储，用于显示和搜索其推送"),
    ("console", "host", "绑定的地址。除非加 --allow-remote，否则只能是本机回环地址"),
    ("console", "port", "端口（0 表示任选空闲端口；网址在第一行输出）"),
    ("console", "allow_remote", "明知地绑定非回环的 --host：其他机器就能访问该页面（仍需令牌，走未加密的 HTTP）"),
    ("console", "read_only", "只显示：拒绝一切操作（重新排队、清除）"),
    ("console", "lang", "页面语言：en 或 zh（页面上可切换）。默认：pyun 消息所用的语言（PYUN_LANG，其次是区域设置；默认英文）"),
    ("console", "allow_network_share", "仍然打开位于网络共享上的发件箱（见 `pyun outbox --allow-network-share`）"),
];

/// The exit codes (main.rs `EXIT_CODES`), in Chinese.
pub const EXIT_CODES: &str = "\
退出码（所有命令相同）：
  0  成功：平台已接收，签名有效，已完成；outbox drain：全部已送达
  1  被拒：平台拒收或忽略了记录（push --allow-ignored 可接受被忽略的记录），推送的签名无效，
     推送未被确认；outbox drain：有记录转为死信
  2  输入：输入、参数或配置不可用（什么也没有发送）
  3  网络：平台或接收方没有应答（连接、DNS、TLS、超时）
  4  发件箱：发件箱数据库出错（磁盘已满、只读、损坏）、丢失了记录、没有自己的附属文件
     （outbox accept-fresh-start），或位于网络共享上
  5  待发（outbox drain）：仍有记录待发（未连上平台、服务器错误、等待重试）；记录会保留，
     由下一次 drain 发送
  6  暂停（outbox drain）：连续的记录以同样的方式被拒（app_secret 错误？车场被停用？）：
     投递已暂停，记录保留";

/// What `--json` prints (main.rs `JSON_OUTPUT`), in Chinese.
pub const JSON_OUTPUT: &str = "加 --json 时，错误是标准输出上的一个 JSON 对象：{\"error\":true,\"kind\":\"refused|invalid|input|network|outbox\",\"message\":\"...\",\"exit_code\":N}（平台的应答另在 \"result\" 中）；outbox drain 输出其报告，\"result\" 为 delivered|pending|refused|paused";

/// clap's `Usage:` and the headings of its sections, in Chinese.
const TEMPLATE: &str = "{before-help}{about-with-newline}\n用法: {usage}\n\n{all-args}{after-help}";
const TEMPLATE_NO_ARGS: &str = "{before-help}{about-with-newline}\n用法: {usage}{after-help}";

/// The about of the command at `path`; clap's `help` subcommand (of every command with
/// subcommands, and its copies of their names) has one text.
fn about_of(path: &str) -> Option<&'static str> {
    let path = match path.split(' ').position(|w| w == "help") {
        Some(_) => "help",
        None => path,
    };
    COMMANDS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// The help of argument `id` of the command at `path`: its own entry, else that of the
/// nearest parent (a global argument of `outbox` is `outbox`'s), else `*`'s.
fn help_of(path: &str, id: &str) -> Option<&'static str> {
    entry_of(path, id).map(|i| ARGS[i].2)
}

/// The index in `ARGS` of the entry `help_of` takes.
fn entry_of(path: &str, id: &str) -> Option<usize> {
    let find = |p: &str| ARGS.iter().position(|(ap, aid, _)| *ap == p && *aid == id);
    let mut p = path;
    loop {
        if let Some(t) = find(p) {
            return Some(t);
        }
        match p.rsplit_once(' ') {
            Some((parent, _)) => p = parent,
            None if !p.is_empty() => p = "",
            None => return find("*"),
        }
    }
}

/// `cmd` (built: global arguments propagated, help and version added) with its texts in
/// Chinese; what the tables lack stays English (the test says what).
pub fn localize(mut cmd: Command) -> Command {
    cmd.build();
    walk(cmd, "")
}

fn walk(cmd: Command, path: &str) -> Command {
    let mut cmd = match about_of(path) {
        Some(about) => cmd.about(about).long_about(None),
        None => cmd,
    };
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set()) || cmd.has_subcommands();
    cmd = cmd
        .help_template(if has_args { TEMPLATE } else { TEMPLATE_NO_ARGS })
        .subcommand_help_heading("命令");
    let owner = path.to_string();
    cmd = cmd.mut_args(|a| arg(a, &owner));
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        let sub_path = if path.is_empty() {
            name
        } else {
            format!("{} {}", path, name)
        };
        walk(sub, &sub_path)
    })
}

fn arg(a: Arg, path: &str) -> Arg {
    let a = match help_of(path, a.get_id().as_str()) {
        Some(help) => {
            let tags = tags(&a);
            let a = if a.get_env().is_some() {
                a.hide_env(true)
            } else {
                a
            };
            let a = if a.get_default_values().is_empty() || !a.get_action().takes_values() {
                a
            } else {
                a.hide_default_value(true)
            };
            let a = if a.get_possible_values().is_empty() {
                a
            } else {
                a.hide_possible_values(true)
            };
            a.help(format!("{}{}", help, tags)).long_help(None)
        }
        None => a,
    };
    if a.is_positional() {
        // A heading of its own orders by display order, not position: keep the position.
        let at = a.get_index().unwrap_or(0);
        a.help_heading("参数").display_order(at)
    } else {
        a.help_heading("选项")
    }
}

/// clap's `[env: ...]`, `[default: ...]` and `[possible values: ...]` after an argument's help,
/// in Chinese, as clap writes them in a short help (the only help the Chinese one is: no long
/// texts). clap writes these words itself; the argument's own are hidden (`hide_env`...) and
/// these added to its help text.
fn tags(a: &Arg) -> String {
    let quoted = |v: &std::ffi::OsStr| {
        let v = v.to_string_lossy();
        match v.contains(char::is_whitespace) {
            true => format!("{:?}", v),
            false => v.into_owned(),
        }
    };
    let mut tags = String::new();
    if let Some(name) = a.get_env().filter(|_| !a.is_hide_env_set()) {
        // clap shows the variable's value unless told not to (a secret's is hidden).
        let value = match a.is_hide_env_values_set() {
            true => String::new(),
            false => format!(
                "={}",
                std::env::var_os(name).unwrap_or_default().to_string_lossy()
            ),
        };
        tags += &format!(" [环境变量: {}{}]", name.to_string_lossy(), value);
    }
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| quoted(v)).collect();
    // A flag's implicit default (false, 0) is not shown.
    if !defaults.is_empty() && a.get_action().takes_values() && !a.is_hide_default_value_set() {
        tags += &format!(" [默认值: {}]", defaults.join(" "));
    }
    let values: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| quoted(v.get_name().as_ref()))
        .collect();
    if !values.is_empty() && !a.is_hide_possible_values_set() {
        tags += &format!(" [可选值: {}]", values.join(", "));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every visible command's path, and every visible argument as `(path, id)`.
    fn visible(
        cmd: &Command,
        path: &str,
        cmds: &mut Vec<String>,
        args: &mut Vec<(String, String)>,
    ) {
        cmds.push(path.to_string());
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            args.push((path.to_string(), a.get_id().to_string()));
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let sub_path = if path.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{} {}", path, sub.get_name())
            };
            // `help`'s subcommands are clap's copies of the names, without arguments.
            if sub.get_name() == "help" {
                cmds.push(sub_path);
                continue;
            }
            visible(sub, &sub_path, cmds, args);
        }
    }

    fn tree() -> (Vec<String>, Vec<(String, String)>) {
        let mut cmd = crate::command(pyun_core::Lang::En);
        cmd.build();
        let (mut cmds, mut args) = (Vec::new(), Vec::new());
        visible(&cmd, "", &mut cmds, &mut args);
        (cmds, args)
    }

    #[test]
    fn every_command_and_argument_has_chinese_help() {
        let (cmds, args) = tree();
        let no_about: Vec<&String> = cmds.iter().filter(|p| about_of(p).is_none()).collect();
        let no_help: Vec<String> = args
            .iter()
            .filter(|(p, id)| help_of(p, id).is_none())
            .map(|(p, id)| format!("(\"{}\", \"{}\")", p, id))
            .collect();
        assert!(
            no_about.is_empty() && no_help.is_empty(),
            "no Chinese help for commands {:?} and arguments {}",
            no_about,
            no_help.join(", ")
        );
    }

    #[test]
    fn every_chinese_text_names_a_command_or_argument() {
        let (cmds, args) = tree();
        for (path, _) in COMMANDS {
            assert!(cmds.iter().any(|c| c == path), "no command {:?}", path);
        }
        let used: std::collections::HashSet<usize> =
            args.iter().filter_map(|(p, id)| entry_of(p, id)).collect();
        for (i, (path, id, _)) in ARGS.iter().enumerate() {
            assert!(
                used.contains(&i),
                "no argument {:?} of {:?} takes it",
                id,
                path
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (path, id, _) in ARGS {
            assert!(seen.insert((path, id)), "({:?}, {:?}) twice", path, id);
        }
    }
}

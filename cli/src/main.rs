//! `pyun`: push records to the P云 platform, sign and verify, explain ignored pushes, and run
//! a local sandbox of the platform.
//!
//! Exit codes: one table for every command, [`EXIT_CODES`] (printed by each `--help` and in
//! the README).

mod commands;
mod console;
mod demo;
mod errors_zh;
mod help_zh;
mod input;
mod listen;
mod outbox;
mod pushes;
mod service;
mod stop;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use pyun_core::{Lang, Msg, Text};

/// The exit codes of every command (each `--help` ends with this table; so does the README).
pub const EXIT_CODES: &str = "\
Exit codes (the same for every command):
  0  success: accepted by the platform, signature valid, done; outbox drain: all delivered
  1  refused: the platform refused or ignored the record (push --allow-ignored accepts an
     ignored one), a push's signature is invalid, a push was not acknowledged; outbox drain:
     records were dead-lettered
  2  input: unusable input, arguments or configuration (nothing was sent)
  3  network: no answer from the platform or receiver (connection, DNS, TLS, timeout)
  4  outbox: the outbox database failed (disk full, read-only, damaged), lost records, has no
     side file of its own (outbox accept-fresh-start), or is on a network share
  5  pending (outbox drain): records are still pending (the platform not reached, server
     errors, waiting to retry); they are kept and sent by the next drain
  6  paused (outbox drain): records in a row were refused the same way (a wrong app_secret?
     the lot blocked?): delivery paused, the records kept";

/// What `--json` prints, after [`EXIT_CODES`] in every help but the demo's.
const JSON_OUTPUT: &str = "With --json, an error is a JSON object on standard output: {\"error\":true,\"kind\":\"refused|invalid|input|network|outbox\",\"message\":\"...\",\"exit_code\":N} (a platform's answer also in \"result\"); outbox drain prints its report, \"result\" delivered|pending|refused|paused";

/// Talk to the P云 (4pyun) parking cloud.
#[derive(Parser)]
#[command(name = "pyun", version, about, propagate_version = true)]
struct Cli {
    /// Log what happens (repeat for more): requests, retries, masked canonical strings.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Print results, and errors, as JSON on standard output (one object; one per line for
    /// streams such as `outbox events` and `drain --follow`).
    #[arg(long, global = true)]
    json: bool,
    /// The character set of record files read by the command: utf-8 (default), gbk (also
    /// `ansi`: Notepad's "ANSI" on Chinese Windows is code page 936, GBK) or gb18030. A byte
    /// order mark decides whatever this says: UTF-8, or UTF-16 (Notepad's "Unicode").
    #[arg(long, global = true, value_name = "CHARSET", default_value = "utf-8")]
    charset: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a sandbox in-process and push a realistic sequence of records to it.
    Demo {
        /// Folder with enter.json, leave.json, release.json, update.json and the photos.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Validate, sign and send one record.
    Push(commands::PushArgs),
    /// Print the sign of a record file (as push reads it) or of a flat JSON object of fields.
    Sign {
        #[command(flatten)]
        secret: SecretArg,
        /// Print the canonical string (secret masked) instead of the sign.
        #[arg(long)]
        canonical: bool,
        /// Read FILE as this endpoint's record (enter, leave, release, update), as push does;
        /// without it a record file is recognised by its fields, anything else is flat fields.
        #[arg(long)]
        endpoint: Option<String>,
        /// JSON file, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Verify a push received from the platform (urlencoded, multipart or JSON body).
    /// Exit 0 valid, 1 invalid, 2 unusable input.
    Verify {
        #[command(flatten)]
        secret: SecretArg,
        /// The request's Content-Type; without it the encoding is sniffed from the body.
        #[arg(long)]
        content_type: Option<String>,
        /// File, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Explain a hint from an ignored or rejected push, against the record that was sent.
    /// Give the same photos as the push (--file), or their `*_hash` fields (--field or in the
    /// record): the platform signs the hashes, so without them it seems to have seen other
    /// fields.
    Explain(commands::ExplainArgs),
    /// Run a local sandbox of the platform until interrupted.
    Sandbox(commands::SandboxArgs),
    /// Send a signed platform push (leave record or payment order) to a receiver, resending
    /// until it answers {"code":"1001"}, as the platform does.
    SendPush(commands::SendPushArgs),
    /// A durable queue that never loses a record: enqueue, drain, status, dead, retry, purge.
    Outbox(outbox::OutboxArgs),
    /// Receive the platform's pushes: verify, store durably (de-duplicated), hand each to a
    /// handler once, and acknowledge only then. Stops on Ctrl+C / SIGTERM.
    Listen(listen::ListenArgs),
    /// The pushes `pyun listen` received: list, show.
    Pushes(pushes::PushesArgs),
    /// Windows only: run `listen` or `outbox drain --follow` as a Windows service (starts with
    /// Windows, survives logoff): install, uninstall, start, stop, status.
    Service(service::ServiceArgs),
    /// Print the version (as --version does).
    Version,
    /// A local web page for a lot's staff: the outboxes' queues, dead letters (requeue,
    /// purge), a search by plate or serial, a 24 h chart, the received pushes. Prints its URL
    /// (with an access token); stops on Ctrl+C / SIGTERM.
    Console(console::ConsoleArgs),
}

/// The app secret, from the option or the environment.
#[derive(Args)]
struct SecretArg {
    /// The app_secret (or set PYUN_APP_SECRET, which keeps it out of the process list).
    #[arg(long, env = "PYUN_APP_SECRET", hide_env_values = true)]
    app_secret: String,
}

/// A failure with its exit code; printed as one line (or a JSON object with `--json`), in the
/// language the environment asks for (`PYUN_LANG`, the locale; English by default).
pub struct Failure {
    code: u8,
    kind: &'static str,
    message: Message,
    /// Catalog messages after the message (`followed_by`).
    after: Vec<Text>,
    /// The platform's answer to a refused or ignored push (`result` of the JSON error).
    detail: Option<serde_json::Value>,
}

/// What a failure says, written in a language when it is printed.
enum Message {
    /// Catalog messages (or text outside the catalog), one after the other.
    Text(Vec<Text>),
    /// A core error (its own message in each language), after an optional catalog message
    /// that takes it as its argument.
    Core(Box<pyun_core::Error>, Option<Msg>),
}

impl Message {
    fn render(&self, lang: Lang) -> String {
        match self {
            Message::Text(t) => t.iter().map(|t| t.render(lang)).collect(),
            Message::Core(e, None) => e.message(lang),
            Message::Core(e, Some(around)) => around.text(lang, &[&e.message(lang)]),
        }
    }
}

/// The `kind` of a failure in `--json` output, from its exit code.
fn kind_of(code: u8) -> &'static str {
    match code {
        1 => "refused",
        2 => "input",
        3 => "network",
        4 => "outbox",
        _ => "internal",
    }
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            kind: kind_of(code),
            message: Message::Text(vec![Text::Plain(message.into())]),
            after: Vec::new(),
            detail: None,
        }
    }

    /// A failure whose message is in the catalog.
    pub fn msg(code: u8, msg: Msg, args: &[&dyn std::fmt::Display]) -> Self {
        Failure {
            code,
            kind: kind_of(code),
            message: Message::Text(vec![Text::new(msg, args)]),
            after: Vec::new(),
            detail: None,
        }
    }

    /// The same failure of a core error, its message the argument of `around`.
    pub fn around(mut self, around: Msg) -> Self {
        if let Message::Core(_, slot) = &mut self.message {
            *slot = Some(around);
        }
        self
    }

    /// The same failure, `next` (a catalog message without arguments) after its message.
    pub fn followed_by(mut self, next: Msg) -> Self {
        self.after.push(Text::new(next, &[]));
        self
    }

    /// What the failure says, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let mut text = self.message.render(lang);
        for t in &self.after {
            text.push_str(&t.render(lang));
        }
        text
    }

    /// Bad input or configuration (text outside the catalog, or a core's catalog text).
    pub fn usage(message: impl Into<Text>) -> Self {
        Failure {
            code: 2,
            kind: kind_of(2),
            message: Message::Text(vec![message.into()]),
            after: Vec::new(),
            detail: None,
        }
    }
}

impl From<pyun_core::Error> for Failure {
    fn from(e: pyun_core::Error) -> Self {
        let info = e.kind().info();
        Failure {
            code: info.exit_code,
            kind: info.json_kind,
            detail: match &e {
                pyun_core::Error::Api(f) => Some(pyun_core::contract::api_failure_json(f)),
                _ => None,
            },
            message: Message::Core(Box::new(e), None),
            after: Vec::new(),
        }
    }
}

/// Prints a JSON value as one line on standard output.
pub fn print_json(v: &serde_json::Value) {
    println!("{}", v);
}

/// Prints a failure: one line on standard error, and with `--json` also an object on
/// standard output.
fn report(f: &Failure, json: bool) {
    let message = f.text(Lang::from_env());
    eprintln!("pyun: {}", message);
    if json {
        let mut v = serde_json::json!({
            "error": true,
            "kind": f.kind,
            "message": message,
            "exit_code": f.code,
        });
        if let Some(d) = &f.detail {
            v["result"] = d.clone();
        }
        print_json(&v);
    }
}

/// The command line, with the exit-code table at the end of every command's help; its help
/// in Chinese when `lang` is.
fn command(lang: Lang) -> clap::Command {
    let (exit_codes, json_output) = match lang {
        Lang::En => (EXIT_CODES, JSON_OUTPUT),
        Lang::Zh => (help_zh::EXIT_CODES, help_zh::JSON_OUTPUT),
    };
    fn with_table(c: clap::Command, after: &str) -> clap::Command {
        c.after_help(after.to_string())
            .mut_subcommands(|s| with_table(s, after))
    }
    // The demo prints a table for people: its help does not offer --json. A hidden flag of its
    // own takes the global one's place there (`main` still refuses it).
    let after = format!("{}\n{}", exit_codes, json_output);
    let cmd = with_table(Cli::command(), &after).mut_subcommand("demo", |d| {
        d.arg(
            clap::Arg::new("json")
                .long("json")
                .hide(true)
                .action(clap::ArgAction::SetTrue),
        )
        .after_help(exit_codes)
    });
    match lang {
        Lang::En => cmd,
        Lang::Zh => help_zh::localize(cmd),
    }
}

/// Whether a panic is `println!` failing on a closed standard output. A reader that went away
/// (`pyun explain ... | head -c 10`) ends the command quietly this way on every platform. Rust
/// ignores SIGPIPE, and pyun leaves it so: a write to a closed pipe is an error of that write
/// (for `listen`, writing a push to an `--exec` handler that exits without reading it), never
/// the end of the process.
fn is_closed_stdout(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let msg = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())
        .unwrap_or("");
    msg.starts_with("failed printing to stdout")
}

fn main() -> ExitCode {
    // A bug must still end as one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        if is_closed_stdout(info) {
            std::process::exit(0);
        }
        let what = Msg::CliInternal.text(Lang::from_env(), &[info]);
        eprintln!("pyun: {}", what);
    }));
    let json_asked = std::env::args_os().any(|a| a == "--json");
    let lang = Lang::from_env();
    let cli = match command(lang)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        // clap's errors in Chinese through its own formatter hook; English is clap's own.
        Err(e) => match lang {
            Lang::En => return command_line_error(e, json_asked),
            Lang::Zh => return command_line_error(e.apply::<errors_zh::Zh>(), json_asked),
        },
    };
    let json = cli.json;
    finish(run(cli, stop::Stop::Console), json)
}

/// A command line clap refused (or help and version, which clap prints): with `--json` the
/// error as one JSON line, else as clap writes it.
fn command_line_error<F: clap::error::ErrorFormatter>(
    e: clap::error::Error<F>,
    json: bool,
) -> ExitCode {
    if !(json && e.use_stderr()) {
        e.exit()
    }
    // The rendered error up to its usage line, as one line.
    let detail = e.render().to_string();
    let first = detail
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("用法:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let first = first
        .trim_start_matches("error: ")
        .trim_start_matches("错误：")
        .to_string();
    report(&Failure::usage(first), true);
    ExitCode::from(2)
}

/// The exit code of a command's result, its failure reported.
fn finish(result: Result<u8, Failure>, json: bool) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            report(&f, json);
            ExitCode::from(f.code)
        }
    }
}

/// Runs a parsed command line (`--charset`, the log level, the command); `stop` is where
/// `listen` and `outbox drain --follow` hear they must stop.
fn run(cli: Cli, stop: stop::Stop) -> Result<u8, Failure> {
    let json = cli.json;
    let command = match cli.command {
        // `service run` (the service's process) runs its command through this function again,
        // with that command's --charset and log level.
        Command::Service(args) => return service::run(args, json),
        c => c,
    };
    input::set_charset(&cli.charset)?;
    let level = match cli.verbose {
        // The demo's table already shows retries and ignored pushes.
        0 if matches!(command, Command::Demo { .. }) => "error",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let mut logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level));
    // A one-shot drain prints its report, which says why delivery paused or stopped: the
    // core's log line of the same would say it twice.
    if matches!(&command, Command::Outbox(a) if a.is_one_shot_drain()) {
        let reported = pyun_core::outbox::REPORTED_LOG_TARGET;
        logger.filter_module(reported, log::LevelFilter::Off);
    }
    logger.format_timestamp_millis().init();
    match command {
        Command::Demo { .. } if json || std::env::args_os().any(|a| a == "--json") => {
            Err(Failure::msg(2, Msg::CliDemoJson, &[]))
        }
        Command::Demo { data } => demo::run(data),
        Command::Push(args) => commands::push(args, json),
        Command::Sign {
            secret,
            canonical,
            endpoint,
            file,
        } => commands::sign(
            &secret.app_secret,
            canonical,
            endpoint.as_deref(),
            &file,
            json,
        ),
        Command::Verify {
            secret,
            content_type,
            file,
        } => commands::verify(&secret.app_secret, content_type.as_deref(), &file, json),
        Command::Explain(args) => commands::explain(args, json),
        Command::Sandbox(args) => commands::sandbox(args, json),
        Command::SendPush(args) => commands::send_push(args, json),
        Command::Outbox(args) => outbox::run(args, json, stop),
        Command::Listen(args) => listen::run(args, stop),
        Command::Pushes(args) => pushes::run(args),
        Command::Service(args) => service::run(args, json),
        Command::Version => {
            println!("pyun {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Command::Console(args) => console::run(args, stop),
    }
}

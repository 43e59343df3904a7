//! `pyun service`: `listen`, `outbox drain --follow` or `console` as a Windows service, so the
//! receiver, the sender and the staff's page of a lot PC start with Windows and survive logoff
//! (docs/windows.md).
//!
//! `install` registers `pyun.exe service run --name N --work-dir W --log-dir D [--env-file F]
//! -- <command>` with the service control manager; the service control manager starts that,
//! and `run` runs the command in this process (the same code as in a console), its output in a
//! size-bounded log file, until the service's Stop. The app_secret is never on that command
//! line (readable by every user): it comes from the env file, read when the service starts.
//!
//! On other systems the subcommand exists and says it is for Windows only (exit code 2).

#[cfg(windows)]
mod capture;
#[cfg(any(windows, test))]
mod env_file;
#[cfg(any(windows, test))]
mod rotate;
#[cfg(windows)]
mod scm;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Failure;

/// `pyun service`.
#[derive(Args)]
pub struct ServiceArgs {
    #[command(subcommand)]
    action: Action,
}

/// The fields are read by the Windows code only.
#[cfg_attr(not(windows), allow(dead_code))]
#[derive(Subcommand)]
enum Action {
    /// Register a service (as Administrator) that starts with Windows and runs the command after
    /// `--`: `listen ...`, `outbox --db F drain --follow ...` or `console ...` (its token as
    /// PYUN_CONSOLE_TOKEN in --env-file). It starts in the current folder
    /// (relative paths of the command are from here). Give the app_secret in --env-file, not on
    /// the command line.
    Install {
        /// The service's name (letters, digits, - and _), e.g. pyun-listen.
        #[arg(long)]
        name: String,
        /// Folder of the service's log, NAME.log, kept below 4 MiB and rotated to
        /// NAME.log.1 ... NAME.log.5 (default: logs in the current folder).
        #[arg(long)]
        log_dir: Option<PathBuf>,
        /// A file of NAME=VALUE lines (e.g. PYUN_APP_SECRET=...), read by the service at each
        /// start into its environment; `#` starts a comment. Keep it where only Administrators
        /// and SYSTEM can read it.
        #[arg(long)]
        env_file: Option<PathBuf>,
        /// The command: listen ..., outbox ... drain --follow ... or console ...
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Stop the service if it runs, and remove it.
    Uninstall(Named),
    /// Start the service; waits until it runs.
    Start(Named),
    /// Stop the service: the command finishes what is in flight first; waits until it stopped.
    Stop(Named),
    /// The service's state, process id and command line (exit 2 when there is no such service).
    Status(Named),
    /// What the service control manager starts (not to be run by hand).
    #[command(hide = true)]
    Run(RunArgs),
}

/// `service run`: what `install` stored, all paths absolute.
#[derive(Args)]
#[cfg_attr(not(windows), allow(dead_code))]
struct RunArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    work_dir: PathBuf,
    #[arg(long)]
    log_dir: PathBuf,
    #[arg(long)]
    env_file: Option<PathBuf>,
    #[arg(last = true, required = true)]
    command: Vec<OsString>,
}

/// A service's name.
#[derive(Args)]
#[cfg_attr(not(windows), allow(dead_code))]
struct Named {
    /// The service's name, as given to `install`.
    #[arg(long)]
    name: String,
}

/// Runs `pyun service ...`.
#[cfg(windows)]
pub fn run(a: ServiceArgs, json: bool) -> Result<u8, Failure> {
    scm::run(a.action, json)
}

/// `pyun service` on a system without Windows services.
#[cfg(not(windows))]
pub fn run(_: ServiceArgs, _: bool) -> Result<u8, Failure> {
    Err(Failure::msg(2, pyun_core::Msg::ServiceWindowsOnly, &[]))
}

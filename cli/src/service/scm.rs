//! `pyun service` on Windows, through the `windows-service` crate: the service control
//! manager's side (install, start, stop, status, uninstall) and the service's own (`run`: the
//! dispatcher, the control handler, the command run in this process until the Stop).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use clap::FromArgMatches;
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

use super::rotate::RotatingLog;
use super::{capture, env_file, Action, RunArgs, ServiceArgs};
use crate::stop::{ServiceStop, Stop};
use crate::{Cli, Command, Failure};
use pyun_core::{Lang, Msg};

/// The log: files of at most this size, this many older ones kept (about 24 MiB in all).
const LOG_MAX_BYTES: u64 = 4 * 1024 * 1024;
const LOG_KEEP: usize = 5;
/// How long `start` and `stop` wait for the service (a listener's stop waits for the handlers
/// in flight, up to their --handler-timeout).
const START_WAIT: Duration = Duration::from_secs(60);
const STOP_WAIT: Duration = Duration::from_secs(180);

pub fn run(action: Action, json: bool) -> Result<u8, Failure> {
    match action {
        Action::Install {
            name,
            log_dir,
            env_file,
            command,
        } => install(&name, log_dir, env_file, command, json),
        Action::Uninstall(n) => uninstall(&n.name, json),
        Action::Start(n) => start(&n.name, json),
        Action::Stop(n) => stop(&n.name, json),
        Action::Status(n) => {
            let service = open(
                &n.name,
                ServiceAccess::QUERY_STATUS | ServiceAccess::QUERY_CONFIG,
            )?;
            print_status(&n.name, &service, json)
        }
        Action::Run(r) => {
            // This thread becomes the dispatcher; service_main runs on a thread of its own.
            service_dispatcher::start(&r.name, ffi_service_main).map_err(|e| {
                if os_error(&e) == Some(1063) {
                    Failure::msg(2, Msg::ServiceRunByScm, &[&r.name])
                } else {
                    system_failure(e, Msg::ServiceOpRun, &r.name)
                }
            })?;
            Ok(0)
        }
    }
}

/// The Win32 error code inside a windows-service error.
fn os_error(e: &windows_service::Error) -> Option<i32> {
    match e {
        windows_service::Error::Winapi(io) => io.raw_os_error(),
        _ => None,
    }
}

/// A failure of the service control manager, in words (the usual ones from the catalog).
fn system_failure(e: windows_service::Error, what: Msg, name: &str) -> Failure {
    let lang = Lang::from_env();
    let words = match os_error(&e) {
        Some(5) => Msg::ServiceAccessDenied.text(lang, &[]),
        Some(1060) => Msg::ServiceNoSuch.text(lang, &[&name]),
        Some(1072) => Msg::ServiceBeingRemoved.text(lang, &[]),
        Some(1073) => Msg::ServiceExists.text(lang, &[&name]),
        _ => match &e {
            windows_service::Error::Winapi(io) => io.to_string(),
            other => other.to_string(),
        },
    };
    Failure::msg(
        2,
        Msg::ServiceFailed,
        &[&name, &what.text(lang, &[]), &words],
    )
}

fn manager(access: ServiceManagerAccess, name: &str) -> Result<ServiceManager, Failure> {
    ServiceManager::local_computer(None::<&str>, access)
        .map_err(|e| system_failure(e, Msg::ServiceOpManager, name))
}

fn open(name: &str, access: ServiceAccess) -> Result<windows_service::service::Service, Failure> {
    manager(ServiceManagerAccess::CONNECT, name)?
        .open_service(name, access)
        .map_err(|e| system_failure(e, Msg::ServiceOpOpen, name))
}

/// A service name that is also a file name: letters, digits, - and _.
fn check_name(name: &str) -> Result<(), Failure> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Failure::msg(
            2,
            Msg::ServiceName,
            &[&format_args!("{:?}", name)],
        ));
    }
    Ok(())
}

/// The command a service may run, parsed as the service will parse it: in an environment with
/// no PYUN_* variable but those of the env file (their names returned with it). Refuses a
/// secret on the command line.
fn service_command(
    command: &[OsString],
    env_file: Option<&Path>,
) -> Result<(Cli, Vec<String>), Failure> {
    for (i, arg) in command.iter().enumerate() {
        let arg = arg.to_string_lossy();
        if arg == "--app-secret" || arg.starts_with("--app-secret=") {
            return Err(Failure::msg(2, Msg::ServiceSecretOnCommandLine, &[]));
        }
        if let Some((_, rest)) = arg.split_once("://") {
            if rest.split('/').next().unwrap_or("").contains('@') {
                return Err(Failure::msg(2, Msg::ServiceUrlPassword, &[&(i + 1)]));
            }
        }
    }
    let names: Vec<OsString> = std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            k.to_string_lossy()
                .to_ascii_uppercase()
                .starts_with("PYUN_")
        })
        .collect();
    for k in names {
        std::env::remove_var(k);
    }
    let mut set = Vec::new();
    if let Some(f) = env_file {
        for (k, v) in env_file::read(f)? {
            std::env::set_var(&k, v);
            set.push(k);
        }
    }
    let args = std::iter::once(OsString::from("pyun")).chain(command.iter().cloned());
    let cli = crate::command(pyun_core::Lang::En)
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
        .map_err(|e| {
            let first = e.render().to_string();
            let first = first
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            let failure = Failure::msg(2, Msg::ServiceCommand, &[&first]);
            if first.contains("app-secret") {
                failure.followed_by(Msg::ServiceSecretHint)
            } else {
                failure
            }
        })?;
    match &cli.command {
        Command::Listen(_) => Ok((cli, set)),
        Command::Outbox(o) if o.is_follow() => Ok((cli, set)),
        // Its token from the env file: a random one would be printed into the log, which every
        // user can read (console/mod.rs, env_token).
        Command::Console(_) => match crate::console::env_token()? {
            Some(_) => Ok((cli, set)),
            None => Err(Failure::msg(
                2,
                Msg::ServiceConsoleToken,
                &[&crate::console::TOKEN_VAR],
            )),
        },
        _ => Err(Failure::msg(2, Msg::ServiceOnlyListen, &[])),
    }
}

fn absolute(p: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(p).map_err(|e| Failure::usage(format!("{}: {}", p.display(), e)))
}

fn install(
    name: &str,
    log_dir: Option<PathBuf>,
    env_file: Option<PathBuf>,
    command: Vec<OsString>,
    json: bool,
) -> Result<u8, Failure> {
    check_name(name)?;
    let work_dir =
        std::env::current_dir().map_err(|e| Failure::msg(2, Msg::ServiceCurrentFolder, &[&e]))?;
    let log_dir = absolute(&log_dir.unwrap_or_else(|| work_dir.join("logs")))?;
    let env_file = env_file.as_deref().map(absolute).transpose()?;
    service_command(&command, env_file.as_deref())?;
    let exe = std::env::current_exe().map_err(|e| Failure::msg(2, Msg::ServiceExePath, &[&e]))?;
    let mut args: Vec<OsString> = ["service", "run", "--name", name, "--work-dir"]
        .iter()
        .map(OsString::from)
        .collect();
    args.extend([
        work_dir.clone().into(),
        "--log-dir".into(),
        log_dir.clone().into(),
    ]);
    if let Some(f) = &env_file {
        args.extend(["--env-file".into(), f.clone().into()]);
    }
    args.push("--".into());
    args.extend(command);
    let info = ServiceInfo {
        name: name.into(),
        display_name: format!("pyun ({})", name).into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe,
        launch_arguments: args,
        dependencies: vec![],
        account_name: None, // LocalSystem
        account_password: None,
    };
    let service = manager(
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
        name,
    )?
    .create_service(
        &info,
        ServiceAccess::CHANGE_CONFIG | ServiceAccess::QUERY_STATUS,
    )
    .map_err(|e| system_failure(e, Msg::ServiceOpInstall, name))?;
    let _ = service
        .set_description("pyun: receives or sends the P云 platform's records (pyun service)");
    // Started again 10 s after a failure (a crash, or the command ending with an error), up to
    // three times a day.
    let restart = ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(10),
    };
    let restarts = service
        .update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86_400)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![restart.clone(), restart.clone(), restart]),
        })
        .and_then(|_| service.set_failure_actions_on_non_crash_failures(true))
        .map_err(|e| match &e {
            windows_service::Error::Winapi(io) => io.to_string(),
            other => other.to_string(),
        });
    let log = log_dir.join(format!("{}.log", name));
    if json {
        crate::print_json(&serde_json::json!({
            "name": name, "installed": true, "log": log.display().to_string(),
            "restart_on_failure": restarts.is_ok(),
        }));
    } else {
        let lang = Lang::from_env();
        println!("{}", Msg::ServiceInstalled.text(lang, &[&name]));
        println!("{}", Msg::ServiceLog.text(lang, &[&log.display()]));
        if let Err(why) = restarts {
            println!("{}", Msg::ServiceNoRestart.text(lang, &[&why]));
        }
    }
    Ok(0)
}

fn state_name(s: ServiceState) -> &'static str {
    match s {
        ServiceState::Stopped => "stopped",
        ServiceState::StartPending => "starting",
        ServiceState::StopPending => "stopping",
        ServiceState::Running => "running",
        ServiceState::ContinuePending => "continuing",
        ServiceState::PausePending => "pausing",
        ServiceState::Paused => "paused",
    }
}

/// The command's exit code (a service-specific code), or the Windows error the service
/// control manager recorded; 0 for none (1077: "never started").
fn exit_code_of(s: &ServiceStatus) -> u32 {
    match s.exit_code {
        ServiceExitCode::ServiceSpecific(c) => c,
        ServiceExitCode::Win32(1077) => 0,
        ServiceExitCode::Win32(c) => c,
    }
}

fn print_status(
    name: &str,
    service: &windows_service::service::Service,
    json: bool,
) -> Result<u8, Failure> {
    let s = service
        .query_status()
        .map_err(|e| system_failure(e, Msg::ServiceOpStatus, name))?;
    let command = service
        .query_config()
        .map(|c| c.executable_path.display().to_string())
        .unwrap_or_default();
    if json {
        crate::print_json(&serde_json::json!({
            "name": name, "state": state_name(s.current_state), "pid": s.process_id,
            "exit_code": exit_code_of(&s), "command": command,
        }));
    } else {
        let lang = Lang::from_env();
        let mut line = Msg::ServiceState.text(lang, &[&name, &state_name(s.current_state)]);
        if let Some(p) = s.process_id {
            line.push_str(&Msg::ServicePid.text(lang, &[&p]));
        }
        match exit_code_of(&s) {
            0 => {}
            c => line.push_str(&Msg::ServiceLastExit.text(lang, &[&c])),
        }
        println!("{}", line);
        if !command.is_empty() {
            println!("{}", Msg::ServiceCommandLine.text(lang, &[&command]));
        }
    }
    Ok(0)
}

/// Waits until the service is in `want` (or, waiting to run, stopped); its last status.
fn wait_for(
    service: &windows_service::service::Service,
    name: &str,
    want: ServiceState,
    limit: Duration,
) -> Result<ServiceStatus, Failure> {
    let deadline = Instant::now() + limit;
    loop {
        let s = service
            .query_status()
            .map_err(|e| system_failure(e, Msg::ServiceOpStatus, name))?;
        if s.current_state == want
            || (want == ServiceState::Running && s.current_state == ServiceState::Stopped)
        {
            return Ok(s);
        }
        if Instant::now() >= deadline {
            return Err(Failure::msg(
                2,
                Msg::ServiceStill,
                &[&name, &state_name(s.current_state), &limit.as_secs()],
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn start(name: &str, json: bool) -> Result<u8, Failure> {
    let access = ServiceAccess::START | ServiceAccess::QUERY_STATUS | ServiceAccess::QUERY_CONFIG;
    let service = open(name, access)?;
    match service.start::<&str>(&[]) {
        Err(e) if os_error(&e) == Some(1056) => {} // already running
        r => r.map_err(|e| system_failure(e, Msg::ServiceOpStart, name))?,
    }
    let s = wait_for(&service, name, ServiceState::Running, START_WAIT)?;
    if s.current_state == ServiceState::Stopped {
        return Err(Failure::msg(
            2,
            Msg::ServiceStoppedStarting,
            &[&name, &exit_code_of(&s)],
        ));
    }
    print_status(name, &service, json)
}

fn stop(name: &str, json: bool) -> Result<u8, Failure> {
    let access = ServiceAccess::STOP | ServiceAccess::QUERY_STATUS | ServiceAccess::QUERY_CONFIG;
    let service = open(name, access)?;
    match service.stop() {
        Err(e) if os_error(&e) == Some(1062) => {} // not running
        r => {
            r.map_err(|e| system_failure(e, Msg::ServiceOpStop, name))?;
        }
    }
    wait_for(&service, name, ServiceState::Stopped, STOP_WAIT)?;
    print_status(name, &service, json)
}

fn uninstall(name: &str, json: bool) -> Result<u8, Failure> {
    let access = ServiceAccess::STOP | ServiceAccess::QUERY_STATUS | ServiceAccess::DELETE;
    let service = open(name, access)?;
    let s = service
        .query_status()
        .map_err(|e| system_failure(e, Msg::ServiceOpStatus, name))?;
    if s.current_state != ServiceState::Stopped {
        match service.stop() {
            Err(e) if os_error(&e) == Some(1062) => {}
            r => {
                r.map_err(|e| system_failure(e, Msg::ServiceOpStop, name))?;
            }
        }
        wait_for(&service, name, ServiceState::Stopped, STOP_WAIT)?;
    }
    service
        .delete()
        .map_err(|e| system_failure(e, Msg::ServiceOpUninstall, name))?;
    if json {
        crate::print_json(&serde_json::json!({"name": name, "installed": false}));
    } else {
        println!("{}", Msg::ServiceRemoved.text(Lang::from_env(), &[&name]));
    }
    Ok(0)
}

define_windows_service!(ffi_service_main, service_main);

/// The service's status, as reported to the service control manager: a Stop asked during the
/// start is not overwritten by "running".
struct Reporter {
    handle: OnceLock<ServiceStatusHandle>,
    stopping: Mutex<bool>,
}

impl Reporter {
    fn set(&self, state: ServiceState, exit: u32, wait: Duration) {
        let accepts = if state == ServiceState::Running {
            // PRESHUTDOWN (Vista+): at shutdown the stop comes first and may take up to the
            // preshutdown timeout (3 min by default), not the ~12 s a SHUTDOWN gets on Windows 7.
            ServiceControlAccept::STOP
                | ServiceControlAccept::PRESHUTDOWN
                | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        };
        if let Some(h) = self.handle.get() {
            let _ = h.set_service_status(ServiceStatus {
                service_type: ServiceType::OWN_PROCESS,
                current_state: state,
                controls_accepted: accepts,
                exit_code: match exit {
                    0 => ServiceExitCode::NO_ERROR,
                    c => ServiceExitCode::ServiceSpecific(c),
                },
                checkpoint: 0,
                wait_hint: wait,
                process_id: None,
            });
        }
    }

    fn running(&self) {
        let stopping = self.stopping.lock().unwrap_or_else(|e| e.into_inner());
        if !*stopping {
            self.set(ServiceState::Running, 0, Duration::ZERO);
        }
    }

    fn stopping(&self) {
        let mut stopping = self.stopping.lock().unwrap_or_else(|e| e.into_inner());
        *stopping = true;
        self.set(ServiceState::StopPending, 0, Duration::from_secs(60));
    }

    fn stopped(&self, exit: u32) {
        let _stopping = self.stopping.lock().unwrap_or_else(|e| e.into_inner());
        self.set(ServiceState::Stopped, exit, Duration::ZERO);
    }
}

fn stamp() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The service's thread: its settings are this process's own arguments (`service run ...`,
/// parsed again here: the service control manager passes service_main only StartService's).
fn service_main(_: Vec<OsString>) {
    let parsed = crate::command(pyun_core::Lang::En)
        .try_get_matches_from(std::env::args_os())
        .and_then(|m| Cli::from_arg_matches(&m));
    let r = match parsed.map(|c| c.command) {
        Ok(Command::Service(ServiceArgs {
            action: Action::Run(r),
        })) => r,
        // Not reachable from `service run`; nothing to report to.
        _ => return,
    };
    let stop = Arc::new(ServiceStop::default());
    let reporter = Arc::new(Reporter {
        handle: OnceLock::new(),
        stopping: Mutex::new(false),
    });
    let handler = {
        let (stop, reporter) = (stop.clone(), reporter.clone());
        move |control| match control {
            ServiceControl::Stop | ServiceControl::Preshutdown | ServiceControl::Shutdown => {
                reporter.stopping();
                stop.request();
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        }
    };
    let Ok(handle) = service_control_handler::register(&r.name, handler) else {
        return;
    };
    let _ = reporter.handle.set(handle);
    reporter.set(ServiceState::StartPending, 0, Duration::from_secs(30));
    let log = RotatingLog::new(
        r.log_dir.join(format!("{}.log", r.name)),
        LOG_MAX_BYTES,
        LOG_KEEP,
    );
    let capture = match capture::start(log) {
        Ok(c) => c,
        Err(_) => {
            reporter.stopped(2);
            return;
        }
    };
    let lang = Lang::from_env();
    let version = env!("CARGO_PKG_VERSION");
    let starting = Msg::ServiceStarting.text(lang, &[&r.name, &version, &std::process::id()]);
    println!("{} {}", stamp(), starting);
    let code = match run_command(&r, stop, &reporter) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("{} pyun: {}", stamp(), f.text(lang));
            f.code
        }
    };
    let stopped = Msg::ServiceStopped.text(lang, &[&r.name, &code]);
    println!("{} {}", stamp(), stopped);
    capture.sync();
    reporter.stopped(code.into());
}

/// The service's command, in its folder with its env file, until the service's Stop.
fn run_command(r: &RunArgs, stop: Arc<ServiceStop>, reporter: &Reporter) -> Result<u8, Failure> {
    std::env::set_current_dir(&r.work_dir)
        .map_err(|e| Failure::msg(2, Msg::ServiceFolder, &[&r.work_dir.display(), &e]))?;
    let (cli, names) = service_command(&r.command, r.env_file.as_deref())?;
    if let Some(f) = &r.env_file {
        // names only: the values may be secrets
        let env = Msg::ServiceEnv.text(Lang::from_env(), &[&f.display(), &names.join(", ")]);
        println!("{} {}", stamp(), env);
    }
    reporter.running();
    crate::run(cli, Stop::Service(stop))
}

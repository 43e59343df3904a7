//! An `--exec` handler's process tree, ended as a whole when it overruns or the listener stops:
//! a process group on Unix, a job object on Windows.
//!
//! Windows: `taskkill /F /T` is not enough (wine's taskkill has no `/T`, and it finds children
//! by parent pid, which a process that already ended no longer links). The handler starts
//! suspended, joins a job of its own, and only then runs, so every process it starts is in the
//! job and `TerminateJobObject` ends them all. Hand-written on `windows-sys` rather than taken
//! from `process-wrap`, whose job-object child waits for every process of the job (a handler's
//! background process would hold up the push) and fails the spawn when the job cannot be
//! joined. Windows 7 puts a process in one job only: a listener that itself runs in a job that
//! forbids breaking away cannot give its handlers their own, and falls back to `taskkill /F
//! /T`.

/// The shell command line for `--exec`: `sh -c CMD`, or `cmd /S /C "CMD"` on Windows.
pub(super) fn shell(cmd: &str) -> tokio::process::Command {
    #[cfg(windows)]
    {
        let mut c = tokio::process::Command::new("cmd");
        // cmd.exe does not read its command line as Rust quotes arguments: with /S it runs
        // what is between the outer quotes exactly as given, so `"C:\Program Files\h.cmd" x`
        // works as typed.
        c.raw_arg(format!("/S /C \"{}\"", cmd));
        // Started suspended: it runs once it is in its job (`Tree::adopt`).
        c.creation_flags(windows_sys::Win32::System::Threading::CREATE_SUSPENDED);
        c
    }
    #[cfg(not(windows))]
    {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(cmd);
        #[cfg(unix)]
        {
            c.process_group(0);
            // SAFETY: only `signal`, async-signal-safe, between fork and exec.
            unsafe {
                c.pre_exec(|| {
                    libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
                    Ok(())
                });
            }
        }
        c
    }
}

/// Ends a handler's whole process tree when dropped, unless its main process ended by itself
/// (`release`): a timeout, or the listener stopping, leaves no orphan behind to run a second
/// copy; what a handler that ended by itself left running in the background is its own.
pub(super) struct Tree {
    pid: Option<u32>,
    #[cfg(windows)]
    job: Option<win::Job>,
}

impl Tree {
    /// Takes charge of a child spawned from `shell` (on Windows: puts it in its job, then lets
    /// it run).
    pub(super) fn adopt(child: &tokio::process::Child) -> Tree {
        #[cfg(windows)]
        {
            let job = child.raw_handle().and_then(|h| win::Job::adopt(h as _));
            Tree {
                pid: child.id(),
                job,
            }
        }
        #[cfg(not(windows))]
        {
            Tree { pid: child.id() }
        }
    }

    /// The main process ended by itself: nothing to end.
    pub(super) fn release(&mut self) {
        self.pid = None;
    }

    pub(super) fn end(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        #[cfg(unix)]
        // SAFETY: signalling the process group this listener created for the handler (the
        // group id is the handler's pid, set by `process_group(0)`).
        unsafe {
            libc::killpg(pid as libc::pid_t, libc::SIGKILL);
        }
        #[cfg(windows)]
        {
            if self.job.as_ref().is_some_and(win::Job::terminate) {
                return;
            }
            // No job of its own (see the module's comment): taskkill /T ends the process and
            // the processes it started that are still linked to it (Windows 7 has it).
            let _ = std::process::Command::new("taskkill")
                .args(["/F", "/T", "/PID", &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(windows)]
mod win {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::System::Diagnostics::ToolHelp::{
        CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
    };
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, TerminateJobObject,
    };
    use windows_sys::Win32::System::Threading::{
        GetProcessId, OpenThread, ResumeThread, THREAD_SUSPEND_RESUME,
    };

    /// A job object holding one handler's processes; the handle is closed on drop (without
    /// ending them: no kill-on-close limit).
    pub(super) struct Job(HANDLE);

    // SAFETY: a job handle is a kernel handle, usable from any thread.
    unsafe impl Send for Job {}
    unsafe impl Sync for Job {}

    impl Job {
        /// Puts the suspended `process` in a new job and resumes it; resumes it in any case
        /// (without a job when one cannot be made or joined).
        pub(super) fn adopt(process: HANDLE) -> Option<Job> {
            // SAFETY: plain Win32 calls on a process handle the child owns for as long as this
            // runs (the child is alive: suspended); a failed call returns null / FALSE.
            let job = unsafe {
                let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
                if job.is_null() {
                    None
                } else if AssignProcessToJobObject(job, process) == 0 {
                    CloseHandle(job);
                    None
                } else {
                    Some(Job(job))
                }
            };
            resume(process);
            job
        }

        /// Ends every process of the job; false when that failed.
        pub(super) fn terminate(&self) -> bool {
            // SAFETY: a job handle this struct owns.
            unsafe { TerminateJobObject(self.0, 1) != 0 }
        }
    }

    impl Drop for Job {
        fn drop(&mut self) {
            // SAFETY: closing the handle this struct owns, once.
            unsafe {
                CloseHandle(self.0);
            }
        }
    }

    /// Resumes the threads of a process started suspended (its one main thread). std's `Child`
    /// keeps the thread handle to itself, so the thread is found by a ToolHelp snapshot.
    fn resume(process: HANDLE) {
        // SAFETY: a snapshot read with a correctly sized THREADENTRY32; every handle opened
        // here is closed here.
        unsafe {
            let pid = GetProcessId(process);
            let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
            if snapshot == INVALID_HANDLE_VALUE {
                return;
            }
            let mut entry: THREADENTRY32 = std::mem::zeroed();
            entry.dwSize = std::mem::size_of::<THREADENTRY32>() as u32;
            let mut more = Thread32First(snapshot, &mut entry) != 0;
            while more {
                if entry.th32OwnerProcessID == pid {
                    let thread = OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID);
                    if !thread.is_null() {
                        ResumeThread(thread);
                        CloseHandle(thread);
                    }
                }
                more = Thread32Next(snapshot, &mut entry) != 0;
            }
            CloseHandle(snapshot);
        }
    }
}

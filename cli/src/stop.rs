//! How a long-running command (`listen`, `outbox drain --follow`) hears that it must stop: in a
//! console, Ctrl+C / Ctrl+Break / SIGTERM (the `ctrlc` crate); in a Windows service, the
//! service control manager's Stop or Shutdown (service/scm.rs). The command gives a trigger;
//! what it does on the trigger (finish the work in flight, then return) is the same for both.

#[cfg(windows)]
use std::sync::{Arc, Mutex};

/// Where the stop comes from.
pub enum Stop {
    /// Ctrl+C, Ctrl+Break, SIGTERM.
    Console,
    /// The service control manager (through the service's control handler).
    #[cfg(windows)]
    Service(Arc<ServiceStop>),
}

impl Stop {
    /// Calls `trigger` (once or more) when the command must stop.
    pub fn install(self, trigger: impl Fn() + Send + Sync + 'static) -> Result<(), String> {
        match self {
            Stop::Console => ctrlc::set_handler(trigger)
                .map_err(|e| pyun_core::Msg::CliCtrlC.text(pyun_core::Lang::from_env(), &[&e])),
            #[cfg(windows)]
            Stop::Service(s) => {
                s.install(Arc::new(trigger));
                Ok(())
            }
        }
    }
}

#[cfg(windows)]
type Trigger = Arc<dyn Fn() + Send + Sync>;

/// A service's stop: asked by the control handler, perhaps before the command installed its
/// trigger (a Stop during the start), carried out by that trigger. The trigger is never called
/// with the lock held.
#[cfg(windows)]
#[derive(Default)]
pub struct ServiceStop {
    /// (asked, the command's trigger)
    state: Mutex<(bool, Option<Trigger>)>,
}

#[cfg(windows)]
impl ServiceStop {
    /// The service control manager asked for a stop.
    pub fn request(&self) {
        let trigger = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.0 = true;
            s.1.clone()
        };
        if let Some(t) = trigger {
            t();
        }
    }

    fn install(&self, trigger: Trigger) {
        let asked = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.1 = Some(trigger.clone());
            s.0
        };
        if asked {
            trigger();
        }
    }
}

//! What the console serves from: the opened outboxes and push store, its token and address.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pyun_core::outbox::{Outbox, OutboxOptions};
pub use pyun_core::Lang;
use rusqlite::Connection;

use crate::Failure;
use pyun_core::Msg;

/// The stores the console shows.
pub struct Console {
    /// The outboxes, in the order given.
    pub outboxes: Vec<Outbox>,
    /// The push store, if one was given.
    pub pushes: Option<PushStore>,
}

/// The push store, read (and indexed) through one connection.
pub struct PushStore {
    pub path: PathBuf,
    conn: Mutex<Connection>,
}

impl PushStore {
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Console {
    /// Opens every store; a missing or foreign one is an error naming it. The indexes the
    /// page's queries use are added where the disk allows (a warning otherwise).
    pub fn open(
        outboxes: &[PathBuf],
        pushes: Option<&Path>,
        allow_network_share: bool,
    ) -> Result<Console, Failure> {
        let options = OutboxOptions {
            allow_network_share,
            ..OutboxOptions::default()
        };
        let mut opened = Vec::new();
        for path in outboxes {
            if !path.is_file() {
                return Err(Failure::msg(2, Msg::ConsoleNoOutbox, &[&path.display()]));
            }
            let outbox = match Outbox::open(path, options.clone()) {
                // The loss is now recorded as LOST dead letters, which the page shows.
                Err(pyun_core::Error::RecordsLost(lost)) => {
                    eprintln!("pyun: {}", lost);
                    Outbox::open(path, options.clone())?
                }
                other => other?,
            };
            if let Err(e) = outbox.add_overview_indexes() {
                eprintln!("{}", Msg::ConsoleSlow.text(Lang::from_env(), &[&e]));
            }
            opened.push(outbox);
        }
        let pushes = match pushes {
            None => None,
            Some(path) => {
                let conn = pyun_core::push_store::open(path, false)?;
                if let Err(e) = crate::pushes::add_overview_indexes(&conn) {
                    let lang = Lang::from_env();
                    let warning = Msg::ConsoleSlowPushes.text(lang, &[&path.display(), &e]);
                    eprintln!("{}", warning);
                }
                Some(PushStore {
                    path: path.to_path_buf(),
                    conn: Mutex::new(conn),
                })
            }
        };
        Ok(Console {
            outboxes: opened,
            pushes,
        })
    }
}

/// Everything a request handler needs.
pub struct Shared {
    pub console: Console,
    /// The access token (hex).
    pub token: String,
    /// The address served.
    pub local: SocketAddr,
    pub read_only: bool,
    /// The default language (--lang, else PYUN_LANG and the locale: `Lang::from_env`).
    pub lang: Lang,
}

impl Shared {
    /// The language of a request: its `lang` (the page sends its own with every request), else
    /// the console's. The console's, not the browser's Accept-Language: the operator sets it
    /// where pyun's other messages are set (--lang, PYUN_LANG, the PC's locale), and the page
    /// can switch.
    pub fn lang_of(&self, asked: Option<&str>) -> Lang {
        asked.and_then(Lang::parse).unwrap_or(self.lang)
    }
}

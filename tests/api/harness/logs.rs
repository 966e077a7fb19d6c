//! The log records of the test process at WARN and above, as `serve` would write them (through
//! `partner_center::log_noise::Demote`), so a test can assert what an operator would see.

use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// One kept record.
#[derive(Debug, Clone)]
pub struct Line {
    pub level: Level,
    pub target: String,
    pub message: String,
}

struct Keep;

static LINES: Mutex<Vec<Line>> = Mutex::new(Vec::new());

impl Log for Keep {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Warn
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.lock().unwrap().push(Line {
                level: record.level(),
                target: record.target().to_owned(),
                message: record.args().to_string(),
            });
        }
    }

    fn flush(&self) {}
}

/// Starts keeping records (once per process; later calls do nothing).
pub fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_boxed_logger(Box::new(partner_center::log_noise::Demote(Keep)))
            .expect("no other logger in the test process");
        log::set_max_level(LevelFilter::Warn);
    });
}

/// The ERROR records kept so far for which `pick` holds.
pub fn errors(pick: impl Fn(&Line) -> bool) -> Vec<Line> {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.level == Level::Error && pick(l))
        .cloned()
        .collect()
}

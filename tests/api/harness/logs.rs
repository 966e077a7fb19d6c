//! The log lines the app writes during the tests, captured in-process: the process's logger is
//! the app's own JSON format ([`partner_center::logging`]) writing into memory, installed the way
//! `serve` installs it (behind `partner_center::log_noise::Demote`), so a test can find the lines
//! of its request (by its request id) and read their fields, or assert what an operator would
//! see at ERROR.

use std::io::Write;
use std::sync::{Mutex, Once};

use serde_json::Value;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing logger (once per test process): access lines and warnings.
pub fn capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let logger = partner_center::logging::builder(partner_center::logging::Format::Json)
            .parse_filters("warn,access=info")
            .target(env_logger::Target::Pipe(Box::new(Capture)))
            .build();
        let _ = partner_center::logging::install(logger);
    });
}

/// Every captured JSON line whose text contains `needle` (e.g. a request id).
pub fn lines_with(needle: &str) -> Vec<Value> {
    all()
        .into_iter()
        .filter(|l| l.to_string().contains(needle))
        .collect()
}

/// Every captured line.
fn all() -> Vec<Value> {
    let captured = CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&captured)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// One captured ERROR line.
#[derive(Debug, Clone)]
pub struct Line {
    pub target: String,
    pub message: String,
}

/// The ERROR lines captured so far for which `pick` holds.
pub fn errors(pick: impl Fn(&Line) -> bool) -> Vec<Line> {
    all()
        .into_iter()
        .filter(|l| l["level"] == "ERROR")
        .map(|l| Line {
            target: l["target"].as_str().unwrap_or_default().to_owned(),
            message: l["msg"].as_str().unwrap_or_default().to_owned(),
        })
        .filter(|l| pick(l))
        .collect()
}

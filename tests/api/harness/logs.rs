//! The log lines the app writes during the tests, captured in-process: the process's logger is
//! the app's own JSON format ([`partner_center::logging`]) writing into memory, so a test can find
//! the lines of its request (by its request id) and read their fields.

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
        let _ = partner_center::logging::builder(partner_center::logging::Format::Json)
            .parse_filters("warn,access=info")
            .target(env_logger::Target::Pipe(Box::new(Capture)))
            .try_init();
    });
}

/// Every captured JSON line whose text contains `needle` (e.g. a request id).
pub fn lines_with(needle: &str) -> Vec<Value> {
    let captured = CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&captured)
        .lines()
        .filter(|l| l.contains(needle))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

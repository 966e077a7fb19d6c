//! Log records a client can cause at will, kept out of ERROR: actix-http logs every request it
//! cannot parse (a malformed head, a head over its 128 KiB buffer, a URI over 64 KiB) as
//! `ERROR actix_http::h1::dispatcher: stream error: …` before any of our code runs. Those are
//! the client's mistakes, not the server's: [`Demote`] logs them at DEBUG instead, so an ERROR
//! line always means something the operator should look at.

use log::{Level, Log, Metadata, Record};

/// A logger that passes every record to `L`, with client-caused ones ([`client_caused`])
/// lowered to DEBUG.
pub struct Demote<L>(pub L);

/// Whether `record` is a client's malformed request as actix-http reports it.
pub fn client_caused(record: &Record<'_>) -> bool {
    record.level() == Level::Error
        && record.target() == "actix_http::h1::dispatcher"
        && record.args().to_string().starts_with("stream error:")
}

impl<L: Log> Log for Demote<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !client_caused(record) {
            return self.0.log(record);
        }
        let lowered = Record::builder()
            .args(*record.args())
            .level(Level::Debug)
            .target(record.target())
            .module_path(record.module_path())
            .file(record.file())
            .line(record.line())
            .build();
        if self.0.enabled(lowered.metadata()) {
            self.0.log(&lowered);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

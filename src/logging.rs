//! Log lines, through `env_logger` (the filter is `RUST_LOG`, default `info`), in one of two
//! formats chosen by `LOG_FORMAT`:
//! - `text` (the default): `2026-01-01T00:00:00.000Z INFO  access: GET /v1/me 200 3ms request_id=… route=…`
//! - `json`: one object per line, `{"ts","level","target","msg", …fields}`, for log shippers.
//!
//! Fields are the `log` crate's structured key-values (`log::info!(request_id = id; "…")`), so the
//! same call reads well in both formats. The access line of every request
//! ([`crate::access_log`]) carries `request_id`, `trace_id`, `route`, `status`, `caller` and
//! `tenant`; a 5xx cause is logged with the same ids.

use std::io::Write;

use log::kv::{Key, Value, VisitSource};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines with `key=value` fields.
    Text,
    /// One JSON object per line.
    Json,
}

impl Format {
    /// `LOG_FORMAT`: `json` or `text` (default); anything else is an error naming the variable.
    pub fn from_env() -> Result<Format, String> {
        match std::env::var("LOG_FORMAT").ok().as_deref().map(str::trim) {
            None | Some("") | Some("text") => Ok(Format::Text),
            Some("json") => Ok(Format::Json),
            Some(other) => Err(format!(
                "LOG_FORMAT must be `json` or `text` (got {other:?})"
            )),
        }
    }
}

/// An `env_logger` builder writing `format`, without filters: [`init`] adds `RUST_LOG`'s;
/// tests add their own and a target to read the lines back.
pub fn builder(format: Format) -> env_logger::Builder {
    let mut builder = env_logger::Builder::new();
    builder.format(move |buf, record| {
        let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        match format {
            Format::Text => {
                let mut fields = TextFields(String::new());
                let _ = record.key_values().visit(&mut fields);
                writeln!(
                    buf,
                    "{ts} {:<5} {}: {}{}",
                    record.level(),
                    record.target(),
                    record.args(),
                    fields.0
                )
            }
            Format::Json => {
                let mut line = serde_json::Map::new();
                line.insert("ts".to_owned(), ts.to_string().into());
                line.insert("level".to_owned(), record.level().as_str().into());
                line.insert("target".to_owned(), record.target().into());
                line.insert("msg".to_owned(), record.args().to_string().into());
                let mut fields = JsonFields(line);
                let _ = record.key_values().visit(&mut fields);
                let text = serde_json::to_string(&fields.0).unwrap_or_default();
                writeln!(buf, "{text}")
            }
        }
    });
    builder
}

/// Installs the process's logger from `LOG_FORMAT` and `RUST_LOG`.
/// Records a client can cause at will are lowered to DEBUG first ([`crate::log_noise::Demote`]).
pub fn init() -> Result<(), String> {
    let logger = builder(Format::from_env()?)
        .parse_env(env_logger::Env::default().default_filter_or("info"))
        .build();
    install(logger)
}

/// Installs `logger` as the process's logger behind [`crate::log_noise::Demote`], with its own
/// level filter (the one home of how the server's logger is put in place; tests use it too).
pub fn install(logger: env_logger::Logger) -> Result<(), String> {
    let max = logger.filter();
    log::set_boxed_logger(Box::new(crate::log_noise::Demote(logger))).map_err(|e| e.to_string())?;
    log::set_max_level(max);
    Ok(())
}

struct TextFields(String);

impl<'kvs> VisitSource<'kvs> for TextFields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        self.0.push_str(&format!(" {key}={value}"));
        Ok(())
    }
}

struct JsonFields(serde_json::Map<String, serde_json::Value>);

impl<'kvs> VisitSource<'kvs> for JsonFields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            n.into()
        } else if let Some(n) = value.to_i64() {
            n.into()
        } else if let Some(b) = value.to_bool() {
            b.into()
        } else {
            value.to_string().into()
        };
        self.0.insert(key.to_string(), json);
        Ok(())
    }
}

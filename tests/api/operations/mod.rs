//! What an operator runs the service by: its log lines and metrics.

mod logs;
mod metrics;

//! What an operator runs the service by: its log lines, metrics and traces.

mod logs;
mod metrics;
mod traces;

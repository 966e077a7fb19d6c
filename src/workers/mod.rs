//! Background loops that run inside `serve` beside the HTTP workers.

pub mod lifecycle;
pub mod retention;

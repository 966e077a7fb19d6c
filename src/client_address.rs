//! The client address of a request (product.md §7), which sign-in limits and the request budget
//! of unauthenticated callers are keyed on: the TCP peer, or — when the peer is one of
//! `TRUSTED_PROXIES` — the right-most `X-Forwarded-For` entry that is not a trusted proxy. Without
//! `TRUSTED_PROXIES` the header is ignored, so a client cannot pick its own address.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Parses `TRUSTED_PROXIES`: comma-separated addresses or CIDR networks
/// (`10.0.0.5, 10.1.0.0/16, ::1`). Errors name the entry at fault.
pub fn parse_trusted(value: &str) -> Result<Vec<IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "TRUSTED_PROXIES must list IP addresses or CIDR networks separated by commas (got {entry:?})"
                    )
                })
        })
        .collect()
}

/// The client address of `req` given the trusted proxies; `None` when the peer is unknown
/// (in-process test requests).
pub fn of(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return Some(ip),
            // A malformed hop: nothing to its left can be trusted either.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// [`of`] as a string for keys and logs (`unknown` when the peer is unknown).
pub fn key(req: &HttpRequest, trusted: &[IpNet]) -> String {
    of(req, trusted).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

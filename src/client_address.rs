//! The client address of a request (docs/api-guide.md), which sign-in limits and the request budget
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
                .or_else(|_| entry.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
                .map_err(|_| {
                    format!(
                        "TRUSTED_PROXIES must list IP addresses or CIDR networks separated by commas (got {entry:?})"
                    )
                })
        })
        .collect()
}

/// An address as sent in `X-Forwarded-For`: a bare IPv4 or IPv6 address, `a.b.c.d:port`, or
/// `[v6]:port` (as some proxies send), in canonical form.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let bare = if let Some(rest) = entry.strip_prefix('[') {
        rest.split_once(']').map(|(ip, _)| ip)?
    } else if entry.matches(':').count() == 1 {
        entry.split_once(':').map(|(ip, _)| ip)?
    } else {
        entry
    };
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client address of `req` given the trusted proxies, in canonical form (an IPv4-mapped
/// IPv6 peer is its IPv4 address); `None` when the peer is unknown (in-process test requests).
pub fn of(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match parse_hop(entry) {
            Some(ip) if is_trusted(&ip) => client = ip,
            Some(ip) => return Some(ip),
            // A malformed hop: nothing to its left can be trusted; the last trusted hop is
            // the best we know.
            None => return Some(client),
        }
    }
    Some(client)
}

/// [`of`] as a key for limits: an IPv4 address, or the /64 network of an IPv6 address (one
/// subscriber holds a whole /64, so keying on single IPv6 addresses would give it 2^64 budgets);
/// `unknown` when the peer is unknown.
pub fn key(req: &HttpRequest, trusted: &[IpNet]) -> String {
    match of(req, trusted) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(ip)) => ip.to_string(),
        Some(IpAddr::V6(ip)) => ipnet::Ipv6Net::new(ip, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| ip.to_string()),
    }
}

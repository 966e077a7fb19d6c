//! Webhook endpoints' targets and secrets (docs/api-guide.md#webhooks): the SSRF guard on target URLs
//! ([`refused_target`], OWASP API7) and new signing secrets. The outbox that writes events lives
//! in `crate::outbox`, delivery (the worker inside `serve`) in [`delivery`].

pub mod delivery;

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// How long resolving a target's host name may take.
pub const DNS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a target URL is refused (SSRF guard, OWASP API7), or `None` when it may be called.
/// `https://` only, and no loopback, private, link-local, unspecified or metadata address among
/// what the host resolves to; `allow_private` (`WEBHOOK_ALLOW_PRIVATE_TARGETS`) also allows
/// `http://` and those addresses (demos and tests). Whatever `allow_private` says, the URL must
/// parse as the delivery client parses it and hold no control characters or white space. The
/// reason never tells what a host name resolves to (nor whether it resolves), so the guard
/// cannot be used to read the server's DNS.
pub async fn refused_target(url: &str, allow_private: bool) -> Option<String> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("must not contain control characters or white space".to_owned());
    }
    if actix_web::http::Uri::try_from(url).is_err() {
        return Some("must be a valid absolute URL".to_owned());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("must be an absolute https:// URL".to_owned());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && !(allow_private && scheme == "http") {
        return Some("must be an https:// URL".to_owned());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Some("must name a host (and no user information)".to_owned());
    }
    let Some((host, port)) = split_host_port(authority, if scheme == "https" { 443 } else { 80 })
    else {
        return Some("must have a valid host and port".to_owned());
    };
    if allow_private {
        return None;
    }
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            match tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
                .await
            {
                Ok(Ok(it)) => it.map(|a| a.ip()).collect(),
                Ok(Err(_)) | Err(_) => Vec::new(),
            }
        }
    };
    // One reason for every answer the resolver gave (none, a timeout, a private address).
    (addrs.is_empty() || addrs.iter().any(|ip| !is_public(ip))).then(|| {
        format!(
            "must name a host that resolves, within {} s, to public addresses only",
            DNS_TIMEOUT.as_secs()
        )
    })
}

fn split_host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_ascii_lowercase(), p.parse().ok()?)),
        None => Some((authority.to_ascii_lowercase(), default)),
    }
}

/// Whether `ip` is a public unicast address (not loopback, private, link-local, CGNAT,
/// unspecified, multicast, documentation, IETF protocol assignments, or the cloud metadata
/// address 169.254.169.254). IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible,
/// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo) are judged by that address; site-local
/// `fec0::/10`, local-use NAT64 `64:ff9b:1::/48` and documentation `2001:db8::/32` are refused.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99)
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return is_public(&IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0xfd00 && s[1] == 0x0ec2))
        }
    }
}

/// The IPv4 address an IPv6 address stands for, if it is one of the forms that embed one:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (not `::` or `::1`), NAT64
/// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::/48`, Teredo `2001:0::/32` (client address, inverted).
fn embedded_ipv4(v6: &std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    use std::net::Ipv4Addr;
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6].iter().all(|x| *x == 0) && !(v6.is_unspecified() || v6.is_loopback()) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(low(!s[6], !s[7]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_public_refuses_loopback_private_link_local_and_metadata() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "64:ff9b:1::5db8:d822",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "::10.0.0.1",
            "::a9fe:a9fe",
            "fec0::1",
            "feff::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "192.0.0.1",
            "192.0.0.170",
        ] {
            assert!(!is_public(&ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "::93.184.216.34",
            "192.0.1.1",
        ] {
            assert!(is_public(&ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn refused_target_needs_https_and_a_public_host() {
        assert!(
            refused_target("http://93.184.216.34/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://127.0.0.1:8443/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://user@93.184.216.34/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("ftp://93.184.216.34/x", true)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://93.184.216.34/x", false)
                .await
                .is_none()
        );
        assert!(refused_target("http://127.0.0.1:9/x", true).await.is_none());
    }
}

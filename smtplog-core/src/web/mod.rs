//! The query page's rules, shared by every frontend that serves the page: who the client
//! is and whether it may use the page (here); a submission checked in the contract's
//! order, recorded and queued (`submit`, with the `store` and `mail` features); the
//! queued reports mailed with retries (`deliver_due`).
//!
//! The client is the TCP peer; only when the peer is one of the configured
//! `trusted_proxies` is `X-Forwarded-For` believed, and then only up to its right-most
//! address that is not itself a trusted proxy (everything to the left of that was written
//! by the client and may be forged). That address is the report's `Client IP`.

use std::net::IpAddr;

use ipnet::IpNet;

#[cfg(all(feature = "store", feature = "mail"))]
mod outbox;
#[cfg(all(feature = "store", feature = "mail"))]
mod submit;
#[cfg(all(test, feature = "store", feature = "mail"))]
mod tests;

#[cfg(all(feature = "store", feature = "mail"))]
pub use outbox::{Mailed, backoff, deliver_due};
#[cfg(all(feature = "store", feature = "mail"))]
pub use submit::{Form, Refused, Verdict, issue_captcha, submit};

/// `addr` with an IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) given as IPv4, so
/// that IPv4 networks match it.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn within(addr: IpAddr, nets: &[IpNet]) -> bool {
    let addr = canonical(addr);
    nets.iter().any(|n| n.contains(&addr))
}

/// The client of a request from `peer` carrying these `X-Forwarded-For` header values
/// (in the order received): `peer` itself unless it is a trusted proxy; else the
/// right-most forwarded address that is not a trusted proxy. A value that is not an
/// address stops the walk: nothing to its left is believed, and the proxy to its right
/// is taken as the client.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted_proxies: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    if !within(client, trusted_proxies) {
        return client;
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Some(addr) = parse_hop(hop) else {
            return client;
        };
        client = canonical(addr);
        if !within(client, trusted_proxies) {
            return client;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly `[v6]`, `v4:port` or `[v6]:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// True when `client` is inside one of the `allowed` networks (none: nobody is).
pub fn network_allowed(client: IpAddr, allowed: &[IpNet]) -> bool {
    within(client, allowed)
}

#[cfg(test)]
mod client_tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        // Not a proxy: the peer, whatever the header says.
        assert_eq!(
            client_ip(ip("192.0.2.7"), &["198.51.100.1"], &trusted),
            ip("192.0.2.7")
        );
        // A proxy: the right-most untrusted address; the client's own forged entries to
        // its left are not believed.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["6.6.6.6, 192.0.2.7, 10.1.2.3"], &trusted),
            ip("192.0.2.7")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["6.6.6.6", "192.0.2.8"], &trusted),
            ip("192.0.2.8")
        );
        // A proxy with no header, or only proxies in it: the nearest proxy.
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["10.0.0.2"], &trusted),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the proxy that wrote it.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["192.0.2.9, evil<script>"], &trusted),
            ip("127.0.0.1")
        );
        // Ports and brackets.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["192.0.2.10:5555"], &trusted),
            ip("192.0.2.10")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["[2001:db8::1]:443"], &trusted),
            ip("2001:db8::1")
        );
        // No trusted proxies: never the header.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["192.0.2.7"], &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn networks_match_mapped_ipv4_and_nothing_without_a_list() {
        let allowed = nets(&["140.114.0.0/16", "2001:db8::/32"]);
        assert!(network_allowed(ip("140.114.1.2"), &allowed));
        assert!(network_allowed(ip("::ffff:140.114.1.2"), &allowed));
        assert!(network_allowed(ip("2001:db8::5"), &allowed));
        assert!(!network_allowed(ip("140.115.1.2"), &allowed));
        assert!(!network_allowed(ip("140.114.1.2"), &[]));
    }
}

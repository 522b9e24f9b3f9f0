//! Who the client is, for rate limits: the TCP peer, or — when the peer is a proxy the
//! operator trusts (`trusted_proxies`) — the address that proxy names in the client header.
//! The address becomes a rate-limit key and nothing else: it is never logged or stored (the
//! limiter keeps only a keyed hash of it, under a per-process key).

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which request header a trusted proxy uses to name the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// `X-Real-IP: client` (one address).
    XRealIp,
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:443"`.
    Forwarded,
}

impl ClientIpHeader {
    /// Parses a header name as written in the configuration (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "x-real-ip" => Some(Self::XRealIp),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::XRealIp => "x-real-ip",
            Self::Forwarded => "forwarded",
        }
    }
}

/// How the client address is found. The default trusts no proxy: headers are ignored and
/// the TCP peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddressPolicy {
    trusted: Vec<IpNet>,
    header: ClientIpHeader,
}

impl ClientAddressPolicy {
    /// Proxies (addresses or CIDR blocks) whose client header is believed. An invalid entry
    /// is refused with a message naming it.
    pub fn new<S: AsRef<str>>(trusted: &[S], header: ClientIpHeader) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in trusted {
            let e = entry.as_ref().trim();
            let net = e
                .parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "trusted_proxies: {e:?} is not an IP address or CIDR block \
                         (e.g. \"127.0.0.1/32\", \"::1/128\", \"10.0.0.0/8\")"
                    )
                })?;
            nets.push(net.trunc());
        }
        Ok(Self {
            trusted: nets,
            header,
        })
    }

    /// True when no proxy is trusted (headers are ignored).
    pub fn trusts_nobody(&self) -> bool {
        self.trusted.is_empty()
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer when it is not a trusted proxy; otherwise, walking the
    /// header's addresses from the right, the first one that is not trusted (or the leftmost
    /// when all are). A missing or malformed header gives the peer.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.is_trusted(peer) {
            return peer;
        }
        let Some(chain) = self.chain(headers) else {
            return peer;
        };
        let mut last = peer;
        for ip in chain.into_iter().rev() {
            if !self.is_trusted(ip) {
                return ip;
            }
            last = ip;
        }
        last
    }

    /// The addresses the header names, left to right; `None` when it is absent or any part
    /// of it does not parse (a garbled header is not believed at all).
    fn chain(&self, headers: &HeaderMap) -> Option<Vec<IpAddr>> {
        let mut out = Vec::new();
        let mut any = false;
        for value in headers.get_all(self.header.name()) {
            any = true;
            let text = value.to_str().ok()?;
            match self.header {
                ClientIpHeader::XForwardedFor => {
                    for part in text.split(',') {
                        out.push(parse_node(part.trim())?);
                    }
                }
                ClientIpHeader::XRealIp => out.push(parse_node(text.trim())?),
                ClientIpHeader::Forwarded => {
                    for element in text.split(',') {
                        let mut found = None;
                        for pair in element.split(';') {
                            let (k, v) = pair.split_once('=')?;
                            if k.trim().eq_ignore_ascii_case("for") {
                                let v = v.trim();
                                let v = match v.strip_prefix('"') {
                                    Some(q) => q.strip_suffix('"')?,
                                    None => v,
                                };
                                found = Some(parse_node(v)?);
                            }
                        }
                        // An element without `for=` (or `for=unknown`) names no client.
                        out.push(found?);
                    }
                }
            }
        }
        if !any || out.is_empty() {
            return None;
        }
        Some(out.into_iter().map(canonical).collect())
    }
}

/// One node of a forwarding header: `1.2.3.4`, `1.2.3.4:567`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:443`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || (after.starts_with(':') && valid_port(&after[1..]))) {
            return None;
        }
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = s.rsplit_once(':')?;
    if !valid_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The rate-limit key of an address: IPv4 whole, IPv6 by its /64 (one customer line
/// usually holds a whole /64, so keying single IPv6 addresses would give unlimited buckets).
pub fn rate_key(ip: IpAddr) -> Vec<u8> {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let mut k = vec![4];
            k.extend_from_slice(&v4.octets());
            k
        }
        IpAddr::V6(v6) => {
            let mut k = vec![6];
            k.extend_from_slice(&v6.octets()[..8]);
            k
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn local(header: ClientIpHeader) -> ClientAddressPolicy {
        ClientAddressPolicy::new(&["127.0.0.1/32", "::1/128", "10.0.0.0/8"], header).unwrap()
    }

    #[test]
    fn without_trusted_proxies_headers_are_ignored() {
        let p = ClientAddressPolicy::default();
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let p = local(ClientIpHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["198.51.100.1"]);
        assert_eq!(p.client_ip(ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn xff_chain_is_walked_from_the_right_past_trusted_hops() {
        let p = local(ClientIpHeader::XForwardedFor);
        // The client forged the first entry; our proxies appended the rest.
        let h = headers(
            "x-forwarded-for",
            &["1.1.1.1, 198.51.100.7, 10.1.2.3", "10.0.0.9"],
        );
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("198.51.100.7"));
        let h = headers("x-forwarded-for", &["198.51.100.7:5555"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("198.51.100.7"));
        // Every hop trusted: the leftmost.
        let h = headers("x-forwarded-for", &["10.9.9.9, 10.0.0.1"]);
        assert_eq!(p.client_ip(ip("::1"), &h), ip("10.9.9.9"));
        // No header: the peer.
        assert_eq!(
            p.client_ip(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn x_real_ip_is_one_address() {
        let p = local(ClientIpHeader::XRealIp);
        let h = headers("x-real-ip", &["2001:db8::7"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("2001:db8::7"));
        // The other headers are not read.
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_syntax() {
        let p = local(ClientIpHeader::Forwarded);
        let at = |v: &str| p.client_ip(ip("127.0.0.1"), &headers("forwarded", &[v]));
        assert_eq!(at("for=198.51.100.7"), ip("198.51.100.7"));
        assert_eq!(at("for=198.51.100.7:8443;proto=https"), ip("198.51.100.7"));
        assert_eq!(
            at("proto=https;For=\"[2001:db8:cafe::17]:4711\""),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            at("for=192.0.2.60;proto=http, for=198.51.100.17, for=10.0.0.2"),
            ip("198.51.100.17")
        );
        // Unknown or obfuscated nodes are not addresses: fall back to the peer.
        assert_eq!(at("for=unknown"), ip("127.0.0.1"));
        assert_eq!(at("for=_hidden, for=198.51.100.17"), ip("127.0.0.1"));
        assert_eq!(at("for=\"[2001:db8::1\""), ip("127.0.0.1"));
        assert_eq!(at("by=10.0.0.1"), ip("127.0.0.1"));
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        let p = local(ClientIpHeader::XForwardedFor);
        for v in [
            "",
            "not an address",
            "198.51.100.7, garbage",
            "198.51.100.7,,",
            "[::1",
            "1.2.3.4:99999999",
            "1.2.3.4.5",
            "999.1.1.1",
        ] {
            let h = headers("x-forwarded-for", &[v]);
            assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"), "{v:?}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn ipv6_is_keyed_by_its_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa::1")),
            rate_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            rate_key(ip("::ffff:198.51.100.7")),
            rate_key(ip("198.51.100.7"))
        );
        assert_ne!(rate_key(ip("198.51.100.7")), rate_key(ip("198.51.100.8")));
        // A mapped peer matches an IPv4 trusted block.
        let p = local(ClientIpHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(p.client_ip(ip("::ffff:127.0.0.1"), &h), ip("198.51.100.7"));
        // And a mapped client is keyed like the IPv4 one.
        let h = headers("x-forwarded-for", &["::ffff:198.51.100.7"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn invalid_entries_are_refused_by_name() {
        let e = ClientAddressPolicy::new(&["127.0.0.1/32", "10.0.0.0/33"], Default::default())
            .unwrap_err();
        assert!(e.contains("\"10.0.0.0/33\""), "{e}");
        let e = ClientAddressPolicy::new(&["proxy.local"], Default::default()).unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
        assert!(ClientAddressPolicy::new(&["192.0.2.1", "::1"], Default::default()).is_ok());
        assert_eq!(
            ClientIpHeader::parse("X-Real-IP"),
            Some(ClientIpHeader::XRealIp)
        );
        assert_eq!(ClientIpHeader::parse("X-Client"), None);
    }
}

//! Who is asking: the client's address, believing `X-Forwarded-For` only from trusted proxies.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use ipnet::IpNet;

/// The reverse proxies whose `X-Forwarded-For` is believed; app data of every service.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    truncate: bool,
}

impl TrustedProxies {
    /// Proxies in `networks`; `truncate` shortens addresses shown in logs and stored records.
    pub fn new(networks: Vec<IpNet>, truncate: bool) -> TrustedProxies {
        TrustedProxies { networks, truncate }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(&address))
    }

    /// The client's address for a request that arrived from `peer` with these
    /// `X-Forwarded-For` values: the right-most address that is not a trusted proxy.
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) => {
                    client = address;
                    if !self.trusts(address) {
                        break;
                    }
                }
                // A hop that is not an address was written by someone we cannot trust:
                // stop at the last address we could.
                Err(_) => break,
            }
        }
        Some(client)
    }

    /// Whether addresses are shortened in logs and stored records.
    pub fn truncates(&self) -> bool {
        self.truncate
    }
}

/// Shortens an address so that it no longer names one household: IPv4 to its /24, IPv6 to
/// its /48.
pub fn truncate_address(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return truncate_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// The client's address, as an extractor. `None` only for requests with no peer (tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as it may be stored or logged: truncated unless the admin chose otherwise.
    pub fn for_records(&self, proxies: &TrustedProxies) -> String {
        match self.0 {
            Some(address) if proxies.truncates() => truncate_address(address),
            Some(address) => address.to_string(),
            None => String::from("unknown"),
        }
    }

    /// The client's address of `req` as it may be stored or logged, with the instance's
    /// proxies and truncation setting (truncated when the request carries none).
    pub fn record_of(req: &HttpRequest) -> String {
        let client = ClientAddress::of(req);
        match req.app_data::<web::Data<TrustedProxies>>() {
            Some(proxies) => client.for_records(proxies),
            None => client.for_records(&TrustedProxies::new(Vec::new(), true)),
        }
    }

    /// Finds the client's address of `req`.
    pub fn of(req: &HttpRequest) -> ClientAddress {
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        let address = match req.app_data::<web::Data<TrustedProxies>>() {
            Some(proxies) => proxies.client_address(peer, &forwarded),
            None => peer,
        };
        ClientAddress(address)
    }
}

impl FromRequest for ClientAddress {
    type Error = actix_web::Error;
    type Future = Ready<Result<ClientAddress, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddress::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(
            vec![
                "127.0.0.1/32".parse().unwrap(),
                "10.0.0.0/8".parse().unwrap(),
            ],
            true,
        )
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let peer = "203.0.113.9".parse().ok();
        assert_eq!(proxies().client_address(peer, &["198.51.100.1"]), peer);
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only_up_to_the_first_untrusted_hop() {
        let peer = "127.0.0.1".parse().ok();
        // The client forged the first entry; the proxy chain appended the real one.
        let got = proxies().client_address(peer, &["1.2.3.4, 198.51.100.7, 10.1.2.3"]);
        assert_eq!(got, "198.51.100.7".parse().ok());
        let garbage = proxies().client_address(peer, &["not-an-ip"]);
        assert_eq!(garbage, peer);
    }

    #[test]
    fn truncation_hides_the_host_part() {
        assert_eq!(
            truncate_address("192.0.2.77".parse().unwrap()),
            "192.0.2.0/24"
        );
        assert_eq!(
            truncate_address("2001:db8:1234:5678::1".parse().unwrap()),
            "2001:db8:1234::/48"
        );
        assert_eq!(
            truncate_address("::ffff:192.0.2.77".parse().unwrap()),
            "192.0.2.0/24"
        );
    }
}

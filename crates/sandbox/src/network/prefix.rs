//! IPv4 prefixes: parsing, containment and address allocation within a subnet.

use super::*;

/// An IPv4 prefix: base address and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Prefix {
    pub(super) base: u32,
    pub(super) len: u8,
}

impl Prefix {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (addr, len) = text.split_once('/')?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        let base = u32::from(addr.parse::<std::net::Ipv4Addr>().ok()?);
        // The service wants the network address itself, not a host inside it.
        (base & Self::mask(len) == base).then_some(Self { base, len })
    }

    pub(super) fn mask(len: u8) -> u32 {
        if len == 0 { 0 } else { u32::MAX << (32 - len) }
    }

    pub(super) fn contains(self, addr: u32) -> bool {
        addr & Self::mask(self.len) == self.base
    }

    pub(super) fn covers(self, inner: Self) -> bool {
        inner.len >= self.len && self.contains(inner.base)
    }

    pub(super) fn overlaps(self, other: Self) -> bool {
        self.covers(other) || other.covers(self)
    }

    pub(super) fn last(self) -> u32 {
        self.base | !Self::mask(self.len)
    }
}

pub(super) fn parse_prefix(text: &str, owner: &str) -> Result<Prefix, ArmError> {
    Prefix::parse(text).ok_or_else(|| {
        bad(
            "InvalidCIDRNotation",
            format!(
                "{owner} gives the address prefix {text}, which is not a network address in CIDR form (e.g. 10.0.0.0/24)."
            ),
        )
    })
}

/// The next free address of `prefix`, skipping those Azure reserves and those in `used`.
pub(super) fn next_free(prefix: Prefix, used: &[u32]) -> Option<u32> {
    (prefix.base + 4..prefix.last()).find(|a| !used.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_only_network_addresses() {
        assert_eq!(
            Prefix::parse("10.1.0.0/16"),
            Some(Prefix {
                base: 0x0A01_0000,
                len: 16
            })
        );
        assert_eq!(Prefix::parse("10.1.0.1/16"), None);
        assert_eq!(Prefix::parse("10.1.0.0/33"), None);
        assert_eq!(Prefix::parse("10.1.0.0"), None);
    }

    #[test]
    fn a_subnet_must_lie_inside_its_network() {
        let vnet = Prefix::parse("10.1.0.0/16").unwrap();
        assert!(vnet.covers(Prefix::parse("10.1.2.0/24").unwrap()));
        assert!(!vnet.covers(Prefix::parse("10.2.0.0/24").unwrap()));
        assert!(!vnet.covers(Prefix::parse("10.0.0.0/8").unwrap()));
    }

    #[test]
    fn allocation_skips_the_reserved_and_used_addresses() {
        let subnet = Prefix::parse("10.1.0.0/29").unwrap();
        assert_eq!(next_free(subnet, &[]), Some(0x0A01_0004));
        assert_eq!(next_free(subnet, &[0x0A01_0004]), Some(0x0A01_0005));
        // .4, .5 and .6 are the only usable ones in a /29: .7 is the broadcast address.
        assert_eq!(
            next_free(subnet, &[0x0A01_0004, 0x0A01_0005, 0x0A01_0006]),
            None
        );
    }
}

//! The sandbox's certificate authority and its server certificate.
//!
//! The CA is generated on first run and kept in the data directory, so a client that trusted it
//! once keeps working across restarts. The server certificate is issued anew at every start for
//! the loopback names; it never leaves memory.
//!
//! The CA is name-constrained to those loopback names (`localhost`, `127.0.0.1`, `::1`): a user
//! who trusts it, and anyone who ever reads its key from the data directory, can only vouch for
//! this machine's own addresses, never for a real Azure host. A CA from before the constraint
//! (an older data directory) is replaced by a constrained one at start.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};

use crate::store;

const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca.key";

/// The CA that signs the sandbox's server certificates.
pub struct Authority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    /// Where the CA certificate is kept, for clients to trust.
    pub cert_path: PathBuf,
}

/// A server certificate and its private key, both PEM.
pub struct ServerIdentity {
    /// Leaf certificate followed by the CA certificate.
    pub chain_pem: String,
    /// The leaf's private key.
    pub key_pem: String,
}

impl Authority {
    /// Loads the CA from `dir`, creating it on first run.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        let existing = if cert_path.exists() && key_path.exists() {
            let cert_pem = std::fs::read_to_string(&cert_path)
                .with_context(|| format!("reading {}", cert_path.display()))?;
            Some(cert_pem).filter(|pem| is_name_constrained(pem))
        } else {
            None
        };
        if existing.is_none() && cert_path.exists() {
            tracing::info!("replacing the sandbox CA with one constrained to loopback names");
        }
        if let Some(cert_pem) = existing {
            let key_pem = std::fs::read_to_string(&key_path)
                .with_context(|| format!("reading {}", key_path.display()))?;
            let key = KeyPair::from_pem(&key_pem).context("parsing the sandbox CA key")?;
            let issuer = Issuer::from_ca_cert_pem(&cert_pem, key)
                .context("parsing the sandbox CA certificate")?;
            return Ok(Self {
                cert_pem,
                issuer,
                cert_path,
            });
        }

        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "Safehold Sandbox");
        name.push(DnType::CommonName, "Safehold Sandbox Local CA");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.name_constraints = Some(loopback_only());
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
        let key = KeyPair::generate().context("generating the sandbox CA key")?;
        let cert = params.self_signed(&key).context("signing the sandbox CA")?;
        let cert_pem = cert.pem();
        store::write_private(&key_path, key.serialize_pem().as_bytes())?;
        store::write_public(&cert_path, cert_pem.as_bytes())?;
        Ok(Self {
            cert_pem,
            issuer: Issuer::new(params, key),
            cert_path,
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a certificate for the loopback names, valid for a week.
    pub fn issue_server_identity(&self) -> anyhow::Result<ServerIdentity> {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])
            .context("building the server certificate")?;
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "Safehold Sandbox");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(7);
        let key = KeyPair::generate().context("generating the server key")?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing the server certificate")?;
        Ok(ServerIdentity {
            chain_pem: format!("{}{}", cert.pem(), self.cert_pem),
            key_pem: key.serialize_pem(),
        })
    }
}

/// The names the CA may vouch for: the loopback names the sandbox serves, nothing else.
fn loopback_only() -> NameConstraints {
    let mut v6 = [0u8; 16];
    v6[15] = 1;
    NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".to_owned()),
            GeneralSubtree::IpAddress(CidrSubnet::V4([127, 0, 0, 1], [255; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6(v6, [255; 16])),
        ],
        excluded_subtrees: vec![],
    }
}

/// Whether the certificate (PEM) carries a name-constraints extension: its OID, 2.5.29.30, as
/// DER writes it. Only the sandbox's own CA is ever looked at, and it has no other extension
/// that could contain those bytes.
fn is_name_constrained(cert_pem: &str) -> bool {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    const NAME_CONSTRAINTS_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x1e];
    CertificateDer::from_pem_slice(cert_pem.as_bytes()).is_ok_and(|der| {
        der.windows(NAME_CONSTRAINTS_OID.len())
            .any(|w| w == NAME_CONSTRAINTS_OID)
    })
}

const CLIENT_CERTIFICATE_FILE: &str = "client-certificate.pem";

/// The certificate the sandbox's service principal may sign client assertions with: its
/// private key and self-signed certificate in one owner-only PEM file, the form the Azure SDKs
/// take for certificate credentials.
pub struct ClientCertificate {
    /// Where the PEM (key and certificate) is.
    pub path: PathBuf,
    /// The certificate's public key, PEM, to check assertions with.
    pub public_key_pem: String,
}

impl ClientCertificate {
    /// Loads the client certificate from `dir`, creating it on first run.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(CLIENT_CERTIFICATE_FILE);
        let pem = if path.exists() {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        } else {
            let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .context("generating the client certificate's key")?;
            let mut params = CertificateParams::default();
            params
                .distinguished_name
                .push(DnType::CommonName, crate::tenant::OPERATOR_NAME);
            params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
            params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(730);
            let cert = params
                .self_signed(&key)
                .context("signing the client certificate")?;
            let pem = format!("{}{}", key.serialize_pem(), cert.pem());
            store::write_private(&path, pem.as_bytes())?;
            pem
        };
        let key = KeyPair::from_pem(&pem).context("reading the client certificate's key")?;
        Ok(Self {
            path,
            public_key_pem: key.public_key_pem(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_survives_a_restart_and_keeps_signing() {
        let dir = tempfile::tempdir().unwrap();
        let first = Authority::load_or_create(dir.path()).unwrap();
        let second = Authority::load_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_pem(), second.cert_pem());
        let identity = second.issue_server_identity().unwrap();
        assert!(identity.chain_pem.ends_with(first.cert_pem()));
        assert!(identity.key_pem.contains("PRIVATE KEY"));
    }

    #[test]
    fn the_ca_is_constrained_to_loopback_names() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Authority::load_or_create(dir.path()).unwrap();
        assert!(is_name_constrained(ca.cert_pem()));
        let identity = ca.issue_server_identity().unwrap();
        let leaf = identity
            .chain_pem
            .split_inclusive("-----END CERTIFICATE-----\n")
            .next();
        assert!(!is_name_constrained(leaf.unwrap()));
    }

    #[test]
    fn an_unconstrained_ca_from_an_old_data_dir_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let old = params.self_signed(&key).unwrap().pem();
        store::write_private(
            &dir.path().join(CA_KEY_FILE),
            key.serialize_pem().as_bytes(),
        )
        .unwrap();
        store::write_public(&dir.path().join(CA_CERT_FILE), old.as_bytes()).unwrap();
        assert!(!is_name_constrained(&old));

        let ca = Authority::load_or_create(dir.path()).unwrap();
        assert_ne!(ca.cert_pem(), old);
        assert!(is_name_constrained(ca.cert_pem()));
        let on_disk = std::fs::read_to_string(dir.path().join(CA_CERT_FILE)).unwrap();
        assert_eq!(on_disk, ca.cert_pem());
    }

    #[cfg(unix)]
    #[test]
    fn the_ca_key_is_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        Authority::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

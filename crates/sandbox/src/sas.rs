//! User delegation keys and the shared access signatures (SAS) signed with them.
//!
//! A caller holding an Entra token for storage asks the Blob service for a user delegation
//! key, signs a SAS with it, and hands the URL to someone without a token (ARM fetching a
//! linked template, a browser). The sandbox keeps no keys: a delegation key's value is derived
//! from the installation secret and the key's own fields, so the SAS can be checked by
//! deriving it again. Storage accounts here have no account keys, so only user delegation
//! SASs exist.

use std::collections::HashMap;

use base64::Engine as _;
use hmac::Mac as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::token::TokenService;

/// A delegation key lives at most seven days, as on Azure.
pub const MAX_KEY_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// The fields a user delegation key is made of, as the service returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegationKey {
    /// Object id of the principal the key was issued to.
    pub oid: String,
    /// Its tenant.
    pub tid: String,
    /// Start of validity, seconds since the epoch.
    pub start: i64,
    /// End of validity, seconds since the epoch.
    pub expiry: i64,
    /// The service version the key was requested with.
    pub version: String,
}

impl DelegationKey {
    /// The key's secret value, base64, as the service returns it in `<Value>`.
    pub fn value(&self, tokens: &TokenService) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.raw(tokens))
    }

    fn raw(&self, tokens: &TokenService) -> [u8; 32] {
        tokens.derive_key(&format!(
            "user-delegation-key\n{}\n{}\n{}\n{}\n{}",
            self.oid.to_ascii_lowercase(),
            self.tid.to_ascii_lowercase(),
            self.start,
            self.expiry,
            self.version
        ))
    }
}

/// Formats seconds since the epoch the way the Blob service writes times (`2026-11-29T06:00:00Z`).
pub fn format_time(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses an ISO 8601 UTC time as SAS fields carry it.
pub fn parse_time(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// What a SAS grants, once its signature is checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Grant {
    /// The `sp` letters.
    pub permissions: String,
}

/// Why a SAS was refused: the `AuthenticationErrorDetail` of the service's 403.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Checks the SAS in `query` for reading `container`/`blob` of `account` at `now`.
pub fn verify(
    tokens: &TokenService,
    query: &HashMap<String, String>,
    account: &str,
    container: &str,
    blob: &str,
    now: i64,
) -> Result<Grant, Refusal> {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let refuse = |detail: String| Err(Refusal(detail));
    if field("sv").is_empty() {
        return refuse("sv is mandatory. Cannot be empty".to_owned());
    }
    if field("skoid").is_empty() {
        return refuse(
            "The sandbox's storage accounts have no account keys: sign the SAS with a user delegation key (skoid is missing)."
                .to_owned(),
        );
    }
    if !field("srh").is_empty() || !field("srq").is_empty() {
        return refuse(
            "Signed request headers and query parameters (srh, srq) are not supported by the sandbox."
                .to_owned(),
        );
    }
    let Some(expiry) = parse_time(field("se")) else {
        return refuse("se is mandatory and must be an ISO 8601 UTC time.".to_owned());
    };
    let start = match field("st") {
        "" => None,
        text => match parse_time(text) {
            Some(t) => Some(t),
            None => return refuse(format!("st '{text}' is not an ISO 8601 UTC time.")),
        },
    };
    if start.is_some_and(|s| s > now) || expiry < now {
        return refuse(format!(
            "Signature not valid in the specified time frame: Start [{}] - Expiry [{}] - Current [{}]",
            start.map(format_time).unwrap_or_default(),
            format_time(expiry),
            format_time(now)
        ));
    }
    let (Some(key_start), Some(key_expiry)) = (parse_time(field("skt")), parse_time(field("ske")))
    else {
        return refuse("skt and ske must be ISO 8601 UTC times.".to_owned());
    };
    if key_expiry < now || key_start > now {
        return refuse(
            "The user delegation key the SAS was signed with is not valid now.".to_owned(),
        );
    }
    let resource = match field("sr") {
        "b" => format!("/blob/{account}/{container}/{blob}"),
        "c" => format!("/blob/{account}/{container}"),
        other => return refuse(format!("sr '{other}' is not a blob or container resource.")),
    };
    let key = DelegationKey {
        oid: field("skoid").to_owned(),
        tid: field("sktid").to_owned(),
        start: key_start,
        expiry: key_expiry,
        version: field("skv").to_owned(),
    }
    .raw(tokens);
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(field("sig")) else {
        return refuse("sig is not base64.".to_owned());
    };
    // Two layouts of the string to sign are in use: the 2020-12-06 one, and the current one
    // with the delegated-user fields and signed request headers and query (empty here).
    let head = [
        field("sp"),
        field("st"),
        field("se"),
        &resource,
        field("skoid"),
        field("sktid"),
        field("skt"),
        field("ske"),
        field("sks"),
        field("skv"),
        field("saoid"),
        field("suoid"),
        field("scid"),
    ];
    let middle = [
        field("sip"),
        field("spr"),
        field("sv"),
        field("sr"),
        field("snapshot"),
        field("ses"),
    ];
    let tail = [
        field("rscc"),
        field("rscd"),
        field("rsce"),
        field("rscl"),
        field("rsct"),
    ];
    let classic: Vec<&str> = head.iter().chain(&middle).chain(&tail).copied().collect();
    let current: Vec<&str> = head
        .iter()
        .chain(&[field("skdutid"), field("sduoid")])
        .chain(&middle)
        .chain(&["", ""])
        .chain(&tail)
        .copied()
        .collect();
    let matches = |parts: &[&str]| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key)
            .expect("HMAC takes keys of any length");
        mac.update(parts.join("\n").as_bytes());
        mac.verify_slice(&signature).is_ok()
    };
    if !matches(&classic) && !matches(&current) {
        return refuse(format!(
            "Signature did not match. String to sign used was {}",
            current.join("\n")
        ));
    }
    Ok(Grant {
        permissions: field("sp").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> (tempfile::TempDir, TokenService) {
        let dir = tempfile::tempdir().unwrap();
        let tokens = TokenService::load_or_create(dir.path()).unwrap();
        (dir, tokens)
    }

    fn sign(key: &DelegationKey, tokens: &TokenService, query: &mut HashMap<String, String>) {
        let resource = "/blob/acct/cont/dir/blob.json";
        let f = |q: &HashMap<String, String>, n: &str| q.get(n).cloned().unwrap_or_default();
        let parts = [
            f(query, "sp"),
            f(query, "st"),
            f(query, "se"),
            resource.to_owned(),
            f(query, "skoid"),
            f(query, "sktid"),
            f(query, "skt"),
            f(query, "ske"),
            f(query, "sks"),
            f(query, "skv"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            f(query, "spr"),
            f(query, "sv"),
            f(query, "sr"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key.raw(tokens)).unwrap();
        mac.update(parts.join("\n").as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        query.insert("sig".into(), sig);
    }

    fn sas(now: i64, tokens: &TokenService) -> HashMap<String, String> {
        let key = DelegationKey {
            oid: "oid".into(),
            tid: "tid".into(),
            start: now - 60,
            expiry: now + 3600,
            version: "2020-12-06".into(),
        };
        let mut query: HashMap<String, String> = [
            ("sp", "r".to_owned()),
            ("se", format_time(now + 600)),
            ("skoid", key.oid.clone()),
            ("sktid", key.tid.clone()),
            ("skt", format_time(key.start)),
            ("ske", format_time(key.expiry)),
            ("sks", "b".to_owned()),
            ("skv", key.version.clone()),
            ("spr", "https".to_owned()),
            ("sv", "2020-12-06".to_owned()),
            ("sr", "b".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        sign(&key, tokens, &mut query);
        query
    }

    #[test]
    fn a_sas_signed_with_the_delegation_key_reads_its_blob_only() {
        let (_dir, tokens) = tokens();
        let now = 1_800_000_000;
        let query = sas(now, &tokens);
        assert!(verify(&tokens, &query, "acct", "cont", "dir/blob.json", now).is_ok());
        let other = verify(&tokens, &query, "acct", "cont", "other.json", now).unwrap_err();
        assert!(other.0.starts_with("Signature did not match"), "{other:?}");
    }

    #[test]
    fn a_tampered_or_expired_sas_is_refused() {
        let (_dir, tokens) = tokens();
        let now = 1_800_000_000;
        let mut query = sas(now, &tokens);
        query.insert("sp".into(), "rw".into());
        assert!(verify(&tokens, &query, "acct", "cont", "dir/blob.json", now).is_err());
        let query = sas(now, &tokens);
        let late = verify(&tokens, &query, "acct", "cont", "dir/blob.json", now + 601).unwrap_err();
        assert!(late.0.contains("time frame"), "{late:?}");
    }

    #[test]
    fn times_round_trip_in_the_services_format() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("2026-11-29T06:00:00Z"), Some(1_795_932_000));
        assert_eq!(parse_time("yesterday"), None);
    }
}

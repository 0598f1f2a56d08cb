//! The generic resources view: `GET {sub}/resources` and `GET {sub}/resourceGroups/{rg}/resources`
//! over everything the tenant holds, whatever its provider.
//!
//! Every tracked resource of a subscription is listed: VMs and their extensions, managed disks
//! (those of VMs and those restores made), key vaults, Recovery Services vaults, storage
//! accounts, network resources and classic VMs. Child resources that ARM does not track on their
//! own (subnets, security rules, backup items) are not.
//!
//! `$filter` is evaluated over the forms ARM documents: `eq`/`ne` on `resourceType`, `name`,
//! `location` and `resourceGroup`, `substringof('…', name|resourceGroup)`, `and`, `or` and
//! parentheses, and the tag forms (`tagName eq '…'` alone or with `and tagValue eq '…'`,
//! `startswith(tagName, '…')`), which stand alone as ARM requires. Anything else (identity, plan,
//! a tag filter mixed with others, a malformed expression) is refused with ARM's
//! `InvalidFilterInQueryString`, never answered with a list that might be wrong.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::arm::{ArmError, Page};
use crate::tenant::SubscriptionRecord;

/// One resource as the generic view sees it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub id: String,
    pub name: String,
    pub kind_of: &'static str,
    pub resource_group: String,
    pub location: String,
    pub tags: std::collections::BTreeMap<String, String>,
    /// `sku`, `kind`, `managedBy`, when the resource has them.
    pub extra: Map<String, Value>,
    /// Creation time (RFC 3339), when the tenant knows it.
    pub created: Option<String>,
    pub provisioning_state: &'static str,
}

impl Entry {
    pub(crate) fn new(
        sub: &SubscriptionRecord,
        resource_group: &str,
        kind_of: &'static str,
        name: &str,
        location: &str,
    ) -> Self {
        Self {
            id: format!(
                "/subscriptions/{}/resourceGroups/{resource_group}/providers/{kind_of}/{name}",
                sub.subscription_id
            ),
            name: name.to_owned(),
            kind_of,
            resource_group: resource_group.to_owned(),
            location: location.to_owned(),
            tags: Default::default(),
            extra: Map::new(),
            created: None,
            provisioning_state: "Succeeded",
        }
    }

    pub(crate) fn tagged(mut self, tags: &std::collections::BTreeMap<String, String>) -> Self {
        self.tags = tags.clone();
        self
    }

    pub(crate) fn created(mut self, created: &str) -> Self {
        self.created = (!created.is_empty()).then(|| created.to_owned());
        self
    }

    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }
}

/// Every resource of `sub`, in a stable order (by provider, then as the tenant keeps them).
pub(crate) fn entries(sub: &SubscriptionRecord) -> Vec<Entry> {
    let mut out = Vec::new();
    for vm in &sub.virtual_machines {
        let entry = Entry::new(
            sub,
            &vm.resource_group,
            "Microsoft.Compute/virtualMachines",
            &vm.name,
            &vm.location,
        )
        .tagged(&vm.tags)
        .created(&vm.created);
        let vm_id = entry.id.clone();
        out.push(entry);
        if let Some(extension) = crate::compute::ade_extension_name(vm) {
            let mut e = Entry::new(
                sub,
                &vm.resource_group,
                "Microsoft.Compute/virtualMachines/extensions",
                &format!("{}/{extension}", vm.name),
                &vm.location,
            )
            .created(&vm.created);
            e.id = format!("{vm_id}/extensions/{extension}");
            out.push(e);
        }
        for disk in std::iter::once(&vm.os_disk)
            .chain(&vm.data_disks)
            .filter(|d| d.vhd_uri.is_none())
        {
            out.push(
                Entry::new(
                    sub,
                    &vm.resource_group,
                    "Microsoft.Compute/disks",
                    &disk.name,
                    &vm.location,
                )
                .created(&vm.created)
                .with("managedBy", json!(vm_id))
                .with("sku", json!({ "name": "Premium_LRS", "tier": "Premium" })),
            );
        }
    }
    let now = crate::token::now();
    for disk in sub.restored_disks.iter().filter(|d| d.available_at <= now) {
        out.push(
            Entry::new(
                sub,
                &disk.resource_group,
                "Microsoft.Compute/disks",
                &disk.name,
                &disk.location,
            )
            .created(&crate::recovery_services::rfc3339(disk.available_at))
            .with("sku", json!({ "name": "Premium_LRS", "tier": "Premium" })),
        );
    }
    for kv in sub.key_vaults.iter().filter(|kv| !kv.deleted) {
        out.push(
            Entry::new(
                sub,
                &kv.resource_group,
                "Microsoft.KeyVault/vaults",
                &kv.name,
                &kv.location,
            )
            .created(&kv.created),
        );
    }
    for vault in &sub.recovery_vaults {
        out.push(
            Entry::new(
                sub,
                &vault.resource_group,
                "Microsoft.RecoveryServices/vaults",
                &vault.name,
                &vault.location,
            )
            .tagged(&vault.tags)
            .created(&vault.created)
            .with("sku", json!({ "name": "RS0", "tier": "Standard" })),
        );
    }
    for account in &sub.storage_accounts {
        let mut e = Entry::new(
            sub,
            &account.resource_group,
            "Microsoft.Storage/storageAccounts",
            &account.name,
            &account.location,
        )
        .tagged(&account.tags)
        .created(&account.created)
        .with("kind", json!(account.kind))
        .with(
            "sku",
            json!({ "name": account.sku, "tier": account.sku_tier() }),
        );
        if account.ready_at > now {
            e.provisioning_state = "Creating";
        }
        out.push(e);
    }
    for vm in &sub.classic_virtual_machines {
        out.push(Entry::new(
            sub,
            &vm.resource_group,
            "Microsoft.ClassicCompute/virtualMachines",
            &vm.name,
            &vm.location,
        ));
    }
    out
}

/// The `$expand` of a resources list: which of the three extra properties to add.
#[derive(Clone, Copy, Debug, Default)]
struct Expand {
    created: bool,
    changed: bool,
    provisioning: bool,
}

impl Expand {
    fn parse(value: Option<&str>) -> Result<Self, ArmError> {
        let mut expand = Self::default();
        for part in value
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.to_ascii_lowercase().as_str() {
                "createdtime" => expand.created = true,
                "changedtime" => expand.changed = true,
                "provisioningstate" => expand.provisioning = true,
                _ => {
                    // The code is the sandbox's choice: ARM's answer to an unknown `$expand`
                    // value on this list is not documented.
                    return Err(ArmError::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidQueryParameterValue",
                        format!(
                            "'{part}' cannot be expanded here. Valid values: createdTime, changedTime, provisioningState."
                        ),
                    ));
                }
            }
        }
        Ok(expand)
    }
}

fn render(entry: &Entry, expand: Expand, show_tags: bool) -> Value {
    let mut value = json!({
        "id": entry.id,
        "name": entry.name,
        "type": entry.kind_of,
        "location": entry.location,
    });
    if show_tags && !entry.tags.is_empty() {
        value["tags"] = json!(entry.tags);
    }
    for (key, extra) in &entry.extra {
        value[key] = extra.clone();
    }
    if let Some(created) = &entry.created {
        if expand.created {
            value["createdTime"] = json!(created);
        }
        // The tenant keeps no change history: a resource last changed when it was made.
        if expand.changed {
            value["changedTime"] = json!(created);
        }
    }
    if expand.provisioning {
        value["provisioningState"] = json!(entry.provisioning_state);
    }
    value
}

/// A resources list request: its scope and query.
pub(crate) struct ListRequest<'a> {
    pub resource_group: Option<&'a str>,
    pub filter: Option<&'a str>,
    pub expand: Option<&'a str>,
    pub page: Page,
    /// The list's URL with its api-version and every query parameter the nextLink must keep.
    pub base: &'a str,
}

/// `GET {sub}[/resourceGroups/{rg}]/resources`
pub(crate) fn list(sub: &SubscriptionRecord, request: &ListRequest<'_>) -> Result<Value, ArmError> {
    let filter = request.filter.map(Filter::parse).transpose()?;
    let expand = Expand::parse(request.expand)?;
    if let Some(rg) = request.resource_group
        && !sub
            .resource_groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    // ARM leaves the tags out when the filter is on a tag's name and value.
    let show_tags = !filter.as_ref().is_some_and(Filter::is_tag_pair);
    let mut all = entries(sub);
    all.extend(crate::network::entries(sub));
    let matching = all.into_iter().filter(|e| {
        request
            .resource_group
            .is_none_or(|rg| e.resource_group.eq_ignore_ascii_case(rg))
            && filter.as_ref().is_none_or(|f| f.matches(e))
    });
    Ok(request
        .page
        .render(matching, |e| render(&e, expand, show_tags), request.base))
}

/// A parsed `$filter`.
#[derive(Debug)]
enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Compare {
        property: Property,
        negated: bool,
        value: String,
    },
    Substring {
        property: Property,
        value: String,
    },
    TagName(String),
    TagValue(String),
    TagPair(String, String),
    TagPrefix(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Property {
    ResourceType,
    Name,
    Location,
    ResourceGroup,
}

impl Property {
    fn of(self, e: &Entry) -> &str {
        match self {
            Self::ResourceType => e.kind_of,
            Self::Name => &e.name,
            Self::Location => &e.location,
            Self::ResourceGroup => &e.resource_group,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn invalid(filter: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidFilterInQueryString",
        format!(
            "Invalid $filter '{filter}' specified in the query string. The sandbox evaluates eq/ne on resourceType, name, location and resourceGroup, substringof() on name and resourceGroup, and/or, and tagName/tagValue on their own."
        ),
    )
}

fn tokens(filter: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = filter.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            ',' => {
                chars.next();
                out.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next()? {
                        // OData doubles a quote inside a string.
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        '\'' => break,
                        other => text.push(other),
                    }
                }
                out.push(Token::Text(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '.' {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if word.is_empty() {
                    return None;
                }
                out.push(Token::Word(word));
            }
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, token: &Token) -> Option<()> {
        (self.next()? == *token).then_some(())
    }

    fn text(&mut self) -> Option<String> {
        match self.next()? {
            Token::Text(t) => Some(t),
            _ => None,
        }
    }

    fn word(&mut self) -> Option<String> {
        match self.next()? {
            Token::Word(w) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self) -> Option<Filter> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Filter> {
        let mut left = self.atom()?;
        while self.peek_word("and") {
            self.at += 1;
            let right = self.atom()?;
            left = match (left, right) {
                (Filter::TagName(name), Filter::TagValue(value)) => Filter::TagPair(name, value),
                (l, r) => Filter::And(Box::new(l), Box::new(r)),
            };
        }
        Some(left)
    }

    fn atom(&mut self) -> Option<Filter> {
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            self.expect(&Token::Close)?;
            return Some(inner);
        }
        let word = self.word()?;
        let lower = word.to_ascii_lowercase();
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            return match lower.as_str() {
                "substringof" => {
                    let value = self.text()?;
                    self.expect(&Token::Comma)?;
                    let property = property(&self.word()?)?;
                    self.expect(&Token::Close)?;
                    matches!(property, Property::Name | Property::ResourceGroup)
                        .then_some(Filter::Substring { property, value })
                }
                "startswith" => {
                    let subject = self.word()?;
                    self.expect(&Token::Comma)?;
                    let value = self.text()?;
                    self.expect(&Token::Close)?;
                    subject
                        .eq_ignore_ascii_case("tagName")
                        .then_some(Filter::TagPrefix(value))
                }
                _ => None,
            };
        }
        let operator = self.word()?.to_ascii_lowercase();
        let negated = match operator.as_str() {
            "eq" => false,
            "ne" => true,
            _ => return None,
        };
        let value = self.text()?;
        match lower.as_str() {
            "tagname" if !negated => Some(Filter::TagName(value)),
            "tagvalue" if !negated => Some(Filter::TagValue(value)),
            _ => Some(Filter::Compare {
                property: property(&word)?,
                negated,
                value,
            }),
        }
    }
}

fn property(word: &str) -> Option<Property> {
    match word.to_ascii_lowercase().as_str() {
        "resourcetype" => Some(Property::ResourceType),
        "name" => Some(Property::Name),
        "location" => Some(Property::Location),
        "resourcegroup" => Some(Property::ResourceGroup),
        _ => None,
    }
}

impl Filter {
    fn parse(text: &str) -> Result<Self, ArmError> {
        let parsed = tokens(text).and_then(|tokens| {
            let mut parser = Parser { tokens, at: 0 };
            let filter = parser.or()?;
            (parser.at == parser.tokens.len()).then_some(filter)
        });
        match parsed {
            // Tag filters cannot be combined with anything else; a lone tagValue means nothing.
            Some(f) if f.is_valid_shape() => Ok(f),
            _ => Err(invalid(text)),
        }
    }

    fn has_tags(&self) -> bool {
        match self {
            Self::And(l, r) | Self::Or(l, r) => l.has_tags() || r.has_tags(),
            Self::Compare { .. } | Self::Substring { .. } => false,
            Self::TagName(_) | Self::TagPair(..) | Self::TagPrefix(_) | Self::TagValue(_) => true,
        }
    }

    fn is_valid_shape(&self) -> bool {
        match self {
            Self::TagName(_) | Self::TagPair(..) | Self::TagPrefix(_) => true,
            Self::TagValue(_) => false,
            other => !other.has_tags(),
        }
    }

    fn is_tag_pair(&self) -> bool {
        matches!(self, Self::TagPair(..))
    }

    fn matches(&self, e: &Entry) -> bool {
        match self {
            Self::And(l, r) => l.matches(e) && r.matches(e),
            Self::Or(l, r) => l.matches(e) || r.matches(e),
            Self::Compare {
                property,
                negated,
                value,
            } => property.of(e).eq_ignore_ascii_case(value) != *negated,
            Self::Substring { property, value } => property
                .of(e)
                .to_ascii_lowercase()
                .contains(&value.to_ascii_lowercase()),
            Self::TagName(name) => e.tags.keys().any(|k| k.eq_ignore_ascii_case(name)),
            Self::TagPair(name, value) => e
                .tags
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case(value)),
            Self::TagPrefix(prefix) => e.tags.keys().any(|k| {
                k.to_ascii_lowercase()
                    .starts_with(&prefix.to_ascii_lowercase())
            }),
            Self::TagValue(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind_of: &'static str, name: &str, rg: &str, tags: &[(&str, &str)]) -> Entry {
        Entry {
            id: String::new(),
            name: name.to_owned(),
            kind_of,
            resource_group: rg.to_owned(),
            location: "japaneast".to_owned(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            extra: Map::new(),
            created: None,
            provisioning_state: "Succeeded",
        }
    }

    fn matches(filter: &str, e: &Entry) -> bool {
        Filter::parse(filter).unwrap().matches(e)
    }

    #[test]
    fn the_forms_the_cli_and_sdks_send_are_evaluated() {
        let kv = entry(
            "Microsoft.KeyVault/vaults",
            "kv-prod-jpe-ade",
            "rg-sec",
            &[],
        );
        assert!(matches(
            "resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'KV-PROD-JPE-ADE'",
            &kv
        ));
        assert!(!matches(
            "resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'kv-other'",
            &kv
        ));
        assert!(matches("substringof('prod', name)", &kv));
        assert!(matches(
            "(substringof('x', name) or substringof('sec', resourceGroup)) and location eq 'japaneast'",
            &kv
        ));
        assert!(matches("resourceGroup ne 'rg-other'", &kv));
        assert!(!matches("resourceType ne 'Microsoft.KeyVault/vaults'", &kv));
    }

    #[test]
    fn tag_filters_match_names_values_and_prefixes() {
        let vm = entry(
            "Microsoft.Compute/virtualMachines",
            "vm",
            "rg",
            &[("department", "finance")],
        );
        assert!(matches("tagName eq 'department'", &vm));
        assert!(matches(
            "tagName eq 'department' and tagValue eq 'finance'",
            &vm
        ));
        assert!(!matches(
            "tagName eq 'department' and tagValue eq 'hr'",
            &vm
        ));
        assert!(matches("startswith(tagName, 'depart')", &vm));
    }

    #[test]
    fn filters_the_sandbox_cannot_evaluate_are_refused() {
        for filter in [
            "identity eq 'SystemAssigned'",
            "plan/publisher eq 'x'",
            "tagValue eq 'finance'",
            "tagName eq 'a' and resourceType eq 'Microsoft.Compute/disks'",
            "name eq",
            "name eq 'unterminated",
            "name gt 'a'",
            "substringof('a', location)",
            "(name eq 'a'",
            "name eq 'a' name eq 'b'",
        ] {
            let error = Filter::parse(filter).unwrap_err();
            assert!(
                format!("{error:?}").contains("InvalidFilterInQueryString"),
                "{filter}"
            );
        }
    }

    #[test]
    fn quotes_inside_a_value_are_doubled() {
        let e = entry("Microsoft.Compute/disks", "o'brien", "rg", &[]);
        assert!(matches("name eq 'o''brien'", &e));
    }
}

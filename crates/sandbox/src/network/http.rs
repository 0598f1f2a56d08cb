//! The HTTP handlers under `.../providers/Microsoft.Network/`.

use super::*;
use crate::tenant::Tenant;

/// A request under `.../providers/Microsoft.Network/`.
pub(crate) struct NetworkRequest<'a> {
    pub method: &'a Method,
    pub subscription: &'a str,
    pub resource_group: Option<&'a str>,
    /// The segments after `providers/Microsoft.Network` (original casing).
    pub rest: &'a [&'a str],
    /// The same, lower-cased.
    pub lower: &'a [&'a str],
    pub api_version: &'a str,
    pub body: &'a [u8],
    pub page: Page,
    /// The list URL with its api-version, for nextLinks.
    pub base: &'a str,
}

impl NetworkRequest<'_> {
    /// The request's subscription.
    fn subscription_in<'t>(&self, tenant: &'t Tenant) -> Result<&'t SubscriptionRecord, ArmError> {
        tenant
            .subscription(self.subscription)
            .ok_or_else(|| subscription_not_found(self.subscription))
    }

    /// The request's subscription, to change.
    fn subscription_in_mut<'t>(
        &self,
        tenant: &'t mut Tenant,
    ) -> Result<&'t mut SubscriptionRecord, ArmError> {
        tenant
            .subscription_mut(self.subscription)
            .ok_or_else(|| subscription_not_found(self.subscription))
    }
}

pub(super) fn operation_urls(
    state: &Shared,
    subscription: &str,
    location: &str,
    api_version: &str,
) -> (String, String) {
    let operation = uuid::Uuid::new_v4();
    let prefix = format!(
        "{}/subscriptions/{subscription}/providers/Microsoft.Network/locations/{location}",
        state.arm_endpoint
    );
    (
        format!("{prefix}/operations/{operation}?api-version={api_version}"),
        format!("{prefix}/operationResults/{operation}?api-version={api_version}"),
    )
}

pub(super) fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

pub(super) fn parse_body(body: &[u8]) -> Result<Value, ArmError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "InvalidRequestFormat",
            format!("Cannot parse the request: {e}."),
        )
    })
}

/// Handles the request, or `None` when no route matches.
pub(crate) fn dispatch(
    state: &Shared,
    r: &NetworkRequest<'_>,
) -> Option<Result<Response, ArmError>> {
    let method = r.method;
    let result = match (r.resource_group, r.lower) {
        (None, ["locations", _, "operations", _]) if method == Method::GET => {
            Ok(Json(json!({ "status": "Succeeded" })).into_response())
        }
        (None, ["locations", _, "operationresults", _]) if method == Method::GET => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (rg, [kind]) if method == Method::GET => {
            let kind = Kind::from_segment(kind)?;
            let tenant = state.tenant();
            r.subscription_in(&tenant).and_then(|sub| {
                if let Some(rg) = rg {
                    sub.require_group(rg)?;
                }
                Ok(Json(render_list(sub, kind, rg, r.page, r.base)).into_response())
            })
        }
        (Some(rg), [kind, _]) => {
            let kind = Kind::from_segment(kind)?;
            resource(state, r, kind, rg, r.rest[1])
        }
        (Some(rg), ["virtualnetworks", _, "subnets"]) if method == Method::GET => {
            let tenant = state.tenant();
            r.subscription_in(&tenant).and_then(|sub| {
                let v = find::<VirtualNetworkRecord>(&sub.network, rg, r.rest[1])
                    .ok_or_else(|| not_found(Kind::VirtualNetwork, r.rest[1], rg))?;
                Ok(Json(
                    r.page
                        .render(&v.subnets, |s| subnet_json(sub, v, s), r.base),
                )
                .into_response())
            })
        }
        (Some(rg), ["virtualnetworks", _, "subnets", _]) => {
            subnet(state, r, rg, r.rest[1], r.rest[3])
        }
        _ => return None,
    };
    Some(result)
}

pub(super) fn resource(
    state: &Shared,
    r: &NetworkRequest<'_>,
    kind: Kind,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    match *r.method {
        Method::GET => {
            let tenant = state.tenant();
            let sub = r.subscription_in(&tenant)?;
            render_one(sub, kind, rg, name)
                .map(|v| Json(v).into_response())
                .ok_or_else(|| not_found(kind, name, rg))
        }
        Method::PUT => {
            let body = parse_body(r.body)?;
            let mut tenant = state.tenant_mut();
            let sub = r.subscription_in_mut(&mut tenant)?;
            let created = put_resource(sub, kind, rg, name, &body)?;
            let value = render_one(sub, kind, rg, name).unwrap_or_default();
            let location = value["location"].as_str().unwrap_or_default().to_owned();
            state.persist(&tenant)?;
            drop(tenant);
            Ok(put_response(state, r, created, value, &location))
        }
        Method::PATCH => {
            // UpdateTags: only the tags change.
            let body = parse_body(r.body)?;
            let tags = body_tags(&body);
            let mut tenant = state.tenant_mut();
            let sub = r.subscription_in_mut(&mut tenant)?;
            let n = &mut sub.network;
            let found = match kind {
                Kind::VirtualNetwork => set_tags::<VirtualNetworkRecord>(n, rg, name, tags),
                Kind::NetworkInterface => set_tags::<NetworkInterfaceRecord>(n, rg, name, tags),
                Kind::PublicIp => set_tags::<PublicIpRecord>(n, rg, name, tags),
                Kind::SecurityGroup => set_tags::<SecurityGroupRecord>(n, rg, name, tags),
            };
            if !found {
                return Err(not_found(kind, name, rg));
            }
            let value = render_one(sub, kind, rg, name).unwrap_or_default();
            state.persist(&tenant)?;
            Ok(Json(value).into_response())
        }
        Method::DELETE => {
            let mut tenant = state.tenant_mut();
            let sub = r.subscription_in_mut(&mut tenant)?;
            let location = render_one(sub, kind, rg, name)
                .and_then(|v| v["location"].as_str().map(str::to_owned));
            let deleted = delete_resource(sub, kind, rg, name)?;
            state.persist(&tenant)?;
            drop(tenant);
            Ok(deleted_response(state, r, deleted, location.as_deref()))
        }
        _ => Err(crate::arm::method_not_allowed(r.method)),
    }
}

/// A PUT's answer: 201 or 200 with the resource, and where its operation's status is.
pub(super) fn put_response(
    state: &Shared,
    r: &NetworkRequest<'_>,
    created: bool,
    value: Value,
    location: &str,
) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let (operation, _) = operation_urls(state, r.subscription, location, r.api_version);
    with_header(
        (status, Json(value)).into_response(),
        "azure-asyncoperation",
        &operation,
    )
}

pub(super) fn deleted_response(
    state: &Shared,
    r: &NetworkRequest<'_>,
    deleted: bool,
    location: Option<&str>,
) -> Response {
    if !deleted {
        return StatusCode::NO_CONTENT.into_response();
    }
    let (operation, result) = operation_urls(
        state,
        r.subscription,
        location.unwrap_or("global"),
        r.api_version,
    );
    let response = crate::recovery_services::accepted(state, Some(&result), Some(&operation));
    with_header(response, "content-length", "0")
}

pub(super) fn subnet(
    state: &Shared,
    r: &NetworkRequest<'_>,
    rg: &str,
    vnet: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let render = |sub: &SubscriptionRecord| {
        find::<VirtualNetworkRecord>(&sub.network, rg, vnet).and_then(|v| {
            v.subnets
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
                .map(|s| (subnet_json(sub, v, s), v.location.clone()))
        })
    };
    let subnet_missing = || {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "There is no subnet /subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}.",
                r.subscription
            ),
        )
    };
    match *r.method {
        Method::GET => {
            let tenant = state.tenant();
            let sub = r.subscription_in(&tenant)?;
            render(sub)
                .map(|(v, _)| Json(v).into_response())
                .ok_or_else(subnet_missing)
        }
        Method::PUT => {
            let body = parse_body(r.body)?;
            let mut tenant = state.tenant_mut();
            let sub = r.subscription_in_mut(&mut tenant)?;
            sub.require_group(rg)?;
            let created = put_subnet(sub, rg, vnet, name, &body)?;
            let (value, location) = render(sub).unwrap_or_default();
            state.persist(&tenant)?;
            drop(tenant);
            Ok(put_response(state, r, created, value, &location))
        }
        Method::DELETE => {
            let mut tenant = state.tenant_mut();
            let sub = r.subscription_in_mut(&mut tenant)?;
            let location = render(sub).map(|(_, l)| l);
            let deleted = delete_subnet(sub, rg, vnet, name)?;
            state.persist(&tenant)?;
            drop(tenant);
            Ok(deleted_response(state, r, deleted, location.as_deref()))
        }
        _ => Err(crate::arm::method_not_allowed(r.method)),
    }
}

//! The rules over our model. Every broken rule is one error at the token to change; all of
//! them are reported in one compile.

use std::collections::HashMap;

use syn::LitStr;

use crate::ast::{Field, ValueKind};
use crate::attr::ApiAttr;
use crate::errors::Errors;
use crate::scheme::Scheme;

const MIDAS_PREFIX: &str = "/cgi-bin/midas/";

/// Checks the keys that only some schemes take, and the path of a body-signed scheme (one path
/// for both environments, under the scheme's prefix).
pub(crate) fn scheme_keys(attr: &ApiAttr, scheme: Scheme, errors: &mut Errors) {
    if scheme.signs_the_body() {
        if let Some(sandbox) = &attr.sandbox_path {
            errors.spanned(
                sandbox,
                format!("{} has no sandbox path: the body field `env` picks the environment (and the key); remove `sandbox_path`", scheme.name()),
            );
        }
        if let Some(path) = &attr.path {
            check_path(path, "path", errors);
            if !path.value().starts_with(scheme.prefix()) {
                errors.spanned(
                    path,
                    format!(
                        "{} paths are under `{}`, e.g. \"{}pay\"",
                        scheme.name(),
                        scheme.prefix(),
                        scheme.prefix()
                    ),
                );
            }
        }
    } else {
        for (key, given) in
            [("user_signature", attr.user_signature.as_ref()), ("openid", attr.openid.as_ref())]
        {
            if let Some(given) = given {
                errors.spanned(
                    given,
                    format!("`{key}` applies to the body-signed schemes (\"v2\", \"xpay\"); Midas 1.0 sends `mp_sig` whenever the player's session key is set"),
                );
            }
        }
        if let Some(given) = &attr.require_user_ip {
            errors.spanned(
                given,
                "`require_user_ip` applies to the body-signed schemes (\"v2\", \"xpay\"); Midas 1.0 documents `user_ip` as optional and sends it whenever the player has one",
            );
        }
    }
}

/// Checks `path` and returns the sandbox path (given or derived).
pub(crate) fn paths(path: &LitStr, sandbox_path: Option<&LitStr>, errors: &mut Errors) -> (String, String) {
    let production = path.value();
    check_path(path, "path", errors);
    let sandbox = match sandbox_path {
        Some(sandbox) => {
            check_path(sandbox, "sandbox_path", errors);
            sandbox.value()
        }
        None => match production.strip_prefix(MIDAS_PREFIX) {
            Some(rest) if rest.starts_with("sandbox/") => {
                errors.spanned(
                    path,
                    format!("`path` is the production path, and `{production}` is a sandbox path; write `path = \"{MIDAS_PREFIX}{}\"`", &rest["sandbox/".len()..]),
                );
                String::new()
            }
            Some(rest) => format!("{MIDAS_PREFIX}sandbox/{rest}"),
            None => {
                if production.starts_with('/') {
                    errors.spanned(
                        path,
                        format!("cannot derive a sandbox path from `{production}` (it is not under `{MIDAS_PREFIX}`); add `sandbox_path = \"..\"`"),
                    );
                }
                String::new()
            }
        },
    };
    (production, sandbox)
}

fn check_path(lit: &LitStr, key: &str, errors: &mut Errors) {
    let value = lit.value();
    if !value.starts_with('/') {
        errors.spanned(
            lit,
            format!("`{key}` must be an absolute path starting with `/`, e.g. \"/cgi-bin/midas/present\""),
        );
    } else if value.len() < 2
        || value.ends_with('/')
        || value.bytes().any(|b| !(b.is_ascii_alphanumeric() || b"/_-.".contains(&b)))
    {
        errors.spanned(
            lit,
            format!("`{key}` must be a plain path of `[A-Za-z0-9/_.-]` without a trailing `/` or a query"),
        );
    }
}

/// Checks every field: wire names, reserved names, duplicates, types, rule attributes and the
/// idempotency key.
pub(crate) fn fields(fields: &[Field<'_>], scheme: Scheme, errors: &mut Errors) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in fields {
        wire_name(field, scheme, errors);
        if let Some(first) = seen.get(field.wire.as_str()) {
            errors.at(
                field.wire_span,
                format!(
                    "two fields are sent as `{}` (`{}` and `{}`); give one a different #[midas(rename = \"..\")]",
                    field.wire, first.ident, field.ident
                ),
            );
        } else {
            seen.insert(&field.wire, field);
        }
        value_type(field, scheme, errors);
    }
    idempotency_key(fields, errors);
}

/// The idempotency key kept across retries: the field marked `#[midas(key)]`, or else the only
/// `#[midas(bill_no)]` field.
pub(crate) fn key_field<'f, 'a>(fields: &'f [Field<'a>]) -> Option<&'f Field<'a>> {
    fields.iter().find(|field| field.attr.key.is_some()).or_else(|| {
        let mut bill_nos = fields.iter().filter(|field| field.attr.bill_no.is_some());
        match (bill_nos.next(), bill_nos.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    })
}

fn idempotency_key(fields: &[Field<'_>], errors: &mut Errors) {
    let mut keys = fields.iter().filter_map(|field| field.attr.key.map(|span| (field, span)));
    if let Some((first, _)) = keys.next() {
        for (_, span) in keys {
            errors.at(
                span,
                format!(
                    "a request has one idempotency key, and it is already `{}`; remove this #[midas(key)]",
                    first.ident
                ),
            );
        }
        if first.kind == ValueKind::Integer {
            if let Some(span) = first.attr.key {
                errors.at(
                    span,
                    format!(
                        "#[midas(key)] marks the order id kept across retries, a `String`, but `{}` is `{}`",
                        first.ident,
                        first.type_name()
                    ),
                );
            }
        }
        return;
    }
    let mut bill_nos = fields.iter().filter(|field| field.attr.bill_no.is_some());
    if let (Some(first), Some(second)) = (bill_nos.next(), bill_nos.next()) {
        if let Some(span) = second.attr.bill_no {
            errors.at(
                span,
                format!("`{}` and `{}` are both bill numbers; mark the one kept across retries (this call's own order id) with #[midas(bill_no, key)]", first.ident, second.ident),
            );
        }
    }
}

fn wire_name(field: &Field<'_>, scheme: Scheme, errors: &mut Errors) {
    let wire = field.wire.as_str();
    let via = if field.renamed { format!("this field is renamed to `{wire}`, but ") } else { String::new() };
    if wire.is_empty() {
        errors.at(field.wire_span, "`rename` is empty; write the name Midas expects, in `[a-z0-9_]`");
    } else if !wire.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        let suggestion = snake_case(wire);
        let example = if suggestion.is_empty() { "snake_case_name" } else { &suggestion };
        let message = if field.renamed {
            format!(
                "wire name `{wire}` is not a Midas name: write it in `[a-z0-9_]`, e.g. `rename = \"{example}\"`"
            )
        } else {
            format!(
                "wire name `{wire}` is not a Midas name: name the field in `[a-z0-9_]`, e.g. `{example}`, or add #[midas(rename = \"{example}\")]"
            )
        };
        errors.at(field.wire_span, message);
    } else if scheme.in_envelope(wire) {
        let every = if scheme == Scheme::V1 {
            "every Midas request".to_owned()
        } else {
            format!("every {} request", scheme.name())
        };
        errors.at(
            field.wire_span,
            format!("{via}`{wire}` is part of {every} and is filled in by the client; remove this field"),
        );
    } else if scheme.computed().contains(&wire) {
        errors.at(
            field.wire_span,
            format!("{via}`{wire}` is computed by the client when it signs; remove this field"),
        );
    } else if wire == "access_token" {
        errors.at(
            field.wire_span,
            format!("{via}`access_token` is sent in the query string by the client, never in the body; remove this field"),
        );
    }
}

/// The nearest valid wire name, for messages: `billNo` and `bill-no` become `bill_no`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else if ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        previous_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    }
    out.trim_end_matches('_').to_owned()
}

fn value_type(field: &Field<'_>, scheme: Scheme, errors: &mut Errors) {
    let name = field.ident;
    if matches!(field.kind, ValueKind::Bool | ValueKind::Json) {
        let what = if field.kind == ValueKind::Bool { "a `bool`" } else { "a `#[midas(json)]` value" };
        if !scheme.signs_the_body() {
            let span = field.attr.json.unwrap_or_else(|| field.type_span());
            errors.at(
                span,
                format!("`{name}` cannot be {what} in Midas 1.0: its signature covers text and integers only; use `String` or an integer type"),
            );
        }
        for (span, rule) in [
            (field.attr.bill_no, "bill_no"),
            (field.attr.non_zero, "non_zero"),
            (field.attr.positive, "positive"),
            (field.attr.key, "key"),
        ] {
            if let Some(span) = span {
                errors.at(span, format!("#[midas({rule})] cannot apply to `{name}`, {what}; remove it"));
            }
        }
        return;
    }
    match field.kind {
        // Already reported by the rule against generic requests.
        ValueKind::TypeParameter => {}
        ValueKind::Unsupported => errors.at(
            field.type_span(),
            format!("`{name}` cannot be signed: Midas signs text and integers; use `String`, an integer type (`i8`..`i64`, `u8`..`u64`) or an `Option` of one (Midas 2.0 and xpay also take `bool`, and any `serde::Serialize` value marked #[midas(json)])"),
        ),
        ValueKind::Bool | ValueKind::Json => {}
        ValueKind::Text => {
            for (span, rule) in [(field.attr.non_zero, "non_zero"), (field.attr.positive, "positive")] {
                if let Some(span) = span {
                    errors.at(
                        span,
                        format!("#[midas({rule})] checks a number, but `{name}` is `{}`; remove it or use an integer type", field.type_name()),
                    );
                }
            }
        }
        ValueKind::Integer => {
            if let Some(span) = field.attr.bill_no {
                errors.at(
                    span,
                    format!("#[midas(bill_no)] checks text, but `{name}` is `{}`; a bill number is a `String` (or an `Option<String>`)", field.type_name()),
                );
            }
        }
    }
}

//! The rules over our model. Every broken rule is one error at the token to change; all of
//! them are reported in one compile.

use std::collections::HashMap;

use quote::ToTokens;
use syn::LitStr;

use crate::ast::{Field, ValueKind};

/// Collects errors so one compile shows every mistake.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The common parameters the client fills in, and the names it adds while signing.
const ENVELOPE: [&str; 7] = ["appid", "offer_id", "openid", "pf", "ts", "user_ip", "zone_id"];

const MIDAS_PREFIX: &str = "/cgi-bin/midas/";

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
            Some(rest) if !rest.starts_with("sandbox/") => format!("{MIDAS_PREFIX}sandbox/{rest}"),
            _ => {
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
        errors.spanned(lit, format!("`{key}` must be an absolute path starting with `/`, e.g. \"/cgi-bin/midas/present\""));
    } else if value.len() < 2 || value.ends_with('/') || value.bytes().any(|b| !(b.is_ascii_alphanumeric() || b"/_-.".contains(&b))) {
        errors.spanned(lit, format!("`{key}` must be a plain path of `[A-Za-z0-9/_.-]` without a trailing `/` or a query"));
    }
}

/// Checks every field: wire names, reserved names, duplicates, types, and rule attributes.
pub(crate) fn fields(fields: &[Field<'_>], errors: &mut Errors) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in fields {
        wire_name(field, errors);
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
        value_type(field, errors);
    }
}

fn wire_name(field: &Field<'_>, errors: &mut Errors) {
    let wire = field.wire.as_str();
    let via = if field.renamed { format!("this field is renamed to `{wire}`, but ") } else { String::new() };
    if wire.is_empty() || !wire.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        errors.at(
            field.wire_span,
            format!("{via}wire name `{wire}` must be non-empty `[a-z0-9_]`; use #[midas(rename = \"snake_case_name\")]"),
        );
    } else if ENVELOPE.contains(&wire) {
        errors.at(
            field.wire_span,
            format!("{via}`{wire}` is part of every Midas request and is filled in by the client; remove this field"),
        );
    } else if matches!(wire, "sig" | "mp_sig") {
        errors.at(field.wire_span, format!("{via}`{wire}` is computed by the client when it signs; remove this field"));
    } else if wire == "access_token" {
        errors.at(
            field.wire_span,
            format!("{via}`access_token` is sent in the query string by the client, never in the body; remove this field"),
        );
    }
}

fn value_type(field: &Field<'_>, errors: &mut Errors) {
    let shown = field.value_ty.to_token_stream().to_string();
    match field.kind {
        ValueKind::Unsupported => errors.at(
            field.type_span(),
            format!("`{shown}` cannot be signed: Midas signs text and integers; use `String`, an integer type (`i8`..`i64`, `u8`..`u64`) or an `Option` of one"),
        ),
        ValueKind::Text => {
            for (span, name) in [(field.attr.non_zero, "non_zero"), (field.attr.positive, "positive")] {
                if let Some(span) = span {
                    errors.at(span, format!("`{name}` checks a number, but `{}` is `{shown}`; remove it or use an integer type", field.ident));
                }
            }
        }
        ValueKind::Integer => {
            if let Some(span) = field.attr.bill_no {
                errors.at(span, format!("`bill_no` checks text, but `{}` is `{shown}`; a bill number is a `String`", field.ident));
            }
        }
    }
}

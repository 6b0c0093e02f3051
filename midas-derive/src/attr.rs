//! What a user can write: the keys of `#[midas_api(..)]` and of `#[midas(..)]` on fields.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitBool, LitStr, Token, Type};

use crate::errors::Errors;

/// `#[midas_api(path = "..", response = Type, sandbox_path = "..", scheme = "..",
/// user_signature = bool, openid = bool, require_user_ip = bool)]`.
pub(crate) struct ApiAttr {
    pub(crate) path: Option<LitStr>,
    pub(crate) sandbox_path: Option<LitStr>,
    pub(crate) response: Option<Type>,
    pub(crate) scheme: Option<LitStr>,
    pub(crate) user_signature: Option<LitBool>,
    pub(crate) openid: Option<LitBool>,
    pub(crate) require_user_ip: Option<LitBool>,
}

pub(crate) fn parse_api_attr(args: TokenStream) -> syn::Result<ApiAttr> {
    let mut attr = ApiAttr {
        path: None,
        sandbox_path: None,
        response: None,
        scheme: None,
        user_signature: None,
        openid: None,
        require_user_ip: None,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("path") {
            set_once(&meta, &mut attr.path, "path", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("sandbox_path") {
            set_once(&meta, &mut attr.sandbox_path, "sandbox_path", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("response") {
            set_once(&meta, &mut attr.response, "response", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("scheme") {
            set_once(&meta, &mut attr.scheme, "scheme", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("user_signature") {
            set_once(&meta, &mut attr.user_signature, "user_signature", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("openid") {
            set_once(&meta, &mut attr.openid, "openid", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("require_user_ip") {
            set_once(&meta, &mut attr.require_user_ip, "require_user_ip", |meta| meta.value()?.parse())
        } else {
            Err(meta.error(format!(
                "unknown key `{}` in #[midas_api]; expected `path`, `response`, `sandbox_path`, `scheme`, `user_signature`, `openid` or `require_user_ip`",
                path_text(&meta.path)
            )))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(attr)
}

/// The `#[midas(..)]` keys of one field; each flag keeps the span of its keyword.
#[derive(Default)]
pub(crate) struct FieldAttr {
    pub(crate) rename: Option<LitStr>,
    pub(crate) bill_no: Option<Span>,
    pub(crate) non_zero: Option<Span>,
    pub(crate) positive: Option<Span>,
    pub(crate) key: Option<Span>,
    pub(crate) json: Option<Span>,
}

pub(crate) fn parse_field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttr {
    let mut field = FieldAttr::default();
    reject_conditional(attrs, errors);
    for attr in attrs.iter().filter(|attr| is_midas(attr)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                set_once(&meta, &mut field.rename, "rename", |meta| meta.value()?.parse())
            } else if meta.path.is_ident("bill_no") {
                set_once(&meta, &mut field.bill_no, "bill_no", flag("bill_no"))
            } else if meta.path.is_ident("non_zero") {
                set_once(&meta, &mut field.non_zero, "non_zero", flag("non_zero"))
            } else if meta.path.is_ident("positive") {
                set_once(&meta, &mut field.positive, "positive", flag("positive"))
            } else if meta.path.is_ident("key") {
                set_once(&meta, &mut field.key, "key", flag("key"))
            } else if meta.path.is_ident("json") {
                set_once(&meta, &mut field.json, "json", flag("json"))
            } else {
                Err(meta.error(format!(
                    "unknown key `{}` in #[midas]; expected `rename = \"..\"`, `bill_no`, `key`, `json`, `non_zero` or `positive`",
                    path_text(&meta.path)
                )))
            }
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    field
}

/// `#[midas(..)]` belongs on fields; on the struct itself it would be left for rustc to reject
/// as an unknown attribute.
pub(crate) fn reject_struct_attrs(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs.iter().filter(|attr| is_consumed(attr)) {
        errors
            .spanned(attr, "#[midas(..)] goes on a field; write the keys of the request in #[midas_api(..)]");
    }
}

/// An attribute macro sees fields before `#[cfg]` removes them, and the signing order is
/// written from every field it sees; so a field cannot come and go with a configuration.
fn reject_conditional(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs {
        if attr.path().is_ident("cfg") {
            errors.spanned(
                attr,
                "a field of a Midas request cannot be conditional: the signing order is fixed from every field; declare one request struct per configuration",
            );
        } else if attr.path().is_ident("cfg_attr") && names_midas(attr) {
            errors.spanned(attr, "#[midas(..)] cannot be conditional: write it without #[cfg_attr]");
        }
    }
}

/// Whether `#[cfg_attr(predicate, ..)]` would expand to a `#[midas(..)]`.
fn names_midas(cfg_attr: &Attribute) -> bool {
    cfg_attr
        .parse_args_with(|input: syn::parse::ParseStream<'_>| {
            input.parse::<syn::Meta>()?;
            input.parse::<Token![,]>()?;
            syn::punctuated::Punctuated::<syn::Meta, Token![,]>::parse_terminated(input)
        })
        .is_ok_and(|metas| metas.iter().any(|meta| meta.path().is_ident("midas")))
}

fn is_midas(attr: &Attribute) -> bool {
    attr.path().is_ident("midas")
}

/// The attributes the output leaves out: `#[midas(..)]`, and a `#[cfg_attr]` that would
/// become one (already reported), since rustc does not know `midas` as an attribute.
pub(crate) fn is_consumed(attr: &Attribute) -> bool {
    is_midas(attr) || (attr.path().is_ident("cfg_attr") && names_midas(attr))
}

/// A key without a value, such as `bill_no`; its value is the span of the keyword.
fn flag(name: &'static str) -> impl FnOnce(&ParseNestedMeta<'_>) -> syn::Result<Span> {
    move |meta| {
        if meta.input.is_empty() || meta.input.peek(Token![,]) {
            Ok(meta.path.get_ident().map_or_else(Span::call_site, syn::Ident::span))
        } else {
            Err(meta.error(format!("`{name}` takes no value; write #[midas({name})]")))
        }
    }
}

fn set_once<T>(
    meta: &ParseNestedMeta<'_>,
    slot: &mut Option<T>,
    name: &str,
    parse: impl FnOnce(&ParseNestedMeta<'_>) -> syn::Result<T>,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{name}` is given twice; keep one")));
    }
    *slot = Some(parse(meta)?);
    Ok(())
}

fn path_text(path: &syn::Path) -> String {
    path.segments.iter().map(|segment| segment.ident.to_string()).collect::<Vec<_>>().join("::")
}

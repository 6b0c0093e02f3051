//! What a user can write: the keys of `#[midas_api(..)]` and of `#[midas(..)]` on fields.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Type};

use crate::valid::Errors;

/// `#[midas_api(path = "..", response = Type, sandbox_path = "..")]`.
pub(crate) struct ApiAttr {
    pub(crate) path: Option<LitStr>,
    pub(crate) sandbox_path: Option<LitStr>,
    pub(crate) response: Option<Type>,
}

pub(crate) fn parse_api_attr(args: TokenStream) -> syn::Result<ApiAttr> {
    let mut attr = ApiAttr { path: None, sandbox_path: None, response: None };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("path") {
            set_once(&meta, &mut attr.path, "path", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("sandbox_path") {
            set_once(&meta, &mut attr.sandbox_path, "sandbox_path", |meta| meta.value()?.parse())
        } else if meta.path.is_ident("response") {
            set_once(&meta, &mut attr.response, "response", |meta| meta.value()?.parse())
        } else {
            Err(meta.error(format!(
                "unknown key `{}` in #[midas_api]; expected `path`, `response` or `sandbox_path`",
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
}

pub(crate) fn parse_field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttr {
    let mut field = FieldAttr::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("midas")) {
        let result = attr.parse_nested_meta(|meta| {
            let span = meta.path.get_ident().map_or_else(Span::call_site, syn::Ident::span);
            if meta.path.is_ident("rename") {
                set_once(&meta, &mut field.rename, "rename", |meta| meta.value()?.parse())
            } else if meta.path.is_ident("bill_no") {
                set_once(&meta, &mut field.bill_no, "bill_no", |_| Ok(span))
            } else if meta.path.is_ident("non_zero") {
                set_once(&meta, &mut field.non_zero, "non_zero", |_| Ok(span))
            } else if meta.path.is_ident("positive") {
                set_once(&meta, &mut field.positive, "positive", |_| Ok(span))
            } else {
                Err(meta.error(format!(
                    "unknown key `{}` in #[midas]; expected `rename = \"..\"`, `bill_no`, `non_zero` or `positive`",
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

//! The request struct as our own model: its fields, their wire names and value kinds.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Fields, GenericArgument, Ident, ItemStruct, PathArguments, Type};

use crate::attr::{FieldAttr, parse_field_attrs};
use crate::errors::Errors;

/// What a field's value is, as far as signing is concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// `String`: signed raw, sent as a JSON string.
    Text,
    /// `i8`..`i64`, `u8`..`u64`: signed and sent in decimal.
    Integer,
    /// `bool`: sent as `true`/`false` by the generations that sign the body.
    Bool,
    /// `#[midas(json)]`: any `serde::Serialize` value (lists, objects), sent as its JSON by the
    /// generations that sign the body.
    Json,
    /// A type parameter of the struct: reported once, by the rule against generic requests.
    TypeParameter,
    /// Anything else: a compile error.
    Unsupported,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The type inside `Option<..>`, or the field type.
    pub(crate) value_ty: &'a Type,
    pub(crate) optional: bool,
    pub(crate) kind: ValueKind,
    pub(crate) wire: String,
    /// Where the wire name comes from: the `rename` literal or the field name.
    pub(crate) wire_span: Span,
    pub(crate) renamed: bool,
    pub(crate) attr: FieldAttr,
}

/// Reads the named fields of `item`; `None` (with an error recorded) for tuple and unit structs.
pub(crate) fn fields<'a>(item: &'a ItemStruct, errors: &mut Errors) -> Option<Vec<Field<'a>>> {
    let named = match &item.fields {
        Fields::Named(named) => named,
        Fields::Unnamed(unnamed) => {
            errors.spanned(unnamed, "a Midas request needs named fields (their names are the wire names); use `struct Name { field: Type }`");
            return None;
        }
        Fields::Unit => {
            errors.spanned(
                &item.ident,
                "a Midas request needs named fields; a request without its own fields is `struct Name {}`",
            );
            return None;
        }
    };
    let type_params: Vec<&Ident> = item.generics.type_params().map(|param| &param.ident).collect();
    let fields = named
        .named
        .iter()
        .filter_map(|field| {
            let ident = field.ident.as_ref()?;
            let attr = parse_field_attrs(&field.attrs, errors);
            let (wire, wire_span, renamed) = match &attr.rename {
                Some(rename) => (rename.value(), rename.span(), true),
                None => (ident.to_string().trim_start_matches("r#").to_owned(), ident.span(), false),
            };
            let (value_ty, optional) = match option_inner(&field.ty) {
                Some(inner) => (inner, true),
                None => (&field.ty, false),
            };
            let kind = if attr.json.is_some() { ValueKind::Json } else { kind_of(value_ty, &type_params) };
            Some(Field { ident, ty: &field.ty, value_ty, optional, kind, wire, wire_span, renamed, attr })
        })
        .collect();
    Some(fields)
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    }
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn kind_of(ty: &Type, type_params: &[&Ident]) -> ValueKind {
    let Some(segment) = last_segment(ty) else { return ValueKind::Unsupported };
    if !segment.arguments.is_none() {
        return ValueKind::Unsupported;
    }
    if type_params.iter().any(|param| matches!(ty, Type::Path(path) if path.path.is_ident(*param))) {
        return ValueKind::TypeParameter;
    }
    match segment.ident.to_string().as_str() {
        "String" => ValueKind::Text,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => ValueKind::Integer,
        "bool" => ValueKind::Bool,
        _ => ValueKind::Unsupported,
    }
}

impl Field<'_> {
    /// The span of the field's value type, for errors about what it can hold.
    pub(crate) fn type_span(&self) -> Span {
        self.value_ty.span()
    }

    /// The field type as a reader would write it, shortened to the last path segment:
    /// `String`, `Option<i64>`.
    pub(crate) fn type_name(&self) -> String {
        let inner = last_segment(self.value_ty).map_or_else(
            || quote::ToTokens::to_token_stream(self.value_ty).to_string(),
            |segment| segment.ident.to_string(),
        );
        if self.optional { format!("Option<{inner}>") } else { inner }
    }
}

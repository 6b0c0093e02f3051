//! What `#[midas_api]` produces: the struct as written (minus `#[midas]` attributes) and its
//! `MidasRequest` impl, whose signing order is a fixed sequence of writes sorted here, at
//! compile time.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{Item, ItemStruct};

use crate::ast::{self, Field, ValueKind};
use crate::attr::{ApiAttr, parse_api_attr};
use crate::valid::{self, Errors};

pub(crate) fn midas_api(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    let attr = parse_api_attr(args)?;
    let item: Item = syn::parse2(input)?;
    let mut item = match item {
        Item::Struct(item) => item,
        Item::Enum(item) => return Err(syn::Error::new_spanned(item.enum_token, NOT_A_STRUCT)),
        Item::Union(item) => return Err(syn::Error::new_spanned(item.union_token, NOT_A_STRUCT)),
        other => return Err(syn::Error::new_spanned(other, NOT_A_STRUCT)),
    };
    let tokens = request_impl(&attr, &item)?;
    strip_field_attrs(&mut item);
    Ok(quote! {
        #item
        #tokens
    })
}

const NOT_A_STRUCT: &str = "#[midas_api] declares a request and goes on a struct with named fields";

fn request_impl(attr: &ApiAttr, item: &ItemStruct) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(&item.generics, "a Midas request cannot be generic: its fields are fixed by the API; use concrete types");
    }
    let fields = ast::fields(item, &mut errors);
    if let Some(fields) = &fields {
        valid::fields(fields, &mut errors);
    }
    let paths = match &attr.path {
        Some(path) => Some(valid::paths(path, attr.sandbox_path.as_ref(), &mut errors)),
        None => {
            errors.at(proc_macro2::Span::call_site(), "missing `path`: write #[midas_api(path = \"/cgi-bin/midas/<api>\", response = ..)]");
            None
        }
    };
    if attr.response.is_none() {
        errors.at(proc_macro2::Span::call_site(), "missing `response`: name the success response type, e.g. `response = PresentResponse`");
    }
    errors.finish()?;
    let (Some(fields), Some((path, sandbox_path)), Some(response)) = (fields, paths, &attr.response) else {
        return Err(syn::Error::new(proc_macro2::Span::call_site(), "invalid #[midas_api]"));
    };

    let ident = &item.ident;
    let api = path.rsplit('/').next().unwrap_or_default().to_owned();
    let validate = fields.iter().map(validation);
    let bill_no = bill_no_accessor(&fields);
    let writes = signing_order(&fields);
    let body = fields.iter().map(|field| {
        let (wire, name) = (&field.wire, field.ident);
        quote! { body.field(#wire, &self.#name); }
    });
    let p = quote!(::midas_api::__private);
    Ok(quote! {
        impl #p::MidasRequest for #ident {
            type Response = #response;
            const API: &'static str = #api;
            const PATH: &'static str = #path;
            const SANDBOX_PATH: &'static str = #sandbox_path;

            fn validate(&self) -> ::core::result::Result<(), #p::ValidationError> {
                #(#validate)*
                ::core::result::Result::Ok(())
            }

            fn bill_no(&self) -> ::core::option::Option<&str> {
                #bill_no
            }

            fn write_params<S: #p::SignSink + ?::core::marker::Sized>(
                &self,
                envelope: &#p::Envelope<'_>,
                mp: ::core::option::Option<&#p::MpExtra<'_>>,
                sink: &mut S,
            ) {
                let mut params = #p::Params::new(sink);
                #(#writes)*
            }

            fn write_body_fields(&self, body: &mut #p::JsonObject<'_>) {
                #(#body)*
            }
        }
    })
}

/// The checks of one field: its declared rules, and "never send an empty string".
fn validation(field: &Field<'_>) -> TokenStream {
    let p = quote!(::midas_api::__private::rules);
    let wire = &field.wire;
    let value = format_ident!("value");
    let mut checks = Vec::new();
    match field.kind {
        ValueKind::Text if field.attr.bill_no.is_some() => checks.push(quote!(#p::bill_no(#wire, #value)?;)),
        ValueKind::Text => checks.push(quote!(#p::not_empty(#wire, #value)?;)),
        ValueKind::Integer | ValueKind::Unsupported => {}
    }
    if field.attr.non_zero.is_some() {
        checks.push(quote!(#p::non_zero(#wire, #value)?;));
    }
    if field.attr.positive.is_some() {
        checks.push(quote!(#p::positive(#wire, #value)?;));
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    let name = field.ident;
    if field.optional {
        quote! { if let ::core::option::Option::Some(#value) = &self.#name { #(#checks)* } }
    } else {
        quote! { { let #value = &self.#name; #(#checks)* } }
    }
}

fn bill_no_accessor(fields: &[Field<'_>]) -> TokenStream {
    match fields.iter().find(|field| field.attr.bill_no.is_some()) {
        Some(field) if field.optional => {
            let name = field.ident;
            quote!(::core::option::Option::as_deref(&self.#name))
        }
        Some(field) => {
            let name = field.ident;
            quote!(::core::option::Option::Some(::std::string::String::as_str(&self.#name)))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// One `params.pair(..)` per signed name, sorted byte-wise here, at compile time: the fields,
/// the envelope, and `access_token` and `sig` (written only for `mp_sig`).
fn signing_order(fields: &[Field<'_>]) -> Vec<TokenStream> {
    let mut writes: Vec<(String, TokenStream)> = fields
        .iter()
        .map(|field| {
            let (wire, name) = (&field.wire, field.ident);
            (wire.clone(), quote_spanned!(field.ty.span()=> params.pair(#wire, &self.#name);))
        })
        .collect();
    for (name, value) in [
        ("appid", quote!(envelope.appid)),
        ("offer_id", quote!(envelope.offer_id)),
        ("openid", quote!(envelope.openid)),
        ("pf", quote!(envelope.pf)),
        ("ts", quote!(&envelope.ts)),
        ("user_ip", quote!(&envelope.user_ip)),
        ("zone_id", quote!(envelope.zone_id)),
    ] {
        writes.push((name.to_owned(), quote!(params.pair(#name, #value);)));
    }
    for name in ["access_token", "sig"] {
        let field = format_ident!("{}", name);
        writes.push((
            name.to_owned(),
            quote!(if let ::core::option::Option::Some(mp) = mp { params.pair(#name, mp.#field); }),
        ));
    }
    writes.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    writes.into_iter().map(|(_, tokens)| tokens).collect()
}

fn strip_field_attrs(item: &mut ItemStruct) {
    for field in &mut item.fields {
        field.attrs.retain(|attr| !attr.path().is_ident("midas"));
    }
}

use syn::spanned::Spanned as _;

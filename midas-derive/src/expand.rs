//! What `#[midas_api]` produces: the struct as written (minus `#[midas]` attributes) and its
//! `MidasRequest` impl, whose signing order is a fixed sequence of writes sorted here, at
//! compile time.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens as _, format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Item, ItemStruct};

use crate::ast::{self, Field, ValueKind};
use crate::attr::{ApiAttr, is_consumed, parse_api_attr, reject_struct_attrs};
use crate::errors::Errors;
use crate::scheme::Scheme;
use crate::valid;

/// The struct as written (minus `#[midas]` attributes), then its impl or every error found. The
/// struct is kept even when there are errors, so a mistake in the attribute is reported once
/// rather than again at every use of the type.
pub(crate) fn midas_api(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Struct(item)) => item,
        Ok(Item::Enum(item)) => {
            return with_error(input, syn::Error::new_spanned(item.enum_token, NOT_A_STRUCT));
        }
        Ok(Item::Union(item)) => {
            return with_error(input, syn::Error::new_spanned(item.union_token, NOT_A_STRUCT));
        }
        Ok(other) => return with_error(input, syn::Error::new_spanned(other, NOT_A_STRUCT)),
        Err(err) => return err.to_compile_error(),
    };
    let mut errors = Errors::default();
    // An error in the arguments stops their parsing, so which keys are missing is unknown.
    let attr = parse_api_attr(args).map_err(|err| errors.push(err)).ok();
    let tokens = request_impl(attr.as_ref(), &item, &mut errors);
    item.attrs.retain(|attr| !is_consumed(attr));
    for field in &mut item.fields {
        field.attrs.retain(|attr| !is_consumed(attr));
    }
    match errors
        .finish()
        .and(tokens.ok_or_else(|| syn::Error::new(Span::call_site(), "invalid #[midas_api]")))
    {
        Ok(tokens) => quote! { #item #tokens },
        Err(err) => with_error(item.into_token_stream(), err),
    }
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote! { #item #error }
}

const GENERIC: &str =
    "a Midas request cannot be generic: its fields are fixed by the API; use concrete types";

const NOT_A_STRUCT: &str = "#[midas_api] declares a request and goes on a struct with named fields";

/// The request impl, or `None` when an error was recorded.
fn request_impl(attr: Option<&ApiAttr>, item: &ItemStruct, errors: &mut Errors) -> Option<TokenStream> {
    reject_struct_attrs(&item.attrs, errors);
    if !item.generics.params.is_empty() {
        errors.spanned(&item.generics, GENERIC);
    } else if let Some(where_clause) = &item.generics.where_clause {
        errors.spanned(where_clause, GENERIC);
    }
    let scheme = Scheme::parse(attr.and_then(|attr| attr.scheme.as_ref()), errors);
    let fields = ast::fields(item, errors);
    if let Some(fields) = &fields {
        // Under an unknown scheme the reserved names are unknown too; check the rest.
        valid::fields(fields, scheme.unwrap_or(Scheme::MidasV1), errors);
    }
    let (attr, scheme) = (attr?, scheme?);
    valid::scheme_keys(attr, scheme, errors);
    let paths = match &attr.path {
        Some(path) if scheme.is_body_signed() => Some((path.value(), String::new())),
        Some(path) => Some(valid::paths(path, attr.sandbox_path.as_ref(), errors)),
        None => {
            errors.at(
                Span::call_site(),
                format!(
                    "missing `path`: write #[midas_api(path = \"{}<api>\", response = ..)]",
                    scheme.prefix()
                ),
            );
            None
        }
    };
    if attr.response.is_none() {
        errors.at(
            Span::call_site(),
            "missing `response`: name the success response type, e.g. `response = PresentResponse`",
        );
    }
    if errors.has_errors() {
        return None;
    }
    let (fields, (path, sandbox_path), response) = (fields?, paths?, attr.response.as_ref()?);

    let ident = &item.ident;
    let api = path.rsplit('/').next().unwrap_or_default().to_owned();
    let validate = fields.iter().map(|field| validation(field, scheme));
    let key = key_accessor(&fields);
    let key_name = match valid::key_field(&fields) {
        Some(field) => {
            let wire = &field.wire;
            quote!(::core::option::Option::Some(#wire))
        }
        None => quote!(::core::option::Option::None),
    };
    let body = fields.iter().map(|field| {
        let (literal, name) = (json_literal(&field.wire), field.ident);
        quote! { body.field_literal(#literal, &self.#name); }
    });
    // A `#[cfg]` below `#[midas_api]` stays on the struct; the impl goes with it.
    let cfgs: Vec<_> = item.attrs.iter().filter(|attr| attr.path().is_ident("cfg")).collect();
    let p = quote!(::midas_api::__private);
    let common = quote! {
        type Response = #response;
        const API: &'static str = #api;
        const PATH: &'static str = #path;

        fn validate(&self) -> ::core::result::Result<(), #p::ValidationError> {
            #(#validate)*
            ::core::result::Result::Ok(())
        }

        fn write_body_fields(&self, body: &mut #p::JsonObject<'_>) {
            #(#body)*
        }
    };
    if scheme.is_body_signed() {
        let scheme_tokens = match scheme {
            Scheme::GameV2 => quote!(#p::Scheme::GameV2),
            _ => quote!(#p::Scheme::Xpay),
        };
        // Midas 2.0 requires the player's signature on every API; xpay on some.
        let user_signature =
            attr.user_signature.as_ref().map_or(scheme == Scheme::GameV2, syn::LitBool::value);
        let openid = attr.openid.as_ref().is_none_or(syn::LitBool::value);
        let require_user_ip = attr.require_user_ip.as_ref().is_some_and(syn::LitBool::value);
        // Both body-signed generations call the coins a request moves `amount`.
        let amount =
            match fields.iter().find(|field| field.wire == "amount" && field.kind == ValueKind::Integer) {
                Some(field) if !field.optional => {
                    let name = field.ident;
                    quote!(::core::convert::TryFrom::try_from(self.#name).ok())
                }
                _ => quote!(::core::option::Option::None),
            };
        return Some(quote! {
            #(#cfgs)*
            impl #p::BodySignedRequest for #ident {
                #common
                const SCHEME: #p::Scheme = #scheme_tokens;
                const USER_SIGNATURE: bool = #user_signature;
                const OPENID: bool = #openid;
                const REQUIRE_USER_IP: bool = #require_user_ip;

                const KEY_NAME: ::core::option::Option<&'static str> = #key_name;

                fn order_id(&self) -> ::core::option::Option<&str> {
                    #key
                }

                fn amount(&self) -> ::core::option::Option<i64> {
                    #amount
                }
            }
        });
    }
    let writes = signing_order(&fields);
    Some(quote! {
        #(#cfgs)*
        impl #p::MidasRequest for #ident {
            #common
            const SANDBOX_PATH: &'static str = #sandbox_path;
            const KEY_NAME: ::core::option::Option<&'static str> = #key_name;

            fn bill_no(&self) -> ::core::option::Option<&str> {
                #key
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
        }
    })
}

/// The checks of one field: its declared rules, and "never send empty or control text".
fn validation(field: &Field<'_>, scheme: Scheme) -> TokenStream {
    let p = quote!(::midas_api::__private::rules);
    let wire = &field.wire;
    let value = format_ident!("value");
    let mut checks = Vec::new();
    match field.kind {
        ValueKind::Text if field.attr.bill_no.is_some() && scheme == Scheme::GameV2 => {
            checks.push(quote!(#p::bill_no_v2(#wire, #value)?;));
        }
        ValueKind::Text if field.attr.bill_no.is_some() => checks.push(quote!(#p::bill_no(#wire, #value)?;)),
        // Midas 1.0 signs unescaped `k=v&…` pairs: its text may hold neither `&` nor `=`.
        ValueKind::Text if scheme == Scheme::MidasV1 => checks.push(quote!(#p::pair_text(#wire, #value)?;)),
        ValueKind::Text => checks.push(quote!(#p::text(#wire, #value)?;)),
        ValueKind::Integer | ValueKind::TypeParameter | ValueKind::Unsupported => {}
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

/// The idempotency key kept across retries.
fn key_accessor(fields: &[Field<'_>]) -> TokenStream {
    match valid::key_field(fields) {
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
            let (literal, name) = (pair_literal(&field.wire), field.ident);
            (
                field.wire.clone(),
                quote_spanned!(field.ty.span()=> params.pair_literal(#literal, &self.#name);),
            )
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
        let literal = pair_literal(name);
        writes.push((name.to_owned(), quote!(params.pair_literal(#literal, #value);)));
    }
    let (token, sig) = (pair_literal("access_token"), pair_literal("sig"));
    writes.push((
        "access_token".to_owned(),
        quote!(if let ::core::option::Option::Some(mp) = mp { params.secret_pair_literal(#token, mp.access_token); }),
    ));
    writes.push((
        "sig".to_owned(),
        quote!(if let ::core::option::Option::Some(mp) = mp { params.pair_literal(#sig, mp.sig); }),
    ));
    writes.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    writes.into_iter().map(|(_, tokens)| tokens).collect()
}

/// `&name=`, the piece a signed pair starts with, as a byte-string literal.
fn pair_literal(wire: &str) -> syn::LitByteStr {
    syn::LitByteStr::new(format!("&{wire}=").as_bytes(), Span::call_site())
}

/// `,"name":`, the piece a body field starts with, as a byte-string literal (wire names are
/// `[a-z0-9_]`: nothing to escape).
fn json_literal(wire: &str) -> syn::LitByteStr {
    syn::LitByteStr::new(format!(",\"{wire}\":").as_bytes(), Span::call_site())
}

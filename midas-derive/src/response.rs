//! `#[midas_response]`: the success response of an endpoint, deserialized through the serde
//! that `midas-api` re-exports, so a service needs no serde dependency of its own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Item;

/// The item as written, with serde's `Deserialize` derived through the facade's re-export.
pub(crate) fn midas_response(args: TokenStream, input: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let error =
            syn::Error::new_spanned(&args, "#[midas_response] takes no arguments; write `#[midas_response]`");
        let error = error.to_compile_error();
        return quote!(#error #input);
    }
    match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Struct(_) | Item::Enum(_)) => quote! {
            #[derive(::midas_api::__private0_1::serde::Deserialize)]
            #[serde(crate = "::midas_api::__private0_1::serde")]
            #input
        },
        Ok(other) => {
            let error = syn::Error::new_spanned(
                other,
                "#[midas_response] goes on the struct (or enum) of a success response",
            );
            let error = error.to_compile_error();
            quote!(#error #input)
        }
        Err(err) => err.to_compile_error(),
    }
}

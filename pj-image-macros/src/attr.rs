//! The attribute's arguments: `cpu = 2, memory = 4, disk = 8, gpu = 1`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, MetaNameValue, Token};

use pj_image::Resources;

const KEYS: &str = "cpu, memory, disk, gpu";

/// The resources, each with the tokens of its value (for error spans).
pub(crate) struct Attr {
    pub(crate) resources: Resources,
    pub(crate) spans: Vec<(&'static str, TokenStream)>,
}

pub(crate) fn parse(attr: TokenStream) -> Result<Attr, syn::Error> {
    let mut out = Attr { resources: Resources::default(), spans: Vec::new() };
    let tokens = attr.clone();
    let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(attr).map_err(|_| {
        // syn reports a missing `= value` at the end of the input, which is the whole
        // attribute; the user's own tokens are the better place.
        syn::Error::new_spanned(
            &tokens,
            format!("expected `key = number` pairs ({KEYS}), e.g. #[pithy_image(cpu = 2, memory = 4)]"),
        )
    })?;
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match errors.as_mut() {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for pair in pairs {
        let key = pair.path.get_ident().map(ToString::to_string).unwrap_or_default();
        let (name, example, slot): (&'static str, &str, &mut u32) = match key.as_str() {
            "cpu" => ("cpu", "cpu = 2 (vCPUs)", &mut out.resources.cpu),
            "memory" => ("memory", "memory = 4 (GB)", &mut out.resources.memory),
            "disk" => ("disk", "disk = 8 (GB)", &mut out.resources.disk),
            "gpu" => ("gpu", "gpu = 1", &mut out.resources.gpu),
            _ => {
                push(syn::Error::new_spanned(&pair.path, format!("unknown resource `{key}`; known: {KEYS}")));
                continue;
            }
        };
        if out.spans.iter().any(|(k, _)| *k == name) {
            push(syn::Error::new_spanned(&pair.path, format!("`{key}` is given twice; keep one")));
            continue;
        }
        // A number too large for u32 is still a number: saturate it, and let the
        // limits check say what the range is.
        let value = match &pair.value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => {
                    int.base10_parse::<u128>().ok().map(|v| u32::try_from(v).unwrap_or(u32::MAX))
                }
                _ => None,
            },
            _ => None,
        };
        match value {
            Some(v) => {
                *slot = v;
                out.spans.push((name, quote::quote!(#pair)));
            }
            None => push(syn::Error::new_spanned(
                &pair.value,
                format!("`{key}` takes a whole number literal, e.g. {example}"),
            )),
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

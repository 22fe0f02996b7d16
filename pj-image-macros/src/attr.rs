//! The attribute's arguments: `cpu = 2, memory = 4, disk = 8, gpu = 1`,
//! `max_context_mb = 100`, `name = "gpu"` and `allow(pip-needs-python, ..)`.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Meta, Token};

use pj_image::{Resources, Rule};

use crate::ctxt::Ctxt;

const KEYS: &str = "name, cpu, memory, disk, gpu, max_context_mb";

/// The resources, each with the tokens of its value (for error spans), and the rules
/// the image allows.
pub(crate) struct Attr {
    pub(crate) resources: Resources,
    pub(crate) spans: Vec<(&'static str, TokenStream)>,
    pub(crate) allow: Vec<Rule>,
    /// The contexts' size budget in MB (10^6 bytes), and where it was written.
    pub(crate) max_context_mb: Option<(u64, TokenStream)>,
    /// The image's name in its crate (`name = "gpu"`, checked with
    /// `pj_image::valid_image_name`), and its literal.
    pub(crate) name: Option<(String, syn::LitStr)>,
}

/// The arguments, and whether they are well formed (the errors go to `cx`). The rules
/// of a valid `allow(..)` are kept even when other arguments are wrong, so that they
/// still silence what they name.
pub(crate) fn parse(cx: &Ctxt, attr: TokenStream) -> (Attr, bool) {
    let before = cx.len();
    let mut out = Attr {
        resources: Resources::default(),
        spans: Vec::new(),
        allow: Vec::new(),
        max_context_mb: None,
        name: None,
    };
    let tokens = attr.clone();
    let expected = || {
        // syn reports a missing `= value` at the end of the input, which is the whole
        // attribute; the user's own tokens are the better place.
        syn::Error::new_spanned(
            &tokens,
            format!("expected `key = number` pairs ({KEYS}), e.g. #[pithy_image(cpu = 2, memory = 4)]"),
        )
    };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr) {
        Ok(metas) => metas,
        Err(_) => {
            cx.syn_error(expected());
            return (out, false);
        }
    };
    let push = |e: syn::Error| cx.syn_error(e);
    for meta in metas {
        let pair = match meta {
            Meta::NameValue(pair) => pair,
            Meta::List(list) if list.path.is_ident("allow") => {
                out.allow.extend(allow(cx, list.tokens, &list.path));
                continue;
            }
            Meta::List(list) => {
                let key = list.path.get_ident().map(ToString::to_string).unwrap_or_default();
                push(syn::Error::new_spanned(
                    &list.path,
                    format!("unknown argument `{key}(..)`; known: {KEYS} and allow(<rule id>, ..)"),
                ));
                continue;
            }
            Meta::Path(_) => {
                push(expected());
                continue;
            }
        };
        let key = pair.path.get_ident().map(ToString::to_string).unwrap_or_default();
        if key == "name" {
            if out.name.is_some() {
                push(syn::Error::new_spanned(&pair.path, "`name` is given twice; keep one"));
                continue;
            }
            match &pair.value {
                Expr::Lit(syn::ExprLit { lit: Lit::Str(lit), .. }) => {
                    let name = lit.value();
                    if pj_image::valid_image_name(&name) {
                        out.name = Some((name, lit.clone()));
                    } else {
                        push(syn::Error::new_spanned(
                            lit,
                            pj_image::NameError::ImageName { name }.to_string(),
                        ));
                    }
                }
                other => push(syn::Error::new_spanned(
                    other,
                    "`name` takes a string literal, the image's name in the crate, e.g. name = \"gpu\"",
                )),
            }
            continue;
        }
        if key == "max_context_mb" {
            if out.max_context_mb.is_some() {
                push(syn::Error::new_spanned(&pair.path, "`max_context_mb` is given twice; keep one"));
                continue;
            }
            match int_literal(&pair.value).filter(|v| *v > 0) {
                Some(v) => {
                    out.max_context_mb = Some((u64::try_from(v).unwrap_or(u64::MAX), quote::quote!(#pair)))
                }
                None => push(syn::Error::new_spanned(
                    &pair.value,
                    "`max_context_mb` takes a whole number of megabytes above 0, e.g. max_context_mb = 100",
                )),
            }
            continue;
        }
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
        let value = int_literal(&pair.value).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
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
    let well_formed = cx.len() == before;
    (out, well_formed)
}

/// The value of a whole number literal.
fn int_literal(value: &Expr) -> Option<u128> {
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse::<u128>().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `allow(pip-needs-python, package-manager)`: rule ids written as words joined by
/// `-`, each checked by pj-image (it exists and may be silenced).
fn allow(cx: &Ctxt, tokens: TokenStream, path: &syn::Path) -> Vec<Rule> {
    let mut ids: Vec<(String, TokenStream)> = Vec::new();
    let mut current = (String::new(), TokenStream::new());
    let push = |e: syn::Error| cx.syn_error(e);
    for tree in tokens {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                ids.push(std::mem::take(&mut current));
                continue;
            }
            TokenTree::Ident(i) => current.0.push_str(&i.to_string()),
            TokenTree::Punct(p) if p.as_char() == '-' => current.0.push('-'),
            TokenTree::Literal(_) => {
                if let Ok(s) = syn::parse2::<syn::LitStr>(tree.clone().into()) {
                    current.0.push_str(&s.value());
                } else {
                    push(syn::Error::new_spanned(&tree, "expected a rule id, e.g. allow(pip-needs-python)"));
                }
            }
            _ => push(syn::Error::new_spanned(&tree, "expected a rule id, e.g. allow(pip-needs-python)")),
        }
        current.1.extend([tree]);
    }
    if !current.1.is_empty() {
        ids.push(current);
    }
    if ids.is_empty() {
        push(syn::Error::new_spanned(path, "allow(..) names no rule; write e.g. allow(pip-needs-python)"));
    }
    let mut rules = Vec::new();
    for (id, tokens) in ids {
        if tokens.is_empty() {
            push(syn::Error::new_spanned(path, "allow(..) has an empty entry; remove the extra `,`"));
            continue;
        }
        match pj_image::rules::allowable(&id) {
            Ok(rule) => rules.push(rule),
            Err(f) => push(syn::Error::new_spanned(tokens, crate::expand::message(f.rule, &f.message))),
        }
    }
    rules
}

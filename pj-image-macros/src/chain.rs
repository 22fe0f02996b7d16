//! Reading the function body: a method chain rooted at `Image::base(..)` or
//! `Image::debian_slim(..)`, whose arguments are literals.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Member, Token};

/// One call of the chain, the constructor included (call 0).
pub(crate) struct Call {
    pub(crate) name: String,
    /// The method name (or the constructor path), for errors about the call itself.
    pub(crate) name_tokens: TokenStream,
    pub(crate) args: Vec<Expr>,
}

/// Splits the body into its calls, constructor first.
pub(crate) fn calls(body: &syn::Block) -> Result<Vec<Call>, syn::Error> {
    let expr = match body.stmts.as_slice() {
        [syn::Stmt::Expr(expr, None)] => expr,
        _ => {
            return Err(syn::Error::new_spanned(
                body,
                "the body of a #[pithy_image] function must be one builder chain, \
                 e.g. `Image::base(\"ubuntu:22.04\").run_commands([\"...\"])`, with no statements or `;`",
            ));
        }
    };
    let mut calls = Vec::new();
    let mut cur = unwrap(expr);
    loop {
        match cur {
            Expr::MethodCall(m) => {
                calls.push(Call {
                    name: m.method.to_string(),
                    name_tokens: m.method.to_token_stream(),
                    args: m.args.iter().cloned().collect(),
                });
                cur = unwrap(&m.receiver);
            }
            Expr::Call(c) => {
                let Expr::Path(path) = unwrap(&c.func) else { return Err(not_a_root(cur)) };
                let segments: Vec<String> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let name = segments.last().cloned().unwrap_or_default();
                let on_image = segments.len() < 2 || segments[segments.len() - 2] == "Image";
                let constructor = pj_image::call::method(&name).is_some_and(|m| m.constructor);
                if !on_image || !constructor {
                    return Err(not_a_root(cur));
                }
                calls.push(Call {
                    name,
                    name_tokens: path.to_token_stream(),
                    args: c.args.iter().cloned().collect(),
                });
                break;
            }
            other => return Err(not_a_root(other)),
        }
    }
    calls.reverse();
    Ok(calls)
}

fn not_a_root(expr: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        "a #[pithy_image] chain must start with `Image::base(\"<image>:<tag>\")` or \
         `Image::debian_slim(\"<python version>\")`",
    )
}

/// Looks through parentheses and invisible groups.
pub(crate) fn unwrap(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unwrap(&p.expr),
        Expr::Group(g) => unwrap(&g.expr),
        other => other,
    }
}

/// A string literal, also written `"x".into()`, `"x".to_string()`, `"x".to_owned()` or
/// `String::from("x")`.
pub(crate) fn string(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "into" | "to_string" | "to_owned") =>
        {
            string(&m.receiver)
        }
        Expr::Call(c) if c.args.len() == 1 && path_ends_with(&c.func, &["String", "from"]) => {
            string(&c.args[0])
        }
        _ => None,
    }
}

/// The elements of `[..]`, `&[..]` or `vec![..]`.
pub(crate) fn list(expr: &Expr) -> Option<Vec<Expr>> {
    match unwrap(expr) {
        Expr::Array(a) => Some(a.elems.iter().cloned().collect()),
        Expr::Reference(r) => list(&r.expr),
        Expr::Macro(m) if m.mac.path.is_ident("vec") => m
            .mac
            .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            .ok()
            .map(|p| p.into_iter().collect()),
        _ => None,
    }
}

/// A `(key, value)` tuple of two expressions.
pub(crate) fn pair(expr: &Expr) -> Option<(Expr, Expr)> {
    match unwrap(expr) {
        Expr::Tuple(t) if t.elems.len() == 2 => Some((t.elems[0].clone(), t.elems[1].clone())),
        _ => None,
    }
}

/// A `bool` literal.
pub(crate) fn boolean(expr: &Expr) -> Option<bool> {
    match unwrap(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) => Some(b.value()),
            _ => None,
        },
        _ => None,
    }
}

/// `Some(<string>)` or `None`.
pub(crate) fn option_string(expr: &Expr) -> Option<Option<String>> {
    match unwrap(expr) {
        Expr::Path(p) if p.path.is_ident("None") => Some(None),
        Expr::Call(c) if c.args.len() == 1 && path_ends_with(&c.func, &["Some"]) => {
            string(&c.args[0]).map(Some)
        }
        _ => None,
    }
}

/// The fields of a struct expression and its rest (`..Default::default()`).
pub(crate) type StructFields = (Vec<(String, Expr)>, Option<Expr>);

/// The fields of a `<name> { .. }` struct expression (`PipOptions`, `DirOptions`), with
/// the rest expression (`..Default::default()`), or `None` if `expr` is not one.
pub(crate) fn struct_fields(expr: &Expr, name: &str) -> Option<StructFields> {
    match unwrap(expr) {
        Expr::Struct(s) if s.path.segments.last().is_some_and(|seg| seg.ident == name) => {
            let fields = s
                .fields
                .iter()
                .map(|f| {
                    let name = match &f.member {
                        Member::Named(i) => i.to_string(),
                        Member::Unnamed(i) => i.index.to_string(),
                    };
                    (name, f.expr.clone())
                })
                .collect();
            Some((fields, s.rest.as_deref().cloned()))
        }
        Expr::Call(c) if c.args.is_empty() && path_ends_with(&c.func, &[name, "default"]) => {
            Some((Vec::new(), None))
        }
        _ => None,
    }
}

/// Whether `rest` is `Default::default()` or `PipOptions::default()`.
pub(crate) fn is_default(rest: &Expr) -> bool {
    match unwrap(rest) {
        Expr::Call(c) => {
            c.args.is_empty()
                && (path_ends_with(&c.func, &["Default", "default"])
                    || path_ends_with(&c.func, &["PipOptions", "default"])
                    || path_ends_with(&c.func, &["DirOptions", "default"]))
        }
        _ => false,
    }
}

fn path_ends_with(expr: &Expr, tail: &[&str]) -> bool {
    let Expr::Path(p) = unwrap(expr) else { return false };
    let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.len() >= tail.len()
        && segments[segments.len() - tail.len()..].iter().zip(tail).all(|(a, b)| a == b)
}

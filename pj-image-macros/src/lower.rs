//! Lowering the chain into pj-image's own calls (`pj_image::call`), through its method
//! table, remembering where each argument was written so that a violation's `Site`
//! maps back to its literal. The macro knows no builder method by name: a method added
//! to pj-image's table is taken here as it is.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Expr;

use pj_image::call::{self, Arg, ArgKind, OptionKind, OptionValue};
use pj_image::{DirOptions, Image, Part, PipOptionField, PipOptions, Site};

use crate::chain::{self, Call};
use crate::ctxt::Ctxt;

/// What a literal of this kind looks like, for errors.
fn expected(kind: ArgKind) -> &'static str {
    match kind {
        ArgKind::Str => "a string literal, e.g. \"ubuntu:22.04\"",
        ArgKind::StrList => "an array of string literals, e.g. [\"requests==2.32.3\"]",
        ArgKind::PairList => "an array of (key, value) string literal pairs, e.g. [(\"MODEL\", \"gpt-4o\")]",
        ArgKind::Options => {
            "a PipOptions { .. } of literals, e.g. PipOptions { pre: true, ..Default::default() }"
        }
        ArgKind::Rule => "a rule id, e.g. pip-needs-python, in #[pithy_image(allow(..))]",
        ArgKind::DirOptions => {
            "a DirOptions { .. } of literals, e.g. DirOptions { exclude: vec![\"target\".into()], ..Default::default() }"
        }
    }
}

/// Where the parts of one argument were written.
enum ArgSites {
    Whole(TokenStream),
    List(TokenStream, Vec<ItemSites>),
    Options(TokenStream, Vec<(PipOptionField, TokenStream)>),
    /// A `DirOptions { .. }`: each exclude pattern, and the `dockerignore` value.
    Dir {
        whole: TokenStream,
        patterns: Vec<TokenStream>,
        dockerignore: Option<TokenStream>,
    },
}

enum ItemSites {
    Whole(TokenStream),
    Pair { whole: TokenStream, key: TokenStream, value: TokenStream },
}

struct CallSites {
    name: TokenStream,
    args: Vec<ArgSites>,
}

/// The image built from the chain, and the source positions to report violations at.
pub(crate) struct Lowered {
    pub(crate) image: Option<Image>,
    sites: Vec<CallSites>,
}

impl Lowered {
    /// The tokens a violation at `site` points at.
    pub(crate) fn tokens(&self, site: &Site) -> TokenStream {
        let Some(call) = self.sites.get(site.call) else { return TokenStream::new() };
        let Some(arg) = call.args.get(site.arg) else { return call.name.clone() };
        match (arg, site.item) {
            (ArgSites::List(whole, items), Some(i)) => match items.get(i) {
                Some(ItemSites::Whole(t)) => t.clone(),
                Some(ItemSites::Pair { whole, key, value }) => match site.part {
                    Part::Key => key.clone(),
                    Part::Value => value.clone(),
                    Part::Whole => whole.clone(),
                },
                None => whole.clone(),
            },
            (ArgSites::Options(whole, fields), Some(f)) => PipOptionField::from_item(f)
                .and_then(|field| fields.iter().find(|(k, _)| *k == field))
                .map_or_else(|| whole.clone(), |(_, t)| t.clone()),
            (ArgSites::Dir { whole, patterns, .. }, Some(i)) => patterns.get(i).unwrap_or(whole).clone(),
            (ArgSites::Dir { whole, dockerignore, .. }, None) if site.part == Part::Value => {
                dockerignore.as_ref().unwrap_or(whole).clone()
            }
            (
                ArgSites::Whole(t)
                | ArgSites::List(t, _)
                | ArgSites::Options(t, _)
                | ArgSites::Dir { whole: t, .. },
                _,
            ) => t.clone(),
        }
    }
}

/// The methods the error for an unknown one lists: those a chain may extend with.
fn known_methods() -> String {
    let known: Vec<&str> = call::METHODS
        .iter()
        .filter(|m| !m.constructor && m.not_in_attribute.is_none())
        .map(|m| m.name)
        .collect();
    known.join(", ")
}

pub(crate) fn lower(cx: &Ctxt, calls: &[Call]) -> Lowered {
    let mut sites = Vec::new();
    // `None` until the constructor is lowered; a constructor that fails leaves nothing
    // to apply to (its error is reported), but the other calls are still checked.
    let mut recorded: Option<Vec<pj_image::call::Call>> = None;
    for (index, call) in calls.iter().enumerate() {
        let Some(method) = call::method(&call.name) else {
            cx.error_spanned_by(
                &call.name_tokens,
                format!("unknown method `{}`; the known methods are {}", call.name, known_methods()),
            );
            continue;
        };
        if let Some(why) = method.not_in_attribute {
            cx.error_spanned_by(&call.name_tokens, why);
            continue;
        }
        if call.args.len() != method.args.len() {
            cx.error_spanned_by(
                &call.name_tokens,
                format!("`{}` takes {} argument(s), found {}", call.name, method.args.len(), call.args.len()),
            );
            continue;
        }
        let before = cx.len();
        let (values, arg_sites): (Vec<Arg>, Vec<ArgSites>) =
            call.args.iter().zip(method.args).filter_map(|(expr, kind)| value(cx, expr, *kind)).unzip();
        // A constructor called as a method is left to rustc, which refuses it.
        if cx.len() != before || method.constructor != (index == 0) {
            continue;
        }
        let Some(lowered) = method.call(values) else { continue };
        match (&mut recorded, index) {
            (None, 0) => recorded = Some(vec![lowered]),
            (Some(calls), _) => calls.push(lowered),
            (None, _) => continue,
        }
        sites.push(CallSites { name: call.name_tokens.clone(), args: arg_sites });
    }
    Lowered { image: recorded.map(Image::from_calls), sites }
}

fn not_literal(cx: &Ctxt, expr: &Expr, kind: ArgKind) {
    cx.error_spanned_by(
        expr,
        format!(
            "expected {}: #[pithy_image] checks every value at compile time, so it must be written here as a literal",
            expected(kind)
        ),
    );
}

/// The argument's value and where its parts were written; `None` (with every error
/// added to `cx`) when it is not a literal of `kind`.
fn value(cx: &Ctxt, expr: &Expr, kind: ArgKind) -> Option<(Arg, ArgSites)> {
    let whole = expr.to_token_stream();
    let before = cx.len();
    let lowered = match kind {
        ArgKind::Str => chain::string(expr).map(|s| (Arg::Str(s), ArgSites::Whole(whole))),
        ArgKind::StrList => chain::list(expr).map(|items| {
            let mut values = Vec::new();
            let mut sites = Vec::new();
            for item in &items {
                match chain::string(item) {
                    Some(s) => {
                        values.push(s);
                        sites.push(ItemSites::Whole(item.to_token_stream()));
                    }
                    None => not_literal(cx, item, ArgKind::Str),
                }
            }
            (Arg::StrList(values), ArgSites::List(whole, sites))
        }),
        ArgKind::PairList => chain::list(expr).map(|items| {
            let mut values = Vec::new();
            let mut sites = Vec::new();
            for item in &items {
                let Some((k, v)) = chain::pair(item) else {
                    not_literal(cx, item, ArgKind::PairList);
                    continue;
                };
                match (chain::string(&k), chain::string(&v)) {
                    (Some(ks), Some(vs)) => {
                        values.push((ks, vs));
                        let (key, value) = (k.to_token_stream(), v.to_token_stream());
                        sites.push(ItemSites::Pair { whole: item.to_token_stream(), key, value });
                    }
                    (ks, vs) => {
                        // Point at the part of the pair that is not a literal.
                        if ks.is_none() {
                            not_literal(cx, &k, ArgKind::Str);
                        }
                        if vs.is_none() {
                            not_literal(cx, &v, ArgKind::Str);
                        }
                    }
                }
            }
            (Arg::PairList(values), ArgSites::List(whole, sites))
        }),
        ArgKind::Options => chain::struct_fields(expr, "PipOptions").map(|(fields, rest)| {
            let (o, sites) = options(cx, &fields, rest.as_ref());
            (Arg::Options(o), ArgSites::Options(whole, sites))
        }),
        // No method #[pithy_image] takes has a rule argument (`allow` is refused).
        ArgKind::Rule => None,
        ArgKind::DirOptions => chain::struct_fields(expr, "DirOptions").map(|(fields, rest)| {
            let (o, patterns, dockerignore) = dir_options(cx, &fields, rest.as_ref());
            (Arg::DirOptions(o), ArgSites::Dir { whole, patterns, dockerignore })
        }),
    };
    if lowered.is_none() {
        not_literal(cx, expr, kind);
    }
    lowered.filter(|_| cx.len() == before)
}

/// The options, field by field through pj-image's field table, with where each was written.
fn options(
    cx: &Ctxt,
    fields: &[(String, Expr)],
    rest: Option<&Expr>,
) -> (PipOptions, Vec<(PipOptionField, TokenStream)>) {
    let mut o = PipOptions::default();
    let mut sites: Vec<(PipOptionField, TokenStream)> = Vec::new();
    if let Some(rest) = rest
        && !chain::is_default(rest)
    {
        cx.error_spanned_by(rest, "write `..Default::default()` here, or list every field");
    }
    for (name, e) in fields {
        let Some(field) = PipOptionField::from_name(name) else {
            let names: Vec<&str> = PipOptionField::ALL.iter().map(|f| f.name()).collect();
            cx.error_spanned_by(
                e,
                format!("unknown PipOptions field `{name}`; the fields are {}", names.join(", ")),
            );
            continue;
        };
        let (value, what) = match field.kind() {
            OptionKind::List => (list_of_strings(e).map(OptionValue::List), "vec![<string literals>]"),
            OptionKind::OptionalStr => {
                (chain::option_string(e).map(OptionValue::OptionalStr), "Some(\"<url>\".into()) or None")
            }
            OptionKind::Str => {
                (chain::string(e).map(OptionValue::Str), "a string literal, e.g. \"--no-cache-dir\".into()")
            }
            OptionKind::Bool => (chain::boolean(e).map(OptionValue::Bool), "`true` or `false`"),
        };
        match value {
            Some(v) => {
                o.set(field, v);
                sites.retain(|(f, _)| *f != field);
                sites.push((field, e.to_token_stream()));
            }
            None => cx.error_spanned_by(
                e,
                format!("expected {what}: #[pithy_image] checks every value at compile time"),
            ),
        }
    }
    (o, sites)
}

/// The directory options, with where each pattern and the `dockerignore` value were written.
fn dir_options(
    cx: &Ctxt,
    fields: &[(String, Expr)],
    rest: Option<&Expr>,
) -> (DirOptions, Vec<TokenStream>, Option<TokenStream>) {
    let mut o = DirOptions::default();
    let (mut patterns, mut dockerignore) = (Vec::new(), None);
    if let Some(rest) = rest
        && !chain::is_default(rest)
    {
        cx.error_spanned_by(rest, "write `..Default::default()` here, or list every field");
    }
    for (name, e) in fields {
        match name.as_str() {
            "exclude" => match chain::list(e) {
                Some(items) => {
                    o.exclude.clear();
                    patterns.clear();
                    for item in &items {
                        match chain::string(item) {
                            Some(p) => {
                                o.exclude.push(p);
                                patterns.push(item.to_token_stream());
                            }
                            None => not_literal(cx, item, ArgKind::Str),
                        }
                    }
                }
                None => cx.error_spanned_by(
                    e,
                    "expected vec![<string literals>], e.g. vec![\"target\".into()]: \
                     #[pithy_image] checks every pattern at compile time",
                ),
            },
            "dockerignore" => match chain::boolean(e) {
                Some(b) => {
                    o.dockerignore = b;
                    dockerignore = Some(e.to_token_stream());
                }
                None => cx.error_spanned_by(e, "expected `true` or `false`"),
            },
            other => cx.error_spanned_by(
                e,
                format!(
                    "unknown DirOptions field `{other}`; the fields are {}",
                    DirOptions::FIELDS.join(", ")
                ),
            ),
        }
    }
    (o, patterns, dockerignore)
}

fn list_of_strings(expr: &Expr) -> Option<Vec<String>> {
    chain::list(expr)?.iter().map(chain::string).collect()
}

//! Lowering the chain onto pj-image's own builder, remembering where each argument
//! was written so that a violation's `Site` maps back to its literal.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Expr;

use pj_image::{Image, Part, PipOptionField, PipOptions, Site};

use crate::chain::{self, Call};

/// The methods the macro knows, with their argument kinds.
const METHODS: &[(&str, &[Kind])] = &[
    ("base", &[Kind::Str]),
    ("debian_slim", &[Kind::Str]),
    ("pip_install", &[Kind::StrList]),
    ("pip_install_with", &[Kind::StrList, Kind::Options]),
    ("pip_install_from_requirements", &[Kind::Str]),
    ("pip_install_from_requirements_with", &[Kind::Str, Kind::Options]),
    ("pip_install_from_pyproject", &[Kind::Str, Kind::StrList]),
    ("pip_install_from_pyproject_with", &[Kind::Str, Kind::StrList, Kind::Options]),
    ("add_local_file", &[Kind::Str, Kind::Str]),
    ("add_local_dir", &[Kind::Str, Kind::Str]),
    ("run_commands", &[Kind::StrList]),
    ("apt_install", &[Kind::StrList]),
    ("env", &[Kind::PairList]),
    ("workdir", &[Kind::Str]),
    ("entrypoint", &[Kind::StrList]),
    ("cmd", &[Kind::StrList]),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    StrList,
    PairList,
    Options,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Str => "a string literal, e.g. \"ubuntu:22.04\"",
            Kind::StrList => "an array of string literals, e.g. [\"requests==2.32.3\"]",
            Kind::PairList => "an array of (key, value) string literal pairs, e.g. [(\"MODEL\", \"gpt-4o\")]",
            Kind::Options => {
                "a PipOptions { .. } of literals, e.g. PipOptions { pre: true, ..Default::default() }"
            }
        }
    }
}

enum Value {
    Str(String),
    List(Vec<String>),
    Pairs(Vec<(String, String)>),
    Options(PipOptions),
}

/// Where the parts of one argument were written.
enum ArgSites {
    Whole(TokenStream),
    List(TokenStream, Vec<ItemSites>),
    Options(TokenStream, [Option<TokenStream>; 4]),
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
    pub(crate) errors: Vec<syn::Error>,
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
            (ArgSites::Options(whole, fields), Some(f)) => {
                fields.get(f).cloned().flatten().unwrap_or_else(|| whole.clone())
            }
            (ArgSites::Whole(t) | ArgSites::List(t, _) | ArgSites::Options(t, _), _) => t.clone(),
        }
    }
}

pub(crate) fn lower(calls: &[Call]) -> Lowered {
    let mut out = Lowered { image: None, sites: Vec::new(), errors: Vec::new() };
    for (index, call) in calls.iter().enumerate() {
        if call.name == "context_root" {
            out.errors.push(syn::Error::new_spanned(
                &call.name_tokens,
                "#[pithy_image] resolves local paths against the crate directory; remove `.context_root(..)`",
            ));
            continue;
        }
        if call.name == "allow" {
            out.errors.push(syn::Error::new_spanned(
                &call.name_tokens,
                "in #[pithy_image], silence a rule in the attribute instead: \
                 #[pithy_image(allow(pip-needs-python))]; remove `.allow(..)`",
            ));
            continue;
        }
        let Some((_, kinds)) = METHODS.iter().find(|(name, _)| *name == call.name) else {
            let known: Vec<&str> = METHODS.iter().skip(2).map(|(n, _)| *n).collect();
            out.errors.push(syn::Error::new_spanned(
                &call.name_tokens,
                format!("unknown method `{}`; the known methods are {}", call.name, known.join(", ")),
            ));
            continue;
        };
        if call.args.len() != kinds.len() {
            out.errors.push(syn::Error::new_spanned(
                &call.name_tokens,
                format!("`{}` takes {} argument(s), found {}", call.name, kinds.len(), call.args.len()),
            ));
            continue;
        }
        let mut values = Vec::new();
        let mut arg_sites = Vec::new();
        let mut ok = true;
        for (expr, kind) in call.args.iter().zip(kinds.iter()) {
            match value(expr, *kind) {
                Ok((v, s)) => {
                    values.push(v);
                    arg_sites.push(s);
                }
                Err(e) => {
                    out.errors.push(e);
                    ok = false;
                }
            }
        }
        if !ok {
            continue;
        }
        if index == 0 {
            out.image = construct(&call.name, values);
        } else if let Some(image) = out.image.take() {
            out.image = Some(apply(image, &call.name, values));
        } else {
            // The constructor failed; nothing to apply to, and its error is reported.
            continue;
        }
        out.sites.push(CallSites { name: call.name_tokens.clone(), args: arg_sites });
    }
    out
}

fn construct(name: &str, mut values: Vec<Value>) -> Option<Image> {
    match (name, values.pop()) {
        ("base", Some(Value::Str(s))) => Some(Image::base(s)),
        ("debian_slim", Some(Value::Str(s))) => Some(Image::debian_slim(s)),
        _ => None,
    }
}

fn apply(image: Image, name: &str, values: Vec<Value>) -> Image {
    let mut it = values.into_iter();
    let mut str_ = || match it.next() {
        Some(Value::Str(s)) => s,
        _ => String::new(),
    };
    // The kinds were checked against METHODS, so each pattern below holds.
    match name {
        "add_local_file" => {
            let (l, r) = (str_(), str_());
            image.add_local_file(l, r)
        }
        "add_local_dir" => {
            let (l, r) = (str_(), str_());
            image.add_local_dir(l, r)
        }
        "workdir" => image.workdir(str_()),
        "pip_install_from_requirements" => image.pip_install_from_requirements(str_()),
        _ => apply_compound(image, name, it.collect()),
    }
}

fn apply_compound(image: Image, name: &str, values: Vec<Value>) -> Image {
    use Value::{List, Options, Pairs, Str};
    match (name, values.as_slice()) {
        ("pip_install", [List(p)]) => image.pip_install(p),
        ("pip_install_with", [List(p), Options(o)]) => image.pip_install_with(p, o.clone()),
        ("pip_install_from_requirements_with", [Str(p), Options(o)]) => {
            image.pip_install_from_requirements_with(p, o.clone())
        }
        ("pip_install_from_pyproject", [Str(p), List(g)]) => image.pip_install_from_pyproject(p, g),
        ("pip_install_from_pyproject_with", [Str(p), List(g), Options(o)]) => {
            image.pip_install_from_pyproject_with(p, g, o.clone())
        }
        ("run_commands", [List(c)]) => image.run_commands(c),
        ("apt_install", [List(p)]) => image.apt_install(p),
        ("env", [Pairs(e)]) => image.env(e.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ("entrypoint", [List(a)]) => image.entrypoint(a),
        ("cmd", [List(a)]) => image.cmd(a),
        _ => image,
    }
}

fn not_literal(expr: &Expr, kind: Kind) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        format!(
            "expected {}: #[pithy_image] checks every value at compile time, so it must be written here as a literal",
            kind.expected()
        ),
    )
}

fn value(expr: &Expr, kind: Kind) -> Result<(Value, ArgSites), syn::Error> {
    let whole = expr.to_token_stream();
    match kind {
        Kind::Str => {
            let s = chain::string(expr).ok_or_else(|| not_literal(expr, kind))?;
            Ok((Value::Str(s), ArgSites::Whole(whole)))
        }
        Kind::StrList => {
            let items = chain::list(expr).ok_or_else(|| not_literal(expr, kind))?;
            let mut values = Vec::new();
            let mut sites = Vec::new();
            let mut errors: Option<syn::Error> = None;
            for item in &items {
                match chain::string(item) {
                    Some(s) => {
                        values.push(s);
                        sites.push(ItemSites::Whole(item.to_token_stream()));
                    }
                    None => combine(&mut errors, not_literal(item, Kind::Str)),
                }
            }
            match errors {
                Some(e) => Err(e),
                None => Ok((Value::List(values), ArgSites::List(whole, sites))),
            }
        }
        Kind::PairList => {
            let items = chain::list(expr).ok_or_else(|| not_literal(expr, kind))?;
            let mut values = Vec::new();
            let mut sites = Vec::new();
            let mut errors: Option<syn::Error> = None;
            for item in &items {
                let Some((k, v)) = chain::pair(item) else {
                    combine(&mut errors, not_literal(item, Kind::PairList));
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
                            combine(&mut errors, not_literal(&k, Kind::Str));
                        }
                        if vs.is_none() {
                            combine(&mut errors, not_literal(&v, Kind::Str));
                        }
                    }
                }
            }
            match errors {
                Some(e) => Err(e),
                None => Ok((Value::Pairs(values), ArgSites::List(whole, sites))),
            }
        }
        Kind::Options => {
            options(expr).map(|(o, fields)| (Value::Options(o), ArgSites::Options(whole, fields)))
        }
    }
}

fn combine(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

fn options(expr: &Expr) -> Result<(PipOptions, [Option<TokenStream>; 4]), syn::Error> {
    let (fields, rest) = chain::pip_options(expr).ok_or_else(|| not_literal(expr, Kind::Options))?;
    let mut o = PipOptions::default();
    let mut sites: [Option<TokenStream>; 4] = Default::default();
    let mut errors: Option<syn::Error> = None;
    if let Some(rest) = &rest
        && !chain::is_default(rest)
    {
        combine(
            &mut errors,
            syn::Error::new_spanned(rest, "write `..Default::default()` here, or list every field"),
        );
    }
    let bad = |e: &Expr, what: &str| {
        syn::Error::new_spanned(
            e,
            format!("expected {what}: #[pithy_image] checks every value at compile time"),
        )
    };
    for (name, e) in &fields {
        let tokens = Some(e.to_token_stream());
        match name.as_str() {
            "find_links" => match list_of_strings(e) {
                Some(v) => (o.find_links, sites[PipOptionField::FindLinks.item()]) = (v, tokens),
                None => combine(&mut errors, bad(e, "vec![<string literals>]")),
            },
            "extra_index_urls" => match list_of_strings(e) {
                Some(v) => (o.extra_index_urls, sites[PipOptionField::ExtraIndexUrls.item()]) = (v, tokens),
                None => combine(&mut errors, bad(e, "vec![<string literals>]")),
            },
            "index_url" => match chain::option_string(e) {
                Some(v) => (o.index_url, sites[PipOptionField::IndexUrl.item()]) = (v, tokens),
                None => combine(&mut errors, bad(e, "Some(\"<url>\".into()) or None")),
            },
            "extra_options" => match chain::string(e) {
                Some(v) => (o.extra_options, sites[PipOptionField::ExtraOptions.item()]) = (v, tokens),
                None => combine(&mut errors, bad(e, "a string literal, e.g. \"--no-cache-dir\".into()")),
            },
            "pre" => match chain::boolean(e) {
                Some(v) => o.pre = v,
                None => combine(&mut errors, bad(e, "`true` or `false`")),
            },
            other => combine(
                &mut errors,
                syn::Error::new_spanned(
                    e,
                    format!(
                        "unknown PipOptions field `{other}`; the fields are find_links, index_url, \
                         extra_index_urls, pre, extra_options"
                    ),
                ),
            ),
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok((o, sites)),
    }
}

fn list_of_strings(expr: &Expr) -> Option<Vec<String>> {
    chain::list(expr)?.iter().map(chain::string).collect()
}

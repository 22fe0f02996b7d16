//! The expansion: parse, check with pj-image, then emit the item with its embedded
//! definition, or the item with every error.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use pj_image::{ContextKind, Definition, Resources, Rule};

use crate::ctxt::Ctxt;
use crate::{attr, chain, lower};

/// Overrides `CARGO_MANIFEST_DIR` as the root of local paths (trybuild compiles test
/// cases in another directory).
pub(crate) const MANIFEST_DIR_OVERRIDE: &str = "PITHY_IMAGE_MANIFEST_DIR";

/// Files up to this size are tracked with `include_bytes!`.
const INCLUDE_LIMIT: u64 = 1 << 20;

/// The context hash cache in `OUT_DIR` (see `pj_image::context::HashCache`).
const HASH_CACHE: &str = "pithy-context-hashes";

pub(crate) fn pithy_image(attr: TokenStream, item: TokenStream) -> TokenStream {
    // The macro never panics; should a dependency do so, the user still gets the item
    // and an error instead of an aborted compile.
    let guarded = std::panic::catch_unwind(|| expand(attr, item.clone()));
    match guarded {
        Ok(tokens) => tokens,
        Err(_) => {
            let msg = "internal error in #[pithy_image]; please report it with this definition";
            quote! { #item ::core::compile_error!(#msg); }
        }
    }
}

fn root() -> Result<PathBuf, String> {
    std::env::var(MANIFEST_DIR_OVERRIDE)
        .or_else(|_| std::env::var("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .map_err(|_| "CARGO_MANIFEST_DIR is not set; build the crate with cargo".to_owned())
}

/// The snapshot name the crate's build script resolved: Cargo passes its
/// `cargo:rustc-env=PITHY_SNAPSHOT=..` to rustc's environment, where the macro runs.
/// Empty without the build script (trybuild cases have none).
fn snapshot() -> String {
    std::env::var(pj_image::definition::SNAPSHOT_ENV).unwrap_or_default()
}

/// How many of the largest files an over-budget error names.
const LARGEST_SHOWN: usize = 5;

/// The error when the contexts (each stored object once) hold more than `budget_mb`
/// megabytes, naming the largest files; `None` within the budget.
fn over_budget(rendered: &pj_image::Rendered, budget_mb: u64) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    let mut total: u64 = 0;
    let mut largest: Vec<(String, u64)> = Vec::new();
    for c in rendered.contexts.iter().filter(|c| seen.insert(c.md5.clone())) {
        let exclude = c.exclusion().unwrap_or_default();
        let summary = pj_image::context::scan_excluding(c.source_path(), &c.archive_path, c.kind, &exclude);
        total = total.saturating_add(summary.map(|s| s.bytes).unwrap_or(0));
        largest.extend(pj_image::context::largest_files(
            c.source_path(),
            &c.archive_path,
            &exclude,
            LARGEST_SHOWN,
        ));
    }
    if total <= budget_mb.saturating_mul(1_000_000) {
        return None;
    }
    largest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let named: Vec<String> = largest
        .iter()
        .take(LARGEST_SHOWN)
        .map(|(path, bytes)| format!("`{path}` ({})", megabytes(*bytes)))
        .collect();
    Some(format!(
        "the contexts hold {}, over max_context_mb = {budget_mb}; the largest files are {}. Leave out what \
         the image does not need with .add_local_dir_with(.., DirOptions {{ exclude: vec![..], .. }}) (or a \
         .dockerignore), or raise max_context_mb",
        megabytes(total),
        named.join(", ")
    ))
}

/// `12.3 MB` (10^6 bytes), or bytes below a kilobyte.
fn megabytes(bytes: u64) -> String {
    if bytes < 1000 { format!("{bytes} B") } else { format!("{:.1} MB", bytes as f64 / 1e6) }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    // Every error goes to `cx`; each way out emits all of them (`cx.check()`).
    let cx = Ctxt::new();
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            cx.error_spanned_by(&item, "#[pithy_image] goes on a function returning `Image`");
            return with_errors(item, cx.check(), None);
        }
    };
    let signature_ok = signature(&func).map_err(|e| cx.syn_error(e)).is_ok();
    let (parsed, well_formed) = attr::parse(&cx, attr);
    let allow = parsed.allow.clone();
    // Resources are only checked (and used) when the attribute is well formed.
    let attr = well_formed.then_some(parsed);
    let resources = attr.as_ref().map(|a| a.resources).unwrap_or_default();
    if let Some(a) = &attr {
        for (field, finding) in resources.check() {
            let tokens =
                a.spans.iter().find(|(k, _)| *k == field).map(|(_, t)| t.clone()).unwrap_or_default();
            cx.error_spanned_by(tokens, message(finding.rule, &finding.message));
        }
    }
    let calls = match chain::calls(&func.block) {
        Ok(c) => c,
        Err(e) => {
            cx.syn_error(e);
            return with_errors(item, cx.check(), Some((&func, resources)));
        }
    };
    let lowered = lower::lower(&cx, &calls);
    let Some(image) = lowered.image.clone() else {
        return with_errors(item, cx.check(), Some((&func, resources)));
    };
    let root = match root() {
        Ok(r) => r,
        Err(msg) => {
            cx.error_spanned_by(&func.sig.ident, msg);
            return with_errors(item, cx.check(), Some((&func, resources)));
        }
    };
    let mut image = image.context_root(&root);
    for rule in allow {
        image = image.allow(rule);
    }
    // Hashes are remembered in OUT_DIR: cargo compiles a crate twice on its first build
    // (the build script learns which contexts to watch from the first), and again after
    // every code edit; neither needs to read unchanged contexts.
    let mut cache = match std::env::var_os("OUT_DIR") {
        Some(dir) => pj_image::context::HashCache::open(PathBuf::from(dir).join(HASH_CACHE)),
        None => pj_image::context::HashCache::none(),
    };
    let rendered = image.render_cached(&mut cache);
    // A cache that cannot be written only costs a re-read next time.
    let _ = cache.save();
    let rendered = match rendered {
        Ok(r) => Some(r),
        Err(violations) => {
            for v in violations.iter() {
                cx.error_spanned_by(lowered.tokens(&v.site), message(v.rule, &v.message));
            }
            None
        }
    };
    if let (Some(rendered), Some((budget, tokens))) =
        (&rendered, attr.as_ref().and_then(|a| a.max_context_mb.clone()))
        && let Some(over) = over_budget(rendered, budget)
    {
        cx.error_spanned_by(tokens, over);
    }
    let Some(rendered) = rendered.filter(|_| cx.len() == 0 && signature_ok) else {
        return with_errors(item, cx.check(), Some((&func, resources)));
    };
    let definition =
        Definition::new(&func.sig.ident.to_string(), &rendered, resources).with_snapshot(snapshot());
    let mut tracked: Vec<String> = Vec::new();
    for c in definition.contexts.iter() {
        match c.kind {
            ContextKind::File => tracked.push(c.source.to_string()),
            ContextKind::Dir => tracked.push(format!("{}/", c.source)),
        }
    }
    tracked.extend(definition.files.iter().map(ToString::to_string));
    let mut manifest = None;
    if let Ok(out_dir) = std::env::var("OUT_DIR") {
        let out_dir = PathBuf::from(out_dir);
        let written = definition.write_manifest(&out_dir).and_then(|path| {
            pj_image::definition::write_track_file(&out_dir, &tracked)?;
            Ok(path)
        });
        match written {
            Ok(path) => manifest = Some(compiled_manifest(&func, &path)),
            Err(e) => {
                let msg = format!("cannot write the pithy image manifest into {}: {e}", out_dir.display());
                cx.error_spanned_by(&func.sig.ident, msg);
                return with_errors(item, cx.check(), Some((&func, resources)));
            }
        }
    }
    // Nothing was collected on the way here: the definition is emitted without errors.
    let _none = cx.check();
    // `include_bytes!` loads the file into the compiler, so large files (model weights)
    // are left to the build script, which watches everything in the track file.
    let files = tracked
        .iter()
        .filter(|p| !p.ends_with('/'))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= INCLUDE_LIMIT));
    let constant = definition_const(&func, &definition, true);
    quote! {
        #item
        #constant
        #manifest
        // Recompile (and re-check) when a file the definition read changes.
        const _: () = { #( const _: &[u8] = ::core::include_bytes!(#files); )* };
    }
}

/// Binds the manifest to this compilation, and allows one per crate:
/// - `include_bytes!` of the manifest puts its path in the crate's dep-info, which is
///   how `cargo xtask` finds the manifest of the artifact cargo built (see
///   `pj_image::definition`), and makes cargo rebuild the crate if the file goes away;
/// - a `#[macro_export]` macro lives at the crate root whatever module the function is
///   in, so a second `#[pithy_image]` in the crate is a compile error ("defined multiple
///   times", pointing at the second function) instead of a second manifest.
fn compiled_manifest(func: &syn::ItemFn, path: &std::path::Path) -> TokenStream {
    let path = path.to_string_lossy();
    // Spanned on the function's name, so the error points at the second function.
    let span = func.sig.ident.span();
    let guard = quote::quote_spanned! {span=>
        #[doc(hidden)]
        #[macro_export]
        macro_rules! only_one_pithy_image_per_crate { () => {}; }
    };
    quote! {
        const _: &[u8] = ::core::include_bytes!(#path);
        #guard
    }
}

/// The compile error for a violation: its message with the rule id at the end of the
/// first line, and for a rule that may be silenced, how to do so.
pub(crate) fn message(rule: Rule, message: &str) -> String {
    let (first, rest) = match message.split_once('\n') {
        Some((first, rest)) => (first, Some(rest)),
        None => (message, None),
    };
    let mut out = format!("{first} [{rule}]");
    if let Some(rest) = rest {
        out.push('\n');
        out.push_str(rest);
    }
    if rule.silenceable() {
        out.push_str(&format!(
            "\n= help: if this image builds anyway, add allow({rule}) to #[pithy_image(...)]"
        ));
    }
    out
}

/// A #[pithy_image] function is `fn name() -> Image`: its definition is all in the body.
fn signature(func: &syn::ItemFn) -> Result<(), syn::Error> {
    let returns_image = match &func.sig.output {
        syn::ReturnType::Type(_, ty) => match ty.as_ref() {
            syn::Type::Path(p) => {
                p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Image")
            }
            _ => false,
        },
        syn::ReturnType::Default => false,
    };
    if !func.sig.inputs.is_empty() || !returns_image || !func.sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &func.sig,
            "a #[pithy_image] function takes no arguments and returns `Image`: `fn image() -> Image { Image::base(..)... }`",
        ));
    }
    Ok(())
}

/// The item, a placeholder definition (so code using it still type-checks; the build
/// fails on the errors anyway), and every error.
fn with_errors(
    item: TokenStream,
    errors: Vec<syn::Error>,
    func: Option<(&syn::ItemFn, Resources)>,
) -> TokenStream {
    let errors = errors.into_iter().map(syn::Error::into_compile_error);
    let placeholder = func.map(|(f, resources)| {
        let def = Definition {
            function: f.sig.ident.to_string().into(),
            snapshot: "".into(),
            dockerfile: "".into(),
            contexts: Vec::new().into(),
            resources,
            build_key: "".into(),
            files: Vec::new().into(),
        };
        definition_const(f, &def, false)
    });
    quote! { #item #placeholder #( #errors )* }
}

fn definition_const(func: &syn::ItemFn, def: &Definition, use_function: bool) -> TokenStream {
    let vis = &func.vis;
    let ident = format_ident!("PITHY_DEFINITION");
    let doc = format!(
        "The checked definition of [`{}`], rendered at compile time by `#[pithy_image]`.",
        func.sig.ident
    );
    let function = def.function.as_ref();
    let snapshot = def.snapshot.as_ref();
    let dockerfile = def.dockerfile.as_ref();
    let build_key = def.build_key.as_ref();
    let contexts = def.contexts.iter().map(|c| {
        let (source, archive, md5) = (c.source.as_ref(), c.archive_path.as_ref(), c.md5.as_ref());
        let kind = match c.kind {
            ContextKind::File => quote!(::pj_image::ContextKind::File),
            ContextKind::Dir => quote!(::pj_image::ContextKind::Dir),
        };
        let exclude = c.exclude.iter().map(|p| {
            let p = p.as_ref();
            quote!(::std::borrow::Cow::Borrowed(#p))
        });
        quote! {
            ::pj_image::Context {
                source: ::std::borrow::Cow::Borrowed(#source),
                archive_path: ::std::borrow::Cow::Borrowed(#archive),
                kind: #kind,
                md5: ::std::borrow::Cow::Borrowed(#md5),
                exclude: ::std::borrow::Cow::Borrowed(&[ #( #exclude ),* ]),
            }
        }
    });
    let files = def.files.iter().map(|f| {
        let f = f.as_ref();
        quote!(::std::borrow::Cow::Borrowed(#f))
    });
    let Resources { cpu, memory, disk, gpu } = def.resources;
    let name = &func.sig.ident;
    // The definition is what the application uses; this marks the function as used.
    let use_function = use_function.then(|| quote!(const _: fn() -> ::pj_image::Image = #name;));
    quote! {
        #use_function
        #[doc = #doc]
        #vis const #ident: ::pj_image::Definition = {
            const CONTEXTS: &[::pj_image::Context] = &[ #( #contexts ),* ];
            const FILES: &[::std::borrow::Cow<'static, str>] = &[ #( #files ),* ];
            ::pj_image::Definition {
                function: ::std::borrow::Cow::Borrowed(#function),
                snapshot: ::std::borrow::Cow::Borrowed(#snapshot),
                dockerfile: ::std::borrow::Cow::Borrowed(#dockerfile),
                contexts: ::std::borrow::Cow::Borrowed(CONTEXTS),
                resources: ::pj_image::Resources { cpu: #cpu, memory: #memory, disk: #disk, gpu: #gpu },
                build_key: ::std::borrow::Cow::Borrowed(#build_key),
                files: ::std::borrow::Cow::Borrowed(FILES),
            }
        };
    }
}

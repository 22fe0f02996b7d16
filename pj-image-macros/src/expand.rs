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

/// The snapshot name the crate's build script resolved for the image: Cargo passes its
/// `cargo:rustc-env=PITHY_SNAPSHOT=..` (`PITHY_SNAPSHOT_GPU` for the image `gpu`) to
/// rustc's environment, where the macro runs. Empty without the build script (trybuild
/// cases have none).
fn snapshot(image: Option<&str>) -> String {
    std::env::var(pj_image::image_var(pj_image::definition::SNAPSHOT_ENV, image)).unwrap_or_default()
}

/// The error when the build script ran but did not announce the image `name`
/// (`PITHY_IMAGES`, from `[package.metadata.pithy-image] images`): its snapshot name, and
/// `env!("PITHY_SNAPSHOT_<NAME>")`, would not exist. `None` when it is announced, or when
/// the crate has no build script (then no image has a name, as for the unnamed one).
fn unannounced(name: &str) -> Option<String> {
    let announced = std::env::var(pj_image::definition::IMAGES_ENV).ok()?;
    if announced.split(',').any(|a| a == name) {
        return None;
    }
    let listed = if announced.is_empty() {
        "it declares none".to_owned()
    } else {
        format!(
            "it declares {}",
            announced.split(',').map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
        )
    };
    Some(format!(
        "image \"{name}\" is not declared in the crate's Cargo.toml ({listed}); add it to \
         `[package.metadata.pithy-image] images = [.., \"{name}\"]`, so the build script gives it the \
         snapshot name and `env!(\"{}\")`",
        pj_image::image_var(pj_image::definition::SNAPSHOT_ENV, Some(name))
    ))
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
            return with_errors(item, cx.check(), None, None);
        }
    };
    let signature_ok = signature(&func).map_err(|e| cx.syn_error(e)).is_ok();
    let (parsed, well_formed) = attr::parse(&cx, attr);
    let allow = parsed.allow.clone();
    let name = parsed.name.clone();
    let image_name = name.as_ref().map(|(n, _)| n.as_str());
    if let Some((n, lit)) = &name
        && let Some(msg) = unannounced(n)
    {
        cx.error_spanned_by(lit, msg);
    }
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
            return with_errors(item, cx.check(), Some((&func, resources)), image_name);
        }
    };
    let lowered = lower::lower(&cx, &calls);
    let Some(image) = lowered.image.clone() else {
        return with_errors(item, cx.check(), Some((&func, resources)), image_name);
    };
    let root = match root() {
        Ok(r) => r,
        Err(msg) => {
            cx.error_spanned_by(&func.sig.ident, msg);
            return with_errors(item, cx.check(), Some((&func, resources)), image_name);
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
        return with_errors(item, cx.check(), Some((&func, resources)), image_name);
    };
    let definition = Definition::new(&func.sig.ident.to_string(), &rendered, resources)
        .with_image(image_name.unwrap_or_default().to_owned())
        .with_snapshot(snapshot(image_name));
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
            pj_image::definition::write_track_file(&out_dir, image_name, &tracked)?;
            Ok(path)
        });
        match written {
            Ok(path) => manifest = Some(compiled_manifest(&path)),
            Err(e) => {
                let msg = format!("cannot write the pithy image manifest into {}: {e}", out_dir.display());
                cx.error_spanned_by(&func.sig.ident, msg);
                return with_errors(item, cx.check(), Some((&func, resources)), image_name);
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
    // Only in a crate with the build script, as with the names: without it (doctests,
    // examples of the macro itself) images have no snapshot, and modules may repeat them.
    let guard = std::env::var_os(pj_image::definition::IMAGES_ENV)
        .map(|_| one_per_name(name.as_ref().map(|(n, lit)| (n.as_str(), lit))));
    quote! {
        #item
        #constant
        #manifest
        #guard
        // Recompile (and re-check) when a file the definition read changes.
        const _: () = { #( const _: &[u8] = ::core::include_bytes!(#files); )* };
    }
}

/// Binds the manifest to this compilation: `include_bytes!` of the manifest puts its
/// path in the crate's dep-info, which is how `cargo xtask` finds the manifests of the
/// artifact cargo built (see `pj_image::definition`), and makes cargo rebuild the crate if
/// the file goes away.
fn compiled_manifest(path: &std::path::Path) -> TokenStream {
    let path = path.to_string_lossy();
    quote! { const _: &[u8] = ::core::include_bytes!(#path); }
}

/// Allows one image per name in a crate (one unnamed): a `#[macro_export]` macro lives at
/// the crate root whatever module the function is in, so a second image of the same name
/// defines it again, which rustc refuses ("defined multiple times") on the second one.
/// rustc's own name resolution sees exactly the items of this compilation; state kept by
/// the macro (files in `OUT_DIR`, statics) would also see an editor's expansions and
/// older builds (`docs/DESIGN.md` "Several images per crate"). Spanned on the second
/// image's `name = ".."` literal, or its attribute when it has no name.
fn one_per_name(name: Option<(&str, &syn::LitStr)>) -> TokenStream {
    let (guard, span) = match name {
        None => (format_ident!("only_one_pithy_image_per_crate"), proc_macro2::Span::call_site()),
        Some((name, lit)) => {
            (format_ident!("only_one_pithy_image_named_{}_per_crate", name.replace('-', "_")), lit.span())
        }
    };
    quote::quote_spanned! {span=>
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #guard { () => {}; }
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
    image: Option<&str>,
) -> TokenStream {
    let errors = errors.into_iter().map(syn::Error::into_compile_error);
    let placeholder = func.map(|(f, resources)| {
        let def = Definition {
            function: f.sig.ident.to_string().into(),
            image: image.unwrap_or_default().to_owned().into(),
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
    let ident =
        format_ident!("{}", pj_image::image_var(pj_image::definition::DEFINITION_CONST, def.image_name()));
    let doc = format!(
        "The checked definition of [`{}`], rendered at compile time by `#[pithy_image]`.",
        func.sig.ident
    );
    let function = def.function.as_ref();
    let image = def.image.as_ref();
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
                image: ::std::borrow::Cow::Borrowed(#image),
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

//! Expansion time of `#[pithy_image]`, calling the expansion function directly (a
//! proc-macro crate exports only macros, so the modules are included by path).
//!
//! `cargo bench -p pj-image-macros` prints the median and mean per expansion for the
//! reference image (examples/pithy-jaunt) and for a 200-step definition.

// Setting PITHY_IMAGE_MANIFEST_DIR before any thread starts, as the macro reads it.
#![allow(unsafe_code)]

#[path = "../src/attr.rs"]
mod attr;
#[path = "../src/chain.rs"]
mod chain;
#[path = "../src/ctxt.rs"]
mod ctxt;
#[path = "../src/expand.rs"]
mod expand;
#[path = "../src/lower.rs"]
mod lower;

use std::time::{Duration, Instant};

use proc_macro2::TokenStream;
use quote::quote;

fn reference() -> (TokenStream, TokenStream) {
    let attr = quote!(cpu = 2, memory = 4, disk = 8);
    let item = quote! {
        pub fn image() -> Image {
            Image::base("debian:bookworm-slim")
                .apt_install(["ca-certificates", "curl", "git", "jq", "python3-venv"])
                .run_commands(["python3 -m venv /opt/venv"])
                .env([("PATH", "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])
                .pip_install(["openai==1.54.0", "anthropic==0.39.0"])
                .add_local_file("sandbox/execution.sh", "/app/execution.sh")
                .add_local_file("sandbox/agent-runner.py", "/app/agent-runner.py")
                .workdir("/app")
        }
    };
    (attr, item)
}

fn two_hundred_steps() -> (TokenStream, TokenStream) {
    let mut chain = quote!(Image::base("python:3.12-slim-bookworm"));
    for i in 0..200 {
        let step = match i % 5 {
            0 => {
                let cmd = format!("echo step {i} && true");
                quote!(.run_commands([#cmd]))
            }
            1 => {
                let key = format!("VAR_{i}");
                let value = format!("value {i}");
                quote!(.env([(#key, #value)]))
            }
            2 => {
                let pkg = format!("package-{i}==1.{i}.0");
                quote!(.pip_install([#pkg, "requests==2.32.3"]))
            }
            3 => {
                let remote = format!("/app/{i}/execution.sh");
                quote!(.add_local_file("sandbox/execution.sh", #remote))
            }
            _ => {
                let dir = format!("/work/{i}");
                quote!(.workdir(#dir))
            }
        };
        chain = quote!(#chain #step);
    }
    (quote!(cpu = 2), quote!(pub fn image() -> Image { #chain }))
}

fn measure(name: &str, (attr, item): (TokenStream, TokenStream), runs: usize) {
    let out = expand::pithy_image(attr.clone(), item.clone()).to_string();
    assert!(!out.contains("compile_error"), "{name} must expand without errors: {out}");
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let tokens = expand::pithy_image(attr.clone(), item.clone());
        times.push(start.elapsed());
        std::hint::black_box(tokens);
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / runs as u32;
    println!(
        "{name:<28} median {:>9.3} ms   mean {:>9.3} ms   min {:>9.3} ms   ({runs} runs)",
        times[runs / 2].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
    );
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/pithy-jaunt");
    // SAFETY: single-threaded at this point; nothing else reads the environment.
    unsafe { std::env::set_var(expand::MANIFEST_DIR_OVERRIDE, root) };
    measure("reference image", reference(), 200);
    measure("200-step definition", two_hundred_steps(), 50);
}

//! Build orchestration for Yishi. `cargo xtask frontend [--release]` builds the Leptos
//! app for wasm32, generates its JavaScript bindings in-process (no tool downloads) and
//! writes `dist/` at the workspace root, which the server serves at `/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const FRONTEND_PACKAGE: &str = "yishi-frontend";
/// cargo names a wasm `bin` after the package (dashes kept)…
const FRONTEND_BIN: &str = "yishi-frontend";
/// …and dist/ uses this stem: `yishi_frontend.js`, `yishi_frontend_bg.wasm`.
const FRONTEND_ARTIFACT: &str = "yishi_frontend";
/// Uncompressed release size we aim to stay under (reported, not enforced).
const RELEASE_WASM_BUDGET: u64 = 1_500_000;

fn main() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("frontend") => {
            let mut release = false;
            for arg in &args[1..] {
                match arg.as_str() {
                    "--release" => release = true,
                    other => bail!("unknown option for `frontend`: {other}"),
                }
            }
            build_frontend(release)
        }
        Some("check-bindgen") => check_bindgen_pin(&workspace_root()?).map(|v| {
            println!("wasm-bindgen {v}: Cargo.lock, frontend and xtask agree");
        }),
        _ => {
            eprintln!(
                "usage: cargo xtask frontend [--release]   build the web app into dist/\n       cargo xtask check-bindgen            compare the wasm-bindgen pins with Cargo.lock"
            );
            std::process::exit(2)
        }
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("xtask"));
    let root = manifest_dir
        .parent()
        .context("xtask has no parent directory")?
        .to_path_buf();
    Ok(root)
}

fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn build_frontend(release: bool) -> Result<()> {
    let root = workspace_root()?;
    let bindgen_version = check_bindgen_pin(&root)?;
    ensure_wasm_target()?;

    let profile = if release { "wasm-release" } else { "dev" };
    let status = Command::new(cargo())
        .current_dir(&root)
        .args(["build", "-p", FRONTEND_PACKAGE, "--target", WASM_TARGET, "--profile", profile])
        .status()
        .context("running cargo build for the frontend")?;
    if !status.success() {
        bail!("cargo build of {FRONTEND_PACKAGE} failed ({status})");
    }

    // cargo names the output directory of the `dev` profile `debug`.
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir(&root)?
        .join(WASM_TARGET)
        .join(profile_dir)
        .join(format!("{FRONTEND_BIN}.wasm"));
    if !wasm.is_file() {
        bail!("built wasm not found at {}", wasm.display());
    }

    // Build into a fresh directory and swap it in, so a server running from dist/ never
    // sees it half-written (or missing) while another build runs.
    let dist = root.join("dist");
    let staging = root.join(format!("dist.tmp-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;

    if let Err(e) = write_dist(&root, &wasm, &staging, release).and_then(|()| swap_in(&staging, &dist)) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }

    let out_wasm = dist.join(format!("{FRONTEND_ARTIFACT}_bg.wasm"));
    let size = fs::metadata(&out_wasm)
        .with_context(|| format!("reading {}", out_wasm.display()))?
        .len();
    println!(
        "dist/ written ({} build, wasm-bindgen {bindgen_version}): {} = {} bytes ({:.2} MB)",
        if release { "release" } else { "debug" },
        out_wasm.strip_prefix(&root).unwrap_or(&out_wasm).display(),
        size,
        size as f64 / 1_000_000.0
    );
    if release && size > RELEASE_WASM_BUDGET {
        println!("warning: release wasm is above the {RELEASE_WASM_BUDGET}-byte budget");
    }
    Ok(())
}

/// Generates the JS bindings and copies the static files into `staging`.
fn write_dist(root: &Path, wasm: &Path, staging: &Path, release: bool) -> Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(FRONTEND_ARTIFACT)
        .web(true)?
        .typescript(false)
        // The library defaults to true; without the default path `init()` cannot find the wasm.
        .omit_default_module_path(false)
        // The function-name section is as large as the code itself; keep it only in debug
        // builds, where panic messages and profiles need it.
        .remove_name_section(release)
        .remove_producers_section(release)
        .generate(staging)
        .context("wasm-bindgen")?;
    for file in ["index.html", "style.css"] {
        let from = root.join("frontend").join(file);
        fs::copy(&from, staging.join(file)).with_context(|| format!("copying {}", from.display()))?;
    }
    Ok(())
}

/// Replaces `dist` by `staging` with two renames (the old tree is removed afterwards).
fn swap_in(staging: &Path, dist: &Path) -> Result<()> {
    let old = dist.with_extension(format!("old-{}", std::process::id()));
    if dist.exists() {
        fs::rename(dist, &old).with_context(|| format!("moving {} aside", dist.display()))?;
    }
    fs::rename(staging, dist).with_context(|| format!("moving the new build to {}", dist.display()))?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Where cargo puts build output: honours CARGO_TARGET_DIR and `build.target-dir` by asking cargo.
fn target_dir(root: &Path) -> Result<PathBuf> {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return Ok(if dir.is_absolute() { dir } else { root.join(dir) });
    }
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    meta.get("target_directory")
        .and_then(|v| v.as_str())
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (needed to add the wasm32 target)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    println!("adding rustup target {WASM_TARGET}");
    let status = Command::new("rustup").args(["target", "add", WASM_TARGET]).status()?;
    if !status.success() {
        bail!("rustup target add {WASM_TARGET} failed");
    }
    Ok(())
}

/// The generated JS glue and the wasm must come from the same wasm-bindgen version, so the
/// `wasm-bindgen` the frontend links (Cargo.lock) must equal the bindgen library compiled
/// into this binary, and the `=` pins in both manifests must name that version.
fn check_bindgen_pin(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let locked = |name: &str| -> Result<String> {
        locked_version(&lock, name).with_context(|| format!("{name} not found in Cargo.lock"))
    };
    let runtime = locked("wasm-bindgen")?;
    let support = locked("wasm-bindgen-cli-support")?;
    if runtime != support {
        bail!("Cargo.lock has wasm-bindgen {runtime} but wasm-bindgen-cli-support {support}: pin both to the same version");
    }
    for (manifest, dep) in [
        ("frontend/Cargo.toml", "wasm-bindgen"),
        ("xtask/Cargo.toml", "wasm-bindgen-cli-support"),
    ] {
        let text = fs::read_to_string(root.join(manifest)).with_context(|| format!("reading {manifest}"))?;
        let pin = pinned_version(&text, dep).with_context(|| format!("{manifest} must pin {dep} = \"={runtime}\""))?;
        if pin != runtime {
            bail!("{manifest} pins {dep} ={pin} but Cargo.lock has {runtime}");
        }
    }
    Ok(runtime)
}

fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// Finds `dep = "=X"` (or `dep = { version = "=X", … }`) and returns X.
fn pinned_version(manifest: &str, dep: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(dep)?.trim_start().strip_prefix('=')?;
        let start = rest.find("\"=")? + 2;
        let end = start + rest[start..].find('"')?;
        Some(rest[start..end].to_owned())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_pins_and_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "wasm-bindgen-futures"), None);
        let manifest = "wasm-bindgen-futures = \"0.4\"\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(pinned_version(manifest, "wasm-bindgen").as_deref(), Some("0.2.130"));
        let table = "wasm-bindgen = { version = \"=0.2.99\", features = [] }";
        assert_eq!(pinned_version(table, "wasm-bindgen").as_deref(), Some("0.2.99"));
        assert_eq!(pinned_version("wasm-bindgen = \"0.2\"", "wasm-bindgen"), None);
    }

    #[test]
    fn the_workspace_pins_agree() {
        check_bindgen_pin(&workspace_root().unwrap()).unwrap();
    }
}

//! Yishi (议事) web app: Leptos client-side rendering, compiled to wasm by `cargo xtask frontend`.

mod actions;
mod api;
mod app;
mod components;
mod labels;
mod pages;
mod router;
mod session;
mod util;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

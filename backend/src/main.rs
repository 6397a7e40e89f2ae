//! The `yishi` binary: a thin shell over `yishi::cli`.
fn main() -> std::process::ExitCode {
    yishi::cli::main()
}

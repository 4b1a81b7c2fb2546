//! The `dossiersco` command: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    dossiersco::cli::main()
}

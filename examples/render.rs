//! Renders screens to PNG without the daemon: `cargo run --example render -- --all OUT_DIR`
//! or `cargo run --example render -- SCREEN_ID LANG OUT.png` (same as `kaonin render`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, dir] if flag == "--all" => {
            kaonin::tools::render::render_cli(None, true, None, dir.as_ref())
        }
        [id, lang, out] => {
            kaonin::tools::render::render_cli(Some(id), false, Some(lang), out.as_ref())
        }
        _ => {
            eprintln!("usage: render --all DIR | render SCREEN LANG OUT.png");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

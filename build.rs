//! Compiles the camera's web page (`web/`) into the binary, gzip-compressed
//! (every browser takes gzip; the uncompressed copies would triple the
//! page's cost in flash), each file with an entity tag so a reload costs a
//! 304. Without the `web` feature nothing is embedded.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

fn content_type(name: &str) -> Option<&'static str> {
    Some(match name.rsplit('.').next()? {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// FNV-1a: an entity tag needs to change with the content, nothing more.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=web");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    if std::env::var_os("CARGO_FEATURE_WEB").is_some() {
        let mut names: Vec<String> = std::fs::read_dir("web")?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| content_type(n).is_some())
            .collect();
        names.sort();
        for name in names {
            let raw = std::fs::read(PathBuf::from("web").join(&name))?;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&raw)?;
            std::fs::write(out.join(format!("{name}.gz")), gz.finish()?)?;
            writeln!(
                table,
                "    Asset {{ path: \"/{name}\", content_type: \"{}\", etag: \"\\\"{:016x}\\\"\", \
                 gzip: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}.gz\")) }},",
                content_type(&name).unwrap_or("application/octet-stream"),
                fnv1a(&raw)
            )?;
        }
    }
    table.push_str("];\n");
    std::fs::write(out.join("web_assets.rs"), table)?;
    Ok(())
}

//! Gives `pyun.dll` a Windows version resource (FileVersion, ProductVersion, ...), which
//! installers and support staff read from the file's properties. Nothing for other targets.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WINDRES");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "windows" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    // winresource derives the mingw prefix from the target name and knows only the
    // `*-pc-windows-gnu` ones, not the `*-win7-windows-gnu` targets pyun.dll is built for.
    let windres = match (
        std::env::var("WINDRES"),
        var("CARGO_CFG_TARGET_ARCH").as_str(),
    ) {
        (Ok(w), _) => w,
        (Err(_), "x86") => "i686-w64-mingw32-windres".into(),
        (Err(_), arch) => format!("{}-w64-mingw32-windres", arch),
    };
    let version = var("CARGO_PKG_VERSION");
    let mut numeric = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let mut packed = 0u64;
    for _ in 0..4 {
        packed = (packed << 16) | numeric.next().unwrap_or(0);
    }
    let mut res = winresource::WindowsResource::new();
    res.set_windres_path(&windres)
        .set_version_info(winresource::VersionInfo::FILEVERSION, packed)
        .set_version_info(winresource::VersionInfo::PRODUCTVERSION, packed)
        .set("FileVersion", &version)
        .set("ProductVersion", &version)
        .set("ProductName", "pyun")
        .set("CompanyName", "pyun contributors")
        .set(
            "FileDescription",
            "pyun: the P云 (4pyun) parking cloud client (C ABI)",
        )
        .set("OriginalFilename", "pyun.dll")
        .set("InternalName", "pyun")
        .set("LegalCopyright", "MIT OR Apache-2.0");
    if let Err(e) = res.compile() {
        panic!(
            "the version resource of pyun.dll did not compile with {}: {}",
            windres, e
        );
    }
}

//! Peak memory added by building and streaming a multipart body for a 20 MB photo.
//! Run: `cargo run --release -p pyun-bench --bin multipart_memory`. Linux only (reads VmHWM).

use std::io::{self, Read};

use pyun_core::{
    AppSecret, BuildOptions, Endpoint, FileField, FilePart, FileSource, SignedRequest,
};

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("pyun-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("photo.jpg");
    {
        // Written in 64 KiB pieces so that making the file does not raise the peak itself.
        use std::io::Write;
        let mut f = std::fs::File::create(&path)?;
        let chunk: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..320 {
            f.write_all(&chunk)?;
        }
    }
    // The fixture's leave_image_hash is for another file; the builder computes the real one.
    let mut text = pyun_bench::leave_fields(1);
    text.retain(|(k, _)| k != "leave_image_hash");
    let before = peak_kib();
    let part = FilePart::new(FileField::LeaveImage, FileSource::Path(path.clone()))
        .map_err(io::Error::other)?;
    let req = SignedRequest::build(
        Endpoint::Leave,
        text,
        vec![part],
        &AppSecret::new("123"),
        &BuildOptions::default(),
    )
    .map_err(io::Error::other)?;
    let mut sent = 0u64;
    let mut body = req.body_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = body.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sent += n as u64;
    }
    let after = peak_kib();
    std::fs::remove_dir_all(&dir)?;
    assert_eq!(sent, req.content_length());
    println!(
        "body bytes streamed: {} (content-length {})",
        sent,
        req.content_length()
    );
    println!(
        "peak RSS before: {} KiB, after: {} KiB, added: {} KiB",
        before,
        after,
        after.saturating_sub(before)
    );
    Ok(())
}

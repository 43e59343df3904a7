//! Signing a realistic leave record vs a bare MD5 of the same canonical bytes, and hashing a
//! 4 MB image. Run: `cargo bench -p pyun-bench --bench signing`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use md5::{Digest, Md5};
use pyun_bench::{leave_fields, signed_bytes};
use pyun_core::form::md5_hex;
use pyun_core::sign::sign;
use pyun_core::AppSecret;

fn signing(c: &mut Criterion) {
    let fields = leave_fields(7);
    let secret = AppSecret::new("123");
    let bytes = signed_bytes(&fields, "123");
    let mut g = c.benchmark_group("leave_record");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("pyun_sign", |b| {
        b.iter(|| sign(black_box(&fields), &secret))
    });
    g.bench_function("canonical_string_only", |b| {
        b.iter(|| pyun_core::sign::canonical_string(black_box(&fields)))
    });
    g.bench_function("bare_md5_of_canonical_bytes", |b| {
        b.iter(|| Md5::digest(black_box(&bytes)))
    });
    g.finish();

    let image: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut g = c.benchmark_group("image_4mb");
    g.throughput(Throughput::Bytes(image.len() as u64));
    g.sample_size(20);
    g.bench_function("pyun_md5_hex", |b| b.iter(|| md5_hex(black_box(&image))));
    g.finish();
}

/// The client's own work per push, without the network or the server: validate a typed leave
/// record, hash its 57 KB photo from disk, sign, and stream the multipart body.
fn client_overhead(c: &mut Criterion) {
    use std::io::Read;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let record = pyun_core::LeaveRecord::from_json(
        &std::fs::read_to_string(dir.join("leave.json")).unwrap(),
    )
    .unwrap();
    let files = [(
        pyun_core::FileField::LeaveImage,
        pyun_core::FileSource::Path(dir.join("leave.bmp")),
    )];
    let secret = AppSecret::new("123");
    let options = pyun_core::BuildOptions::default();
    let mut buf = vec![0u8; 64 * 1024];
    c.bench_function("client_overhead/build_and_stream_leave_with_photo", |b| {
        b.iter(|| {
            let req = pyun_core::build_request(&record, &files, &secret, &options).unwrap();
            let mut body = req.body_reader();
            while body.read(&mut buf).unwrap() > 0 {}
        })
    });
    let no_photo: [(pyun_core::FileField, pyun_core::FileSource); 0] = [];
    c.bench_function(
        "client_overhead/build_and_stream_leave_without_photo",
        |b| {
            b.iter(|| {
                let req = pyun_core::build_request(&record, &no_photo, &secret, &options).unwrap();
                let mut body = req.body_reader();
                while body.read(&mut buf).unwrap() > 0 {}
            })
        },
    );
}

criterion_group!(benches, signing, client_overhead);
criterion_main!(benches);

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

criterion_group!(benches, signing);
criterion_main!(benches);

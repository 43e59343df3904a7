//! TLS against a real rustls server on loopback whose certificate comes from a CA of the test
//! (as a corporate network that re-signs TLS does): without `ca_file` the client refuses it as
//! its own kind of error, once, not retried; with the CA in `ca_file` the push goes through.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use pyun_core::response::TransportErrorKind;
use pyun_core::{Client, ClientConfig, Error, UpdateRecord};
use rcgen::{CertificateParams, IsCa, Issuer, KeyPair};

/// A CA (PEM) and a rustls server config for `localhost` signed by it.
fn pki() -> (String, Arc<rustls::ServerConfig>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (ca.pem(), Arc::new(config))
}

/// Serves TLS connections until `n` have been accepted; answers each request as the platform
/// accepting it. Returns the port.
fn serve(config: Arc<rustls::ServerConfig>, n: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, stream.unwrap());
            let mut reader = BufReader::new(&mut tls);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break; // the client refused the certificate
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    let mut body = vec![0; length];
                    std::io::Read::read_exact(&mut reader, &mut body).unwrap();
                    let answer = br#"{"code":"1001","message":"OK","seqno":"9"}"#;
                    write!(
                        tls,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        answer.len()
                    )
                    .unwrap();
                    tls.write_all(answer).unwrap();
                    tls.flush().unwrap();
                    break;
                }
            }
        }
    });
    port
}

fn client(port: u16, ca_file: Option<std::path::PathBuf>) -> pyun_core::Result<Client> {
    let mut config = ClientConfig::new("app-secret");
    config.base_url = format!("https://localhost:{}", port);
    config.ca_file = ca_file;
    config.retry.max_attempts = 3;
    config.retry.initial_backoff = Duration::from_millis(1);
    Client::new(config)
}

fn update() -> UpdateRecord {
    UpdateRecord::from_json(r#"{"park_uuid":"p","flow_no":"F","parking_serial":"S","plate":"P"}"#)
        .unwrap()
}

#[test]
fn an_untrusted_certificate_is_its_own_error_and_not_retried() {
    let (_, config) = pki();
    let port = serve(config, 3);
    let err = client(port, None)
        .unwrap()
        .push_update(&update())
        .unwrap_err();
    match &err {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Tls, "{}", err);
            assert_eq!(t.attempts, 1, "a certificate failure was retried: {}", err);
            assert!(
                t.message.to_string().contains("certificate is not trusted"),
                "{}",
                t.message
            );
            // The reason in Chinese too, whole: the catalog's, not an English one in brackets.
            let zh = err.message(pyun_core::Lang::Zh);
            assert!(
                zh.contains("服务器证书不受信任：签发机构不受本机信任"),
                "{}",
                zh
            );
            assert!(!zh.contains("not trusted"), "{}", zh);
        }
        other => panic!("expected a TLS error, got {}", other),
    }
}

#[test]
fn an_extra_ca_from_ca_file_is_trusted() {
    let (ca_pem, config) = pki();
    let port = serve(config, 1);
    let dir = std::env::temp_dir().join(format!("pyun-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("corporate-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let result = client(port, Some(ca_file))
        .unwrap()
        .push_update(&update())
        .unwrap();
    assert_eq!(result.response.seqno.as_deref(), Some("9"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_ca_file_is_a_config_error_naming_it() {
    let dir = std::env::temp_dir().join(format!("pyun-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    for path in [empty, dir.join("missing.pem")] {
        let err = client(1, Some(path.clone())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{}", err);
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{}",
            err
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

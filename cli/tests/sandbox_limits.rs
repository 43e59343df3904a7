//! The sandbox under hostile conditions: out of file descriptors, and clients that never
//! finish sending.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `pyun sandbox` on a free port with at most `nofile` descriptors; returns the child
/// and its address.
fn sandbox_with_fd_limit(nofile: u64) -> (std::process::Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pyun"));
    cmd.env("PYUN_LANG", "en")
        .args(["sandbox", "--port", "0", "--read-timeout-ms", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: pre_exec runs in the forked child before exec; setrlimit is async-signal-safe
    // and touches nothing of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(addr.contains(':'), "{:?}", line);
    (child, addr)
}

#[test]
fn out_of_descriptors_the_sandbox_backs_off_and_its_log_stays_small() {
    let (mut child, addr) = sandbox_with_fd_limit(64);
    // Read the log as it comes: a full pipe would block the sandbox.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        let _ = stderr.read_to_end(&mut log);
        String::from_utf8_lossy(&log).into_owned()
    });
    // Hold far more connections than the sandbox has descriptors: its accept fails (EMFILE).
    let sock: std::net::SocketAddr = addr.parse().unwrap();
    let conns: Vec<TcpStream> = (0..200)
        .map_while(|_| TcpStream::connect_timeout(&sock, Duration::from_millis(300)).ok())
        .collect();
    assert!(conns.len() > 64, "{} connections", conns.len());
    std::thread::sleep(Duration::from_secs(3));
    drop(conns);
    // Descriptors free again: it serves.
    std::thread::sleep(Duration::from_millis(1_200));
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("ok"), "{:?}", answer);
    child.kill().unwrap();
    child.wait().unwrap();
    let log = reader.join().unwrap();
    assert!(
        log.contains("accept"),
        "the failures were not logged: {:?}",
        log
    );
    assert!(
        log.len() < 4_096 && log.lines().count() < 20,
        "{} bytes, {} lines of log in 3 s: {}",
        log.len(),
        log.lines().count(),
        &log[..log.len().min(500)]
    );
}

#[test]
fn a_client_that_never_finishes_its_body_is_cut_off() {
    let (mut child, addr) = sandbox_with_fd_limit(1024);
    let mut s = TcpStream::connect(&addr).unwrap();
    // Claims 1 GB, sends 5 bytes, then nothing.
    write!(
        s,
        "POST /gate/leave HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\nplate"
    )
    .unwrap();
    // And one that never finishes its headers.
    let mut h = TcpStream::connect(&addr).unwrap();
    write!(h, "POST /gate/leave HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    for stream in [&mut s, &mut h] {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf); // returns when the sandbox closes it
    }
    let waited = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        waited < Duration::from_secs(10),
        "the connections were held for {:?}",
        waited
    );
}

//! What several CLI test binaries share: the example data files and a port nothing listens on.
#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;

/// A file of examples/data.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

/// A loopback port nothing listens on, held until the socket is dropped: bound without
/// listening, so a connection is refused, and no parallel test can be given the port (as it
/// can one bound and freed again).
pub fn closed_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

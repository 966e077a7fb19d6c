//! The edges of the HTTP surface: what a client cannot do to the server's log, and names that
//! would show one thing and store another.

use std::io::{Read, Write};

use actix_web::{HttpServer, http::Method};
use serde_json::json;

use crate::harness::*;

/// Sends raw bytes to `addr` and returns the answer's status line.
fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[actix_rt::test]
async fn malformed_or_oversized_requests_write_no_error_lines() {
    logs::capture();
    let app = TestApp::new().await;
    let state = app.state.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || partner_center::app::build(state.clone()))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let big_header = [
        b"GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ".as_slice(),
        &vec![b'a'; 140 * 1024],
        b"\r\n\r\n",
    ]
    .concat();
    let long_uri = [
        b"GET /".as_slice(),
        &vec![b'a'; 70 * 1024],
        b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    .concat();
    let answers = actix_web::web::block(move || {
        [
            raw(addr, b"GARBAGE\r\n\r\n"),
            raw(addr, &big_header),
            raw(addr, &long_uri),
            raw(
                addr,
                b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello",
            ),
        ]
    })
    .await
    .unwrap();
    handle.stop(false).await;
    assert!(answers[0].contains(" 400"), "{answers:?}");
    assert!(answers[1].contains(" 431"), "{answers:?}");
    assert!(answers[2].contains(" 400"), "{answers:?}");
    assert!(answers[3].contains(" 400"), "{answers:?}");
    let lines = logs::errors(|l| l.target.starts_with("actix"));
    assert!(lines.is_empty(), "a client wrote ERROR lines: {lines:?}");
}

#[actix_rt::test]
async fn names_with_bidi_controls_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let sa = app.token(PROVIDER_SA).await;
    let ga = app.token(PROVIDER_GA).await;
    let spoof = "Contoso \u{202e}exe.txt";
    let res = app
        .post(
            "/v1/customers",
            &sa,
            customer_body(spoof, "spoof.example", None),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "companyName");
    assert_eq!(res.body["errors"][0]["code"], "bidi_control");
    for (path, method, body, field) in [
        (
            "/v1/partner",
            Method::PATCH,
            json!({ "name": "Contoso\u{2067}" }),
            "name",
        ),
        (
            "/v1/users",
            Method::POST,
            json!({ "userName": "pat@contoso-distribution.example", "displayName": "Pat\u{200f}", "roles": ["sales_agent"] }),
            "displayName",
        ),
        (
            "/v1/applications",
            Method::POST,
            json!({ "displayName": "\u{202a}Sync", "roles": ["sales_agent"] }),
            "displayName",
        ),
    ] {
        let res = app.call(method, path, Some(&ga), Some(body)).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field, "{path}");
    }
    // Right-to-left scripts themselves are names like any other.
    app.post(
        "/v1/customers",
        &sa,
        customer_body("\u{5e9}\u{5dc}\u{5d5}\u{5dd} Ltd", "shalom.example", None),
    )
    .await
    .assert(201);
}

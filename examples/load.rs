//! Load check (not a test): serves the real app on a temporary SQLite file — or on
//! `DATABASE_URL=postgres://…` — seeded with the demo data plus `--customers` more, then measures
//! latency from `--threads` keep-alive HTTP/1.1 clients for a few hot calls, including the first
//! and the last page of the customer list (keyset paging: the cost must not grow with depth).
//!
//! `cargo run --release --example load -- [--customers 2000] [--requests 400] [--threads 4]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use partner_center::app::{self, AppState};
use partner_center::config::Config;
use partner_center::models::audit::Actor;
use partner_center::models::customer::CustomerRow;
use partner_center::models::{ids, now};
use partner_center::services::customers::{self, AdminAccount};
use partner_center::{db, demo};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).ok();
        Client {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
        }
    }

    fn call(&mut self, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
        let content = match (path, body.is_empty()) {
            ("/v1/auth/token", _) => "Content-Type: application/x-www-form-urlencoded\r\n",
            (_, true) => "",
            (_, false) => "Content-Type: application/json\r\n",
        };
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        write!(
            self.writer,
            "{method} {path} HTTP/1.1\r\nHost: load\r\n{auth}{content}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("status");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0; length];
        self.reader.read_exact(&mut buf).expect("body");
        (status, String::from_utf8_lossy(&buf).into_owned())
    }
}

fn field(json: &str, name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    v[name].as_str().unwrap_or_default().to_owned()
}

fn measure(
    label: &str,
    addr: SocketAddr,
    threads: usize,
    per_thread: usize,
    call: impl Fn(&mut Client, usize) -> u16 + Sync,
) {
    let started = Instant::now();
    let mut all: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let call = &call;
                s.spawn(move || {
                    let mut client = Client::connect(addr);
                    (0..per_thread)
                        .map(|i| {
                            let t0 = Instant::now();
                            let status = call(&mut client, t * per_thread + i);
                            assert!((200..300).contains(&status), "{label}: status {status}");
                            t0.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    let wall = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{label:<34} {:>6} req  {:>7.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms",
        all.len(),
        all.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    let customers_n = arg("--customers", 2000);
    let requests = arg("--requests", 400);
    let threads = arg("--threads", 4).max(1);
    let file = std::env::temp_dir().join(format!("pc-load-{}.db", uuid::Uuid::new_v4().simple()));
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| file.display().to_string());
    let pool = db::pool(&url).expect("pool");
    db::migrate(&pool).expect("migrate");
    {
        let mut conn = pool.get().expect("conn");
        let creds = demo::seed(&mut conn).expect("seed");
        let provider = creds.accounts[0].tenant_id;
        let hash = partner_center::auth::password::hash("Load-Passw0rd!").expect("hash");
        let actor = Actor::system("load seed");
        for i in 0..customers_n {
            let t = now();
            let domain = format!("load{i}.example");
            let row = CustomerRow {
                id: ids::new(),
                company_name: format!("Load Customer {i}"),
                domain: domain.clone(),
                billing_email: format!("billing@{domain}"),
                culture: "en-US".into(),
                address_line1: "1 Main St".into(),
                address_line2: None,
                city: "Redmond".into(),
                state: None,
                postal_code: "98052".into(),
                country: "US".into(),
                version: 1,
                created_at: t,
                updated_at: t,
            };
            let mut admin = AdminAccount {
                user_name: format!("admin@{domain}"),
                temporary_password: String::new(),
                password_hash: hash.clone(),
            };
            customers::create(&mut conn, &actor, provider, row, None, &mut admin)
                .expect("customer");
        }
    }
    let mut config = Config::for_database(&url);
    config.request_rate_limit_per_minute = 0;
    let state = AppState::new(pool, config);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || app::build(state.clone()))
                .workers(2)
                .bind("127.0.0.1:0")
                .expect("bind");
            tx.send(server.addrs()[0]).expect("addr");
            server.run().await.expect("serve");
        })
    });
    let addr = rx.recv().expect("server address");

    let mut c = Client::connect(addr);
    let form = format!(
        "grant_type=password&username=sales.agent%40contoso-distribution.example&password={}",
        "Demo-Passw0rd%21"
    );
    let token = field(
        &c.call("POST", "/v1/auth/token", "", &form).1,
        "access_token",
    );
    let mut cursor = String::new();
    let mut first_id = String::new();
    loop {
        let path = if cursor.is_empty() {
            "/v1/customers?limit=500".to_owned()
        } else {
            format!("/v1/customers?limit=500&cursor={cursor}")
        };
        let (_, body) = c.call("GET", &path, &token, "");
        let v: serde_json::Value = serde_json::from_str(&body).expect("page");
        if first_id.is_empty() {
            first_id = v["items"][0]["id"].as_str().unwrap_or_default().to_owned();
        }
        match v["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let per = (requests / threads).max(1);
    println!(
        "{} customers, {threads} client threads, {} server workers, {}",
        customers_n + 2,
        2,
        db::redact(&url)
    );
    let (tok, first, last) = (
        token.as_str(),
        "/v1/customers?limit=50".to_owned(),
        format!("/v1/customers?limit=50&cursor={cursor}"),
    );
    measure(
        "GET /v1/customers (first page)",
        addr,
        threads,
        per,
        |c, _| c.call("GET", &first, tok, "").0,
    );
    measure(
        "GET /v1/customers (last page)",
        addr,
        threads,
        per,
        |c, _| c.call("GET", &last, tok, "").0,
    );
    let one = format!("/v1/customers/{first_id}");
    measure("GET /v1/customers/{id}", addr, threads, per, |c, _| {
        c.call("GET", &one, tok, "").0
    });
    let orders = format!("/v1/customers/{first_id}/orders");
    let offer = "019a8f3c-2005-7978-b017-5e3ff9918222"; // Exchange Online (Plan 1), no per-customer limit
    let body = format!(
        r#"{{"lineItems":[{{"offerId":"{offer}","quantity":1,"billingCycle":"monthly"}}]}}"#
    );
    measure(
        "POST /v1/customers/{id}/orders",
        addr,
        threads,
        per / 4,
        |c, _| c.call("POST", &orders, tok, &body).0,
    );
    let _ = std::fs::remove_file(&file);
}

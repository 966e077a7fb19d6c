//! The `partner-center` binary: `bootstrap --output json` (the credentials shape of docs/operations.md, a
//! temporary password that must be changed, a clear refusal on a second run), `openapi` (the
//! committed document), and `serve` refusing a missing or short `JWT_SECRET` and a bad
//! `BIND_ADDR` with one line naming it. Each run gets a temporary SQLite file, a temporary working
//! directory (so no `.env` is read) and an environment cleared of the service's variables.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use partner_center::auth::password;
use partner_center::db;
use partner_center::models::user::UserRow;
use serde_json::Value;

/// A temporary directory with a SQLite database path, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("pc-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn database(&self) -> String {
        self.0.join("cli.db").display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with a clean environment, working in `dir`, on the database in `dir`.
fn binary(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partner-center"));
    cmd.args(args).current_dir(dir);
    for var in [
        "DATABASE_URL",
        "BIND_ADDR",
        "JWT_SECRET",
        "PUBLIC_BASE_URL",
        "TOKEN_TTL_SECONDS",
        "INVITATION_TTL_DAYS",
        "TOKEN_RATE_LIMIT_PER_MINUTE",
        "TEST_DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DATABASE_URL", dir.join("cli.db"))
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to completion, killing the process (and failing) if it is still running after 60 s —
/// e.g. a `serve` that should have refused to start. Output is drained while it runs, so a large
/// document cannot fill the pipe and stall the child.
fn run(mut cmd: Command) -> Output {
    fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    }
    let mut child = cmd.spawn().expect("spawn partner-center");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("partner-center was still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a failed start: non-zero exit, and stderr is exactly one line containing `name`.
#[track_caller]
fn assert_refused(out: &Output, name: &str) {
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "exited successfully; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    assert!(lines[0].contains(name), "{name} not named in: {}", lines[0]);
}

/// A local address that is already taken, so a `serve` that gets as far as binding fails
/// instead of listening on a real port. Keep the listener alive while the child runs.
fn occupied_address() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = listener.local_addr().expect("address").to_string();
    (listener, addr)
}

const SECRET: &str = "a-jwt-secret-of-well-over-thirty-two-bytes";

#[test]
fn bootstrap_with_json_output_prints_credentials_that_need_a_password_change() {
    let scratch = Scratch::new();
    let args = [
        "bootstrap",
        "--partner-name",
        "Wide World Distribution",
        "--admin-email",
        "Owner@WideWorld.example",
        "--output",
        "json",
    ];
    let out = run(binary(&scratch.0, &args));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let accounts = json["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account["username"], "owner@wideworld.example");
    assert_eq!(account["roles"], serde_json::json!(["global_admin"]));
    assert_eq!(account["tenantKind"], "indirect_provider");
    assert_eq!(account["tenantName"], "Wide World Distribution");
    assert!(
        account["tenantId"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    let temporary = account["password"].as_str().unwrap().to_owned();
    assert!(temporary.len() >= 12);

    // The account exists with that (hashed) password and must change it before signing in.
    let pool = db::pool(&scratch.database()).expect("open the bootstrapped database");
    let mut conn = pool.get().expect("connection");
    let user = UserRow::find_by_user_name(&mut conn, "owner@wideworld.example")
        .unwrap()
        .expect("the global admin exists");
    assert!(user.must_change_password);
    assert!(!user.disabled);
    assert!(password::verify(&temporary, &user.password_hash));
    assert_eq!(
        user.partner_id.as_ref().map(|p| p.as_str()),
        account["tenantId"].as_str()
    );
    drop(conn);
    drop(pool);

    // Running it again with the same email is refused clearly.
    let again = run(binary(&scratch.0, &args));
    assert_refused(&again, "owner@wideworld.example");
    assert!(text(&again.stderr).contains("already exists"));
    assert!(again.stdout.is_empty(), "{}", text(&again.stdout));
}

#[test]
fn bootstrap_with_text_output_prints_the_temporary_password() {
    let scratch = Scratch::new();
    let out = run(binary(
        &scratch.0,
        &[
            "bootstrap",
            "--partner-name",
            "Lucerne",
            "--admin-email",
            "it@lucerne.example",
        ],
    ));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("it@lucerne.example"), "{stdout}");
    assert!(stdout.contains("Temporary password"), "{stdout}");
    let bad = run(binary(
        &scratch.0,
        &[
            "bootstrap",
            "--partner-name",
            "Lucerne",
            "--admin-email",
            "not-an-email",
        ],
    ));
    assert_refused(&bad, "--admin-email");
}

#[test]
fn openapi_prints_the_committed_document() {
    let scratch = Scratch::new();
    let out = run(binary(&scratch.0, &["openapi"]));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json"),
    )
    .expect("committed document is JSON");
    assert!(
        printed == committed,
        "`partner-center openapi` differs from openapi/openapi.json; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn serve_without_jwt_secret_exits_naming_it() {
    let scratch = Scratch::new();
    let (_taken, addr) = occupied_address();
    let mut cmd = binary(&scratch.0, &["serve"]);
    cmd.env("BIND_ADDR", &addr);
    assert_refused(&run(cmd), "JWT_SECRET");
}

#[test]
fn serve_with_short_jwt_secret_exits_naming_it() {
    let scratch = Scratch::new();
    let (_taken, addr) = occupied_address();
    let mut cmd = binary(&scratch.0, &["serve"]);
    cmd.env("BIND_ADDR", &addr)
        .env("JWT_SECRET", "only-31-bytes-long-secret-12345");
    let out = run(cmd);
    assert_refused(&out, "JWT_SECRET");
    assert!(text(&out.stderr).contains("32"));
}

#[test]
fn serve_with_bad_bind_addr_exits_naming_it() {
    let scratch = Scratch::new();
    for bad in ["localhost", "127.0.0.1:99999", "not an address"] {
        let mut cmd = binary(&scratch.0, &["serve"]);
        cmd.env("BIND_ADDR", bad).env("JWT_SECRET", SECRET);
        assert_refused(&run(cmd), "BIND_ADDR");
    }
    // A well-formed address that cannot be bound (already taken) is refused the same way.
    let (_taken, addr) = occupied_address();
    let mut cmd = binary(&scratch.0, &["serve"]);
    cmd.env("BIND_ADDR", &addr).env("JWT_SECRET", SECRET);
    assert_refused(&run(cmd), "BIND_ADDR");
}

#[test]
fn serve_with_a_bad_quota_exits_naming_it() {
    let scratch = Scratch::new();
    for (variable, bad) in [
        ("MAX_WEBHOOKS_PER_PARTNER", "0"),
        ("MAX_USERS_PER_PARTNER", "many"),
        ("MAX_OPEN_CARTS_PER_CUSTOMER", "1000001"),
    ] {
        let (_taken, addr) = occupied_address();
        let mut cmd = binary(&scratch.0, &["serve"]);
        cmd.env("BIND_ADDR", &addr)
            .env("JWT_SECRET", SECRET)
            .env(variable, bad);
        assert_refused(&run(cmd), variable);
    }
}

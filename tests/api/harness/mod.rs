//! `TestApp`: the real application (`app::build`) on a fresh database per test — a temporary
//! SQLite file by default, or a new PostgreSQL database on the server named by
//! `TEST_DATABASE_URL` — copied from a template migrated and seeded with the demo data once per
//! test process, plus request helpers (tokens minted from the app's keys) and builders.

#![allow(dead_code)]

mod builders;
pub mod logs;
pub use builders::*;

use actix_http::Request;
use actix_service::boxed::BoxService;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use partner_center::app;
use partner_center::config::Config;
use partner_center::db;
use partner_center::state::AppState;
use serde_json::{Value, json};

/// The demo password of every seeded account.
pub const PASSWORD: &str = partner_center::demo::DEMO_PASSWORD;
/// Demo provider accounts.
pub const PROVIDER_GA: &str = "global.admin@contoso-distribution.example";
pub const PROVIDER_UMA: &str = "user.admin@contoso-distribution.example";
pub const PROVIDER_AA: &str = "admin.agent@contoso-distribution.example";
pub const PROVIDER_SA: &str = "sales.agent@contoso-distribution.example";
pub const PROVIDER_HA: &str = "helpdesk.agent@contoso-distribution.example";
/// Demo reseller accounts.
pub const RESELLER_GA: &str = "global.admin@fabrikam-resellers.example";
pub const RESELLER_AA: &str = "admin.agent@fabrikam-resellers.example";
pub const RESELLER_SA: &str = "sales.agent@fabrikam-resellers.example";
pub const RESELLER_HA: &str = "helpdesk.agent@fabrikam-resellers.example";
/// Offer ids of the sample catalog (`examples/catalog.json`), loaded by the demo seed.
pub const M365_BUSINESS_BASIC: &str = "019a8f3c-2000-758b-a2a2-055bb55bcbbb"; // m365-business-basic
pub const M365_BUSINESS_STANDARD: &str = "019a8f3c-2001-737d-82f2-a4276b0bd666"; // m365-business-standard
pub const M365_BUSINESS_PREMIUM: &str = "019a8f3c-2002-7654-b8bb-cded8077eccc"; // m365-business-premium
pub const M365_E3: &str = "019a8f3c-2003-7fe3-afb2-c3ea93596000"; // m365-e3
pub const M365_E5: &str = "019a8f3c-2004-7cbf-89a0-f4d4f7f3bccc"; // m365-e5
pub const EXCHANGE_ONLINE_PLAN_1: &str = "019a8f3c-2005-7978-b017-5e3ff9918222"; // exchange-online-plan-1
pub const EXCHANGE_ONLINE_PLAN_2: &str = "019a8f3c-2006-7191-a616-116c76559888"; // exchange-online-plan-2
pub const EXCHANGE_ONLINE_ARCHIVING: &str = "019a8f3c-2007-7523-9f8a-6e768d370777"; // exchange-online-archiving
pub const TEAMS_AUDIO_CONFERENCING: &str = "019a8f3c-2008-797a-886c-b1047db8cbbb"; // teams-audio-conferencing
pub const TEAMS_PHONE_STANDARD: &str = "019a8f3c-2009-77a8-a912-de18ead32555"; // teams-phone-standard
pub const COPILOT_M365: &str = "019a8f3c-200a-73e4-80fb-73d93a3c9bbb"; // copilot-m365
pub const AZURE_PLAN: &str = "019a8f3c-200b-7089-9f7f-6bc9ffbe5aaa"; // azure-plan
pub const M365_BUSINESS_BASIC_EUR: &str = "019a8f3c-200c-7996-a69e-a07430ea6999"; // m365-business-basic-eur

/// A well-formed offer id that no catalog offer has.
pub const UNKNOWN_OFFER: &str = "019a8f3c-20ff-7000-8000-000000000000";

/// Demo accounts of Northwind IT, a reseller partnered with the provider, with DAP on Tailspin.
pub const PARTNERED_GA: &str = "global.admin@northwind-it.example";
pub const PARTNERED_AA: &str = "admin.agent@northwind-it.example";
pub const PARTNERED_SA: &str = "sales.agent@northwind-it.example";
pub const PARTNERED_HA: &str = "helpdesk.agent@northwind-it.example";
/// Demo customer admins (Tailspin is administered by Northwind IT too).
pub const ADATUM_ADMIN: &str = "admin@adatum.example";
pub const TAILSPIN_ADMIN: &str = "admin@tailspin.example";

enum TestDb {
    Sqlite(std::path::PathBuf),
    Postgres { server: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDb::Postgres { server, name } => {
                if let Ok(mut c) = diesel::PgConnection::establish(server) {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// `body[key]` as a string.
    pub fn str(&self, key: &str) -> String {
        self.body[key].as_str().unwrap_or_default().to_owned()
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn assert(&self, status: u16) -> &Res {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> &Res {
        self.assert(status);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "not problem+json: {}",
            self.text
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected problem code; body: {}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        self
    }

    /// The `items` of a collection page.
    pub fn items(&self) -> Vec<Value> {
        self.body["items"].as_array().cloned().unwrap_or_default()
    }
}

/// The application under test.
pub struct TestApp {
    svc: BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>,
    pub state: actix_web::web::Data<AppState>,
    _db: TestDb,
}

/// The migrated, demo-seeded database every test starts from (crates.io's test-db pattern): built
/// once per test process, then copied per test — a file copy on SQLite, `CREATE DATABASE …
/// TEMPLATE` on PostgreSQL. Templates left by finished test processes are dropped first.
enum Template {
    Sqlite(std::path::PathBuf),
    Postgres { server: String, name: String },
}

static TEMPLATE: std::sync::OnceLock<Template> = std::sync::OnceLock::new();

/// Removes the template when the test process exits (registered with `atexit` once the
/// template exists; the test harness returns from `main`, so it runs after the last test).
extern "C" fn remove_template() {
    match TEMPLATE.get() {
        Some(Template::Postgres { server, name }) => {
            if let Ok(mut c) = diesel::PgConnection::establish(server) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        Some(Template::Sqlite(path)) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        None => {}
    }
}

fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty() && db::Backend::of(u) == db::Backend::Postgres)
}

fn url_of(server: &str, name: &str) -> String {
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    format!("{base}/{name}")
}

/// Whether the test process `pid` (from a template's name) is still running.
fn alive(pid: &str) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn migrate_and_seed(url: &str) {
    let pool = db::pool(url).expect("template pool");
    db::migrate(&pool).expect("migrate template");
    let mut conn = pool.get().expect("template connection");
    partner_center::demo::seed(&mut conn).expect("seed template");
    if db::Backend::of(url) == db::Backend::Sqlite {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint template");
    }
}

#[derive(diesel::QueryableByName)]
struct DatabaseName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

fn build_template() -> Template {
    // SAFETY: registers a plain `extern "C" fn` without arguments, as `atexit` expects.
    unsafe {
        libc::atexit(remove_template);
    }
    let pid = std::process::id();
    match postgres_server() {
        Some(server) => {
            let mut c = diesel::PgConnection::establish(&server).unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
            let stale: Vec<DatabaseName> =
                diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'pc_tmpl_%'")
                    .load(&mut c)
                    .expect("list templates");
            for db in stale {
                let owner = db.datname.split('_').nth(2).unwrap_or_default();
                if !alive(owner) {
                    let _ = c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        db.datname
                    ));
                }
            }
            let name = format!("pc_tmpl_{pid}_{}", uuid::Uuid::new_v4().simple());
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create template database");
            migrate_and_seed(&url_of(&server, &name));
            Template::Postgres { server, name }
        }
        None => {
            let dir = std::env::temp_dir();
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for entry in entries.flatten() {
                    let file = entry.file_name().to_string_lossy().into_owned();
                    if let Some(rest) = file.strip_prefix("pc-tmpl-")
                        && !alive(rest.split(['-', '.']).next().unwrap_or_default())
                    {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
            let path = dir.join(format!(
                "pc-tmpl-{pid}-{}.db",
                uuid::Uuid::new_v4().simple()
            ));
            migrate_and_seed(&path.display().to_string());
            Template::Sqlite(path)
        }
    }
}

/// A fresh copy of the template for one test.
fn fresh_database() -> (String, TestDb) {
    match TEMPLATE.get_or_init(build_template) {
        Template::Postgres {
            server,
            name: template,
        } => {
            let name = format!("pc_test_{}", uuid::Uuid::new_v4().simple());
            let mut c = diesel::PgConnection::establish(server).unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
            c.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .expect("create test database from the template");
            (
                url_of(server, &name),
                TestDb::Postgres {
                    server: server.clone(),
                    name,
                },
            )
        }
        Template::Sqlite(template) => {
            let path =
                std::env::temp_dir().join(format!("pc-test-{}.db", uuid::Uuid::new_v4().simple()));
            std::fs::copy(template, &path).expect("copy the template database");
            (path.display().to_string(), TestDb::Sqlite(path))
        }
    }
}

impl TestApp {
    /// A fresh database, migrated and seeded with the demo data, behind the real app.
    pub async fn new() -> TestApp {
        Self::with_config(|_| {}).await
    }

    /// Like [`TestApp::new`] with configuration changes.
    pub async fn with_config(change: impl FnOnce(&mut Config)) -> TestApp {
        Self::assemble(change, None).await
    }

    /// Like [`TestApp::new`], tracing requests with `tracing`.
    pub async fn with_tracing(tracing: partner_center::otel::Tracing) -> TestApp {
        Self::assemble(|_| {}, Some(tracing)).await
    }

    async fn assemble(
        change: impl FnOnce(&mut Config),
        tracing: Option<partner_center::otel::Tracing>,
    ) -> TestApp {
        logs::capture();
        let (url, guard) = fresh_database();
        let mut config = Config::for_database(&url);
        change(&mut config);
        let pool = db::pool(&url).expect("pool");
        let state = AppState::with_tracing(pool, config, tracing);
        let svc = test::init_service(app::build(state.clone())).await;
        let svc = actix_service::boxed::service(actix_service::ServiceExt::map(
            svc,
            |r: ServiceResponse<_>| r.map_into_boxed_body(),
        ));
        TestApp {
            svc,
            state,
            _db: guard,
        }
    }

    /// Sends a prepared request.
    pub async fn send(&self, req: test::TestRequest) -> Res {
        let res = self
            .svc
            .call(req.to_request())
            .await
            .expect("service error");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
            text,
        }
    }

    /// A request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        self.send(request(method, path, token, body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Res {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /v1/auth/token` with the password grant.
    pub async fn sign_in(&self, username: &str, password: &str) -> Res {
        let form = format!(
            "grant_type=password&username={}&password={}",
            urlencode(username),
            urlencode(password)
        );
        self.send(
            test::TestRequest::post()
                .uri("/v1/auth/token")
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(form),
        )
        .await
    }

    /// `POST /v1/auth/token` with the password grant from the client address `ip`.
    pub async fn sign_in_from(&self, username: &str, password: &str, ip: &str) -> Res {
        let form = format!(
            "grant_type=password&username={}&password={}",
            urlencode(username),
            urlencode(password)
        );
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().expect("ip");
        self.send(
            test::TestRequest::post()
                .uri("/v1/auth/token")
                .peer_addr(addr)
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(form),
        )
        .await
    }

    /// A bearer token for an account, minted from the app's keys as sign-in would issue it
    /// (current roles, tenant and credentials version) without spending an argon2 check; the
    /// tests of sign-in itself use [`TestApp::sign_in`] and [`TestApp::token_with`]. Panics
    /// when the account could not sign in (unknown, disabled, temporary password).
    pub async fn token(&self, username: &str) -> String {
        use partner_center::domain::{ActorKind, TenantKind};
        use partner_center::models::{partner::PartnerRow, user::UserRow};
        let state = self.state.clone();
        let username = username.to_owned();
        actix_web::web::block(move || {
            let mut conn = state.pool.get().expect("connection");
            let user = UserRow::find_by_user_name(&mut conn, &username)
                .expect("user lookup")
                .unwrap_or_else(|| panic!("no user {username}"));
            assert!(
                !user.disabled && !user.must_change_password,
                "{username} cannot sign in"
            );
            let (kind, tenant) = match (user.partner_id, user.customer_id) {
                (Some(p), _) => {
                    let partner = PartnerRow::find(&mut conn, p.uuid())
                        .expect("partner lookup")
                        .expect("partner");
                    (partner.tenant_kind(), p.uuid())
                }
                (None, Some(c)) => (TenantKind::Customer, c.uuid()),
                _ => panic!("user without tenant"),
            };
            state
                .jwt
                .issue(
                    ActorKind::User,
                    user.id.uuid(),
                    kind,
                    tenant,
                    user.roles.to_vec(),
                    user.credentials_version,
                )
                .expect("mint token")
                .0
        })
        .await
        .expect("mint task")
    }

    /// A bearer token for `username` / `password`.
    pub async fn token_with(&self, username: &str, password: &str) -> String {
        let res = self.sign_in(username, password).await;
        res.assert(200);
        res.str("access_token")
    }

    /// Signs in a user created with a temporary password: changes it, returns a token.
    pub async fn activate(&self, username: &str, temporary_password: &str) -> String {
        let new_password = "Changed-Passw0rd!";
        self.call(
            Method::POST,
            "/v1/auth/password",
            None,
            Some(json!({ "username": username, "currentPassword": temporary_password, "newPassword": new_password })),
        )
        .await
        .assert(204);
        self.token_with(username, new_password).await
    }

    /// Creates a customer as `token`; returns the whole 201 body.
    pub async fn create_customer(
        &self,
        token: &str,
        name: &str,
        domain: &str,
        reseller: Option<&str>,
    ) -> Value {
        let res = self
            .post(
                "/v1/customers",
                token,
                customer_body(name, domain, reseller),
            )
            .await;
        res.assert(201);
        res.body
    }

    /// A second, unrelated indirect provider (bootstrap + first sign-in); returns its global
    /// admin's token and its partner id.
    pub async fn other_provider(&self, name: &str, email: &str) -> (String, String) {
        let pool = self.state.pool.clone();
        let (name, email) = (name.to_owned(), email.to_owned());
        let done = actix_web::web::block(move || {
            let mut conn = pool.get().expect("conn");
            partner_center::services::bootstrap::bootstrap(&mut conn, &name, &email)
                .expect("bootstrap")
        })
        .await
        .expect("bootstrap task");
        let token = self
            .activate(&done.user_name, &done.temporary_password)
            .await;
        (token, done.partner_id.to_string())
    }

    /// Runs SQL statements directly on the test database (for states the API cannot reach on
    /// purpose, e.g. an expired link). Write it so it runs on SQLite and PostgreSQL alike.
    pub async fn execute_sql(&self, sql: &str) {
        let pool = self.state.pool.clone();
        let sql = sql.to_owned();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("conn");
            conn.batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
        .await
        .expect("sql task");
    }

    /// Whether the test database is PostgreSQL (else SQLite), for SQL that differs.
    pub fn is_postgres(&self) -> bool {
        db::Backend::of(&self.state.config.database_url) == db::Backend::Postgres
    }

    /// The id of a seeded customer by domain, read as the provider's global admin.
    pub async fn customer_id(&self, domain: &str) -> String {
        let token = self.token(PROVIDER_GA).await;
        let res = self.get(&format!("/v1/customers?q={domain}"), &token).await;
        res.assert(200);
        res.items()
            .into_iter()
            .find(|c| c["domain"] == domain)
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no customer {domain}"))
    }
}

/// Data builders and direct database access for fixtures that have no HTTP path yet.
impl TestApp {
    /// Runs `f` on a pooled connection, off the test's async worker.
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::AnyConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.state.pool.clone();
        actix_web::web::block(move || f(&mut pool.get().expect("conn")))
            .await
            .expect("database task")
    }

    /// The organisation id (`tenantId` of `GET /v1/me`) of a seeded account.
    pub async fn tenant_id(&self, username: &str) -> String {
        let token = self.token(username).await;
        let me = self.get("/v1/me", &token).await;
        me.assert(200);
        me.str("tenantId")
    }

    /// Places an order (as the provider's global admin, through `POST …/orders`) for 10
    /// licenses (first offered billing cycle) of `offer_id` for `customer_id`; returns the new subscription's id. Its
    /// billing partner and support contact are the provider (`provider_id`, checked).
    pub async fn insert_subscription(
        &self,
        customer_id: &str,
        provider_id: &str,
        offer_id: &str,
    ) -> String {
        let token = self.token(PROVIDER_GA).await;
        let offer = self.get(&format!("/v1/offers/{offer_id}"), &token).await;
        offer.assert(200);
        let cycle = offer.body["billingCycles"][0]
            .as_str()
            .expect("a billing cycle")
            .to_owned();
        let res = self
            .post(
                &format!("/v1/customers/{customer_id}/orders"),
                &token,
                json!({ "lineItems": [line(offer_id, 10, &cycle, None)] }),
            )
            .await;
        res.assert(201);
        let sub = &res.body["subscriptions"][0];
        assert_eq!(sub["billingPartnerId"], provider_id);
        assert_eq!(sub["supportContactPartnerId"], provider_id);
        sub["id"].as_str().expect("subscription id").to_owned()
    }
}

/// A JSON request with an optional bearer token.
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> test::TestRequest {
    let mut req = test::TestRequest::default().method(method).uri(path);
    if let Some(t) = token {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    if let Some(b) = body {
        req = req.set_json(b);
    }
    req
}

/// A valid customer creation body.
pub fn customer_body(name: &str, domain: &str, reseller: Option<&str>) -> Value {
    json!({
        "companyName": name,
        "domain": domain,
        "indirectResellerId": reseller,
        "billingProfile": {
            "email": format!("billing@{domain}"),
            "culture": "en-US",
            "address": { "addressLine1": "1 Main St", "city": "Redmond", "state": "WA", "postalCode": "98052", "country": "US" }
        }
    })
}

/// Percent-encodes a form value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Role checks (docs/concepts.md#roles-and-permissions).
impl Res {
    /// Asserts 403 `insufficient_role` whose detail and `requiredRoles` name exactly `roles`.
    #[track_caller]
    pub fn assert_insufficient_role(&self, roles: &[&str]) -> &Res {
        self.assert_problem(403, "insufficient_role");
        let detail = self.body["detail"].as_str().unwrap_or_default();
        for role in roles {
            assert!(detail.contains(role), "{role} missing from: {detail}");
        }
        assert_eq!(self.body["requiredRoles"], json!(roles), "{}", self.text);
        self
    }
}

/// Partner users and applications.
impl TestApp {
    /// A PATCH with `If-Match: etag`.
    pub async fn patch_if_match(&self, path: &str, token: &str, etag: &str, body: Value) -> Res {
        self.send(
            request(Method::PATCH, path, Some(token), Some(body))
                .insert_header((header::IF_MATCH, etag.to_owned())),
        )
        .await
    }

    /// Creates a partner user as `token`; returns the 201 body `{ user, temporaryPassword }`.
    pub async fn create_user(&self, token: &str, user_name: &str, roles: &[&str]) -> Value {
        let res = self
            .post(
                "/v1/users",
                token,
                json!({ "userName": user_name, "displayName": user_name, "roles": roles }),
            )
            .await;
        res.assert(201);
        res.body
    }

    /// Creates a partner user and signs it in (changing its temporary password); returns its
    /// id and a token.
    pub async fn create_signed_in_user(
        &self,
        token: &str,
        user_name: &str,
        roles: &[&str],
    ) -> (String, String) {
        let created = self.create_user(token, user_name, roles).await;
        let temp = created["temporaryPassword"].as_str().unwrap_or_default();
        let user_token = self.activate(user_name, temp).await;
        (
            created["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            user_token,
        )
    }

    /// The id of a user of the provider (read as its global admin).
    pub async fn user_id(&self, user_name: &str) -> String {
        let token = self.token(PROVIDER_GA).await;
        let res = self.get("/v1/users?limit=500", &token).await;
        res.assert(200);
        res.items()
            .into_iter()
            .find(|u| u["userName"] == user_name)
            .and_then(|u| u["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no user {user_name}"))
    }

    /// Creates an application as `token`; returns the 201 body `{ application, clientSecret }`.
    pub async fn create_application(&self, token: &str, name: &str, roles: &[&str]) -> Value {
        let res = self
            .post(
                "/v1/applications",
                token,
                json!({ "displayName": name, "roles": roles }),
            )
            .await;
        res.assert(201);
        res.body
    }

    /// `POST /v1/auth/token` with the client_credentials grant in form fields.
    pub async fn client_sign_in(&self, client_id: &str, client_secret: &str) -> Res {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            urlencode(client_id),
            urlencode(client_secret)
        );
        self.send(
            test::TestRequest::post()
                .uri("/v1/auth/token")
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(form),
        )
        .await
    }
}

/// One order or cart line.
pub fn line(offer: &str, quantity: i64, cycle: &str, reseller: Option<&str>) -> Value {
    json!({ "offerId": offer, "quantity": quantity, "billingCycle": cycle, "partnerIdOnRecord": reseller })
}

/// A request with an optional JSON body and extra headers (`If-Match`, `Idempotency-Key`, …).
pub fn request_with(
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> test::TestRequest {
    let mut req = request(method, path, Some(token), body);
    for (name, value) in headers {
        req = req.insert_header((name.to_string(), value.to_string()));
    }
    req
}

impl TestApp {
    /// The tenant id (partner or customer) of the account behind `token` (`GET /v1/me`).
    pub async fn tenant_id_of_token(&self, token: &str) -> String {
        let me = self.get("/v1/me", token).await;
        me.assert(200);
        me.str("tenantId")
    }

    /// Places an order of `lines` for `customer_id` as `token`; returns the 201 body
    /// (`{ order, subscriptions }`).
    pub async fn order(&self, token: &str, customer_id: &str, lines: Vec<Value>) -> Value {
        let res = self
            .post(
                &format!("/v1/customers/{customer_id}/orders"),
                token,
                json!({ "lineItems": lines }),
            )
            .await;
        res.assert(201);
        res.body
    }

    /// Creates a cart of `lines` for `customer_id` as `token`; returns the 201 response.
    pub async fn cart(&self, token: &str, customer_id: &str, lines: Vec<Value>) -> Res {
        let res = self
            .post(
                &format!("/v1/customers/{customer_id}/carts"),
                token,
                json!({ "lineItems": lines }),
            )
            .await;
        res.assert(201);
        res
    }

    /// How many audit records of `operation` the provider's global admin reads for a customer.
    pub async fn audit_count(&self, customer_id: &str, operation: &str) -> usize {
        let token = self.token(PROVIDER_GA).await;
        let res = self
            .get(
                &format!(
                    "/v1/audit-records?customerId={customer_id}&operationType={operation}&limit=500"
                ),
                &token,
            )
            .await;
        res.assert(200);
        res.items().len()
    }
}

/// The event types of the deliveries queued for a webhook.
pub async fn delivered_types(app: &TestApp, token: &str, webhook: &str) -> Vec<String> {
    let res = app
        .get(
            &format!("/v1/webhooks/{webhook}/deliveries?limit=500"),
            token,
        )
        .await;
    res.assert(200);
    res.items()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap_or_default().to_owned())
        .collect()
}

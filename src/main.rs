//! The `partner-center` binary: `serve [--demo]`, `migrate`, `openapi`, `bootstrap`, `catalog
//! import FILE` (README.md). Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::HttpServer;
use clap::{Parser, Subcommand, ValueEnum};
use partner_center::app;
use partner_center::config::Config;
use partner_center::state::AppState;
use partner_center::{db, demo, idempotency, services, webhooks};

#[derive(Debug, Parser)]
#[command(
    name = "partner-center",
    version,
    about = "Self-hostable REST API for the cloud-reseller channel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve the API on BIND_ADDR.
    Serve {
        /// Seed demo data and print its accounts (not for production; JWT_SECRET optional).
        #[arg(long)]
        demo: bool,
        /// With --demo: also write the demo accounts as JSON to this file.
        #[arg(long, requires = "demo")]
        credentials_file: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Create an indirect provider and its global admin (temporary password printed once).
    Bootstrap {
        /// The provider's organisation name.
        #[arg(long)]
        partner_name: String,
        /// The global admin's email (its sign-in name).
        #[arg(long)]
        admin_email: String,
        /// `text` or `json` (the shape of `serve --demo --credentials-file`).
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Billing periods.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Manage the offer catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Import offers from a JSON catalog file (see examples/catalog.json); offers with the same
    /// ids are updated in place. All or nothing: any invalid offer imports none.
    Import {
        /// The catalog file.
        file: PathBuf,
    },
}

/// `billing` subcommands.
#[derive(Debug, Subcommand)]
enum BillingCommand {
    /// Close one calendar month (UTC, `YYYY-MM`) of the customers on real time now, issuing its
    /// statements, as the lifecycle runner does at 00:00 UTC on the 1st; prints how many were
    /// issued and how long the close took. A month already closed issues nothing.
    ClosePeriod {
        /// The month, e.g. 2026-11.
        period: String,
    },
}

fn open_database(config: &Config) -> Result<db::Pool, String> {
    let pool = db::pool(&config.database_url)?;
    let applied = db::migrate(&pool)?;
    if applied > 0 {
        log::info!(
            "applied {applied} migration(s) to {}",
            db::redact(&config.database_url)
        );
    }
    Ok(pool)
}

fn main() -> ExitCode {
    partner_center::memory::unmap_large_blocks_when_freed();
    let cli = Cli::parse();
    // `openapi` prints the document on stdout and logs nothing.
    if !matches!(cli.command, Command::Openapi)
        && let Err(message) = partner_center::logging::init()
    {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Openapi => {
            let doc = partner_center::openapi::to_json(&app::openapi_document());
            match serde_json::to_string_pretty(&doc) {
                Ok(json) => {
                    println!("{json}");
                    Ok(())
                }
                Err(e) => Err(format!("cannot render the OpenAPI document: {e}")),
            }
        }
        Command::Migrate => Config::from_env(true)
            .and_then(|c| open_database(&c))
            .map(|_| ()),
        Command::Bootstrap {
            partner_name,
            admin_email,
            output,
        } => bootstrap(&partner_name, &admin_email, output),
        Command::Catalog {
            command: CatalogCommand::Import { file },
        } => import_catalog(&file),
        Command::Billing {
            command: BillingCommand::ClosePeriod { period },
        } => close_period(&period),
        Command::Serve {
            demo,
            credentials_file,
        } => serve(demo, credentials_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bootstrap(partner_name: &str, admin_email: &str, output: Output) -> Result<(), String> {
    let config = Config::from_env(true)?;
    let pool = open_database(&config)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    let done = services::bootstrap::bootstrap(&mut conn, partner_name, admin_email)
        .map_err(|e| e.detail.clone())?;
    match output {
        Output::Json => {
            let creds = demo::Credentials {
                accounts: vec![demo::Account {
                    username: done.user_name,
                    password: done.temporary_password,
                    roles: vec![partner_center::domain::Role::GlobalAdmin],
                    tenant_kind: partner_center::domain::TenantKind::IndirectProvider,
                    tenant_id: done.partner_id,
                    tenant_name: done.partner_name,
                }],
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&creds).unwrap_or_default()
            );
        }
        Output::Text => {
            println!(
                "Created indirect provider \"{}\" ({})",
                done.partner_name, done.partner_id
            );
            println!("Global admin: {}", done.user_name);
            println!(
                "Temporary password (shown once; change it with POST /v1/auth/password): {}",
                done.temporary_password
            );
        }
    }
    Ok(())
}

fn close_period(period: &str) -> Result<(), String> {
    let period: partner_center::domain::statement::Period = period
        .parse()
        .map_err(|e| format!("{period} is not a month (YYYY-MM): {e}"))?;
    let config = Config::from_env(true)?;
    let pool = open_database(&config)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    let started = std::time::Instant::now();
    let issued =
        services::statements::close_period(&mut conn, None, period, partner_center::models::now())
            .map_err(|e| format!("closing {period} failed: {}", e.detail))?;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    match issued {
        Some(n) => println!("Closed {period}: {n} statements issued in {took:.1} ms"),
        None => println!("{period} was already closed: nothing issued"),
    }
    Ok(())
}

fn import_catalog(file: &std::path::Path) -> Result<(), String> {
    let json = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let config = Config::from_env(true)?;
    let pool = open_database(&config)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    let counts = services::catalog::import(&mut conn, &json).map_err(|e| {
        let mut message = format!("{} is not a valid catalog: {}", file.display(), e.detail);
        for f in &e.errors {
            message.push_str(&format!("\n  {}: {}", f.field, f.message));
        }
        message
    })?;
    println!(
        "Imported {} offers from {}: {} created, {} updated in place",
        counts.created + counts.updated,
        file.display(),
        counts.created,
        counts.updated
    );
    Ok(())
}

fn serve(demo_mode: bool, credentials_file: Option<PathBuf>) -> Result<(), String> {
    let config = Config::from_env(demo_mode)?;
    let pool = open_database(&config)?;
    let base = config.public_base_url.clone();
    if demo_mode {
        let mut conn = pool
            .get()
            .map_err(|e| format!("database unavailable: {e}"))?;
        let mut creds =
            demo::seed(&mut conn).map_err(|e| format!("demo seeding failed: {}", e.detail))?;
        demo::seed_examples(&mut conn, &config)
            .map_err(|e| format!("demo seeding failed: {}", e.detail))?;
        let billing = demo::seed_billing(&mut conn, config.cancellation_window_hours)
            .map_err(|e| format!("demo billing seeding failed: {}", e.detail))?;
        creds.accounts.extend(billing);
        drop(conn);
        print_demo(&creds, &base);
        if let Some(path) = credentials_file {
            let json = serde_json::to_string_pretty(&creds).unwrap_or_default();
            std::fs::write(&path, json)
                .map_err(|e| format!("cannot write --credentials-file {}: {e}", path.display()))?;
            println!("Demo accounts written to {}", path.display());
        }
    }
    let bind = config.bind_addr.clone();
    let purge_pool = pool.clone();
    let tracing = partner_center::otel::Tracing::from_env()?;
    if tracing.is_some() {
        log::info!("tracing requests: spans are exported over OTLP");
    }
    let state = AppState::with_tracing(pool, config, tracing.clone());
    let (worker_pool, worker_config) = (state.pool.clone(), state.config.clone());
    log::info!("serving on http://{bind} (Swagger UI: {base}/swagger-ui/)");
    // Each worker's blocking threads need not outnumber the pooled connections they wait for:
    // fewer threads, fewer allocator arenas, a smaller resident set under load.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let blocking_threads = (state.pool.max_size() as usize).div_ceil(workers).max(2);
    let server = HttpServer::new(move || {
        let app = app::build(state.clone());
        partner_center::memory::return_freed_memory();
        app
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking_threads)
    .bind(&bind)
    .map_err(|e| format!("cannot listen on BIND_ADDR {bind}: {e}"))?
    .run();
    let served = actix_web::rt::System::new()
        .block_on(async move {
            actix_web::rt::spawn(idempotency::purge_periodically(purge_pool));
            partner_center::workers::lifecycle::spawn(worker_pool.clone(), worker_config.clone());
            partner_center::workers::retention::spawn(worker_pool.clone(), worker_config.clone());
            webhooks::delivery::spawn(worker_pool, worker_config);
            server.await
        })
        .map_err(|e| format!("server failed: {e}"));
    // Send the spans of the last requests before exiting.
    if let Some(tracing) = tracing
        && let Err(e) = tracing.shutdown()
    {
        log::warn!("could not flush the last spans: {e}");
    }
    served
}

fn print_demo(creds: &demo::Credentials, base: &str) {
    println!();
    println!("==================================================================");
    println!(" DEMO MODE — demo data and a shared password: NOT FOR PRODUCTION");
    println!("==================================================================");
    for a in &creds.accounts {
        let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "  {:<45} {:<16} {} ({})",
            a.username,
            a.password,
            a.tenant_name,
            roles.join(",")
        );
    }
    println!();
    println!(" Swagger UI: {base}/swagger-ui/  (Authorize with a user name and password above)");
    println!(" OpenAPI:    {base}/api-docs/openapi.json");
    println!();
}

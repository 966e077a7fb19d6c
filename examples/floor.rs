//! The benchmark's floor server and SQL runner (see `bench/run.sh` and
//! `docs/performance.md`).
//!
//! `floor serve`: the least work a signed-in read can do — an actix-web handler, one
//! `web::block` hop, an r2d2 checkout WITHOUT a liveness query, one diesel primary-key lookup on
//! `customers`, JSON out. `GET /customers/{id}` on `BIND_ADDR`, against `DATABASE_URL`, with the
//! same pool size and worker count as the real server, so the ratio of a real read to this one
//! is the cost of everything the service adds (authentication, authorization, its middleware).
//!
//! `floor sql FILE`: runs the statements of FILE on `DATABASE_URL` (the bulk seeding), so the
//! benchmark needs no database client of its own.

use actix_web::{App, HttpResponse, HttpServer, get, web};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::Pool;
use partner_center::db::{self, Manager};
use partner_center::models::customer::CustomerRow;
use partner_center::schema::customers;

#[get("/customers/{id}")]
async fn customer(pool: web::Data<Pool<Manager>>, id: web::Path<String>) -> HttpResponse {
    let pool = pool.into_inner();
    let id = id.into_inner();
    let row = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        customers::table
            .find(id)
            .select(CustomerRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(|e| e.to_string())
    })
    .await;
    match row {
        Ok(Ok(Some(c))) => HttpResponse::Ok().json(serde_json::json!({
            "id": c.id,
            "companyName": c.company_name,
            "domain": c.domain,
            "billingEmail": c.billing_email,
            "culture": c.culture,
            "address": {
                "line1": c.address_line1,
                "line2": c.address_line2,
                "city": c.city,
                "state": c.state,
                "postalCode": c.postal_code,
                "country": c.country,
            },
            "version": c.version,
            "createdAt": c.created_at,
            "updatedAt": c.updated_at,
        })),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

fn main() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL".to_owned())?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["sql", file] => {
            let sql = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            // One connection and no pool: a pool's background threads may still be opening
            // connections when the process exits, and one crashed there once (in libc, under
            // the TLS library's teardown) and failed a benchmark run.
            let mut conn = r2d2::ManageConnection::connect(&Manager::new(&url))
                .map_err(|e| format!("cannot open database: {e}"))?;
            conn.batch_execute(&sql).map_err(|e| format!("{file}: {e}"))
        }
        ["serve"] => serve(&url),
        _ => Err("usage: floor serve | floor sql FILE".to_owned()),
    }
}

fn serve(url: &str) -> Result<(), String> {
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    let size = match db::Backend::of(url) {
        db::Backend::Postgres => 16,
        db::Backend::Sqlite => 8,
    };
    let pool = Pool::builder()
        .max_size(size)
        .test_on_check_out(false)
        .build(Manager::new(url))
        .map_err(|e| e.to_string())?;
    let pool = web::Data::new(pool);
    actix_web::rt::System::new()
        .block_on(
            HttpServer::new(move || App::new().app_data(pool.clone()).service(customer))
                .bind(&bind)
                .map_err(|e| format!("{bind}: {e}"))?
                .run(),
        )
        .map_err(|e| e.to_string())
}

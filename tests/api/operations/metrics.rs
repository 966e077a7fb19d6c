//! Metrics an operator can rely on: every family in a scrape has its HELP and TYPE, and the
//! families the operations guide names are there — sign-in outcomes, 429s per limiter, the
//! webhook queue, the database pool and schema, the build and the process.

use actix_web::http::header;
use actix_web::test::TestRequest;

use crate::harness::*;

const METRICS_TOKEN: &str = "metrics-token-for-tests";

async fn scrape(app: &TestApp) -> String {
    let res = app
        .send(
            TestRequest::get()
                .uri("/metrics")
                .insert_header((header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))),
        )
        .await;
    res.assert(200);
    res.text
}

#[actix_rt::test]
async fn metrics_after_sign_ins_and_a_429_describe_every_family_and_show_the_operations_series() {
    let app = TestApp::with_config(|c| {
        c.metrics_token = Some(METRICS_TOKEN.to_owned());
        c.token_rate_limit_per_minute = 1;
    })
    .await;
    app.sign_in(PROVIDER_SA, PASSWORD).await.assert(200);
    for _ in 0..3 {
        app.sign_in(PROVIDER_HA, "wrong").await;
    }
    let text = scrape(&app).await;

    let mut described = std::collections::HashMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if let (Some("#"), Some(kind @ ("HELP" | "TYPE")), Some(name)) =
            (words.next(), words.next(), words.next())
        {
            *described.entry((kind, name.to_owned())).or_insert(0) += 1;
        }
    }
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let series = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| series.strip_suffix(suffix))
            .filter(|f| described.contains_key(&("TYPE", (*f).to_owned())))
            .unwrap_or(series);
        for kind in ["HELP", "TYPE"] {
            assert_eq!(
                described.get(&(kind, family.to_owned())),
                Some(&1),
                "{family}: no single # {kind} line"
            );
        }
    }
    for series in [
        "token_requests_total{grant=\"password\",outcome=\"issued\"}",
        "token_requests_total{grant=\"password\",outcome=\"throttled\"}",
        "rate_limited_total{limiter=\"sign-in-name\"}",
        "sign_in_hashing_queue ",
        "db_pool_wait_seconds_bucket",
        "db_schema_info{version=\"",
        "webhook_queue_depth ",
        "webhook_queue_oldest_due_seconds ",
        "webhook_endpoints_disabled ",
        "build_info{version=\"",
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "process_open_fds ",
    ] {
        assert!(text.contains(series), "no {series} in:\n{text}");
    }
}

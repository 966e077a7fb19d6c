//! Carts: the priced review, replacing lines under If-Match, cancelling by DELETE, checkout into
//! one order with its subscriptions, expiry, provider-side only, and the permission cells.

use actix_web::http::Method;
use serde_json::json;

use crate::harness::*;

fn carts(customer: &str) -> String {
    format!("/v1/customers/{customer}/carts")
}

#[actix_rt::test]
async fn create_cart_answers_the_priced_review_in_integer_minor_units() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let res = app
        .cart(
            &token,
            &adatum,
            vec![
                line(M365_BUSINESS_STANDARD, 3, "monthly", None),
                line(EXCHANGE_ONLINE_PLAN_1, 7, "annual", None),
                line(TEAMS_AUDIO_CONFERENCING, 3, "monthly", None),
            ],
        )
        .await;
    let id = res.str("id");
    assert_eq!(
        res.header("location").unwrap(),
        format!("{}/{id}", carts(&adatum))
    );
    assert_eq!(res.body["status"], "active");
    let lines = res.body["lineItems"].as_array().unwrap();
    assert_eq!(lines[0]["offerName"], "Microsoft 365 Business Standard");
    assert_eq!(
        lines[0]["unitPrice"],
        json!({ "amountMinor": 1250, "currency": "USD" })
    );
    assert_eq!(
        lines[0]["lineTotal"],
        json!({ "amountMinor": 3750, "currency": "USD" })
    );
    assert_eq!(lines[1]["lineTotal"]["amountMinor"], 2800);
    assert_eq!(lines[2]["lineTotal"]["amountMinor"], 0);
    assert_eq!(
        res.body["total"],
        json!({ "amountMinor": 6550, "currency": "USD" })
    );
    let created: chrono::DateTime<chrono::Utc> = res.str("createdAt").parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> = res.str("expiresAt").parse().unwrap();
    assert_eq!(expires - created, chrono::Duration::days(7));

    let review = app.get(&format!("{}/{id}", carts(&adatum)), &token).await;
    review.assert(200);
    assert_eq!(review.body["total"], res.body["total"]);
    assert_eq!(review.header("etag"), res.header("etag"));
    assert_eq!(app.audit_count(&adatum, "create_cart").await, 1);
}

#[actix_rt::test]
async fn update_cart_replaces_lines_and_honours_if_match() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    let adatum = app.customer_id("adatum.example").await;
    let created = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let url = format!("{}/{}", carts(&adatum), created.str("id"));
    let etag = created.header("etag").unwrap();
    let put = |tag: &str, quantity: i64| {
        request_with(
            Method::PUT,
            &url,
            &token,
            Some(json!({ "lineItems": [line(M365_BUSINESS_BASIC, quantity, "annual", None)] })),
            &[("If-Match", tag)],
        )
    };
    let updated = app.send(put(&etag, 10)).await;
    updated.assert(200);
    assert_eq!(updated.body["total"]["amountMinor"], 6000);
    assert_eq!(updated.body["lineItems"][0]["billingCycle"], "annual");
    assert_ne!(updated.header("etag").unwrap(), etag);
    app.send(put(&etag, 20))
        .await
        .assert_problem(412, "precondition_failed");
    let over = app.send(put(&updated.header("etag").unwrap(), 301)).await;
    over.assert_problem(422, "quantity_out_of_range");
    assert_eq!(over.body["errors"][0]["field"], "lineItems[0].quantity");
    assert_eq!(
        app.get(&url, &token).await.body["total"]["amountMinor"],
        6000
    );
}

#[actix_rt::test]
async fn delete_cart_cancels_it_and_orders_nothing() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let created = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let url = format!("{}/{}", carts(&adatum), created.str("id"));
    app.delete(&url, &token).await.assert(204);
    app.get(&url, &token).await.assert_problem(404, "not_found");
    app.post(&format!("{url}/checkout"), &token, json!({}))
        .await
        .assert_problem(404, "not_found");
    let orders = app
        .get(&format!("/v1/customers/{adatum}/orders"), &token)
        .await;
    assert!(orders.items().is_empty());
    let subs = app
        .get(&format!("/v1/customers/{adatum}/subscriptions"), &token)
        .await;
    assert!(subs.items().is_empty());
    assert_eq!(app.audit_count(&adatum, "delete_cart").await, 1);
}

#[actix_rt::test]
async fn checkout_cart_creates_one_order_with_its_subscriptions() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let provider = app.tenant_id_of_token(&token).await;
    let northwind = app.tenant_id_of_token(&app.token(PARTNERED_GA).await).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let cart = app
        .cart(
            &token,
            &tailspin,
            vec![
                line(
                    M365_BUSINESS_PREMIUM,
                    12,
                    "annual",
                    Some(northwind.as_str()),
                ),
                line(EXCHANGE_ONLINE_ARCHIVING, 12, "monthly", None),
            ],
        )
        .await;
    let url = format!("{}/{}", carts(&tailspin), cart.str("id"));
    let etag = cart.header("etag").unwrap();
    let res = app
        .send(request_with(
            Method::POST,
            &format!("{url}/checkout"),
            &token,
            None,
            &[("If-Match", &etag)],
        ))
        .await;
    res.assert(201);
    let order = &res.body["order"];
    let order_id = order["id"].as_str().unwrap();
    assert_eq!(
        res.header("location").unwrap(),
        format!("/v1/customers/{tailspin}/orders/{order_id}")
    );
    assert_eq!(order["status"], "completed");
    assert_eq!(order["total"], cart.body["total"]);
    assert_eq!(order["total"]["amountMinor"], 12 * 2200 + 12 * 300);
    let subs = res.body["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(order["lineItems"][0]["subscriptionId"], subs[0]["id"]);
    let premium = &subs[0];
    assert_eq!(premium["offerId"], M365_BUSINESS_PREMIUM);
    assert_eq!(premium["friendlyName"], "Microsoft 365 Business Premium");
    assert_eq!(premium["quantity"], 12);
    assert_eq!(premium["status"], "active");
    assert_eq!(premium["billingCycle"], "annual");
    assert_eq!(premium["autoRenew"], true);
    assert_eq!(premium["billingPartnerId"], provider.as_str());
    assert_eq!(premium["supportContactPartnerId"], provider.as_str());
    assert_eq!(premium["partnerIdOnRecord"], northwind.as_str());
    assert_eq!(premium["orderId"], order_id);
    assert!(subs[1]["partnerIdOnRecord"].is_null());

    let after = app.get(&url, &token).await;
    assert_eq!(after.body["status"], "checked_out");
    assert_eq!(after.body["orderId"], order_id);
    app.post(&format!("{url}/checkout"), &token, json!({}))
        .await
        .assert_problem(409, "cart_checked_out");
    app.put(
        &url,
        &token,
        json!({ "lineItems": [line(M365_BUSINESS_BASIC, 1, "monthly", None)] }),
    )
    .await
    .assert_problem(409, "cart_checked_out");
    app.delete(&url, &token)
        .await
        .assert_problem(409, "cart_checked_out");

    let read = app
        .get(
            &format!("/v1/customers/{tailspin}/orders/{order_id}"),
            &token,
        )
        .await;
    read.assert(200);
    assert_eq!(read.body, *order);
    assert_eq!(app.audit_count(&tailspin, "create_order").await, 1);
    assert_eq!(app.audit_count(&tailspin, "create_subscription").await, 2);
}

#[actix_rt::test]
async fn checkout_with_a_stale_etag_answers_412_and_orders_nothing() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let cart = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let url = format!("{}/{}", carts(&adatum), cart.str("id"));
    let etag = cart.header("etag").unwrap();
    app.put(
        &url,
        &token,
        json!({ "lineItems": [line(M365_BUSINESS_BASIC, 3, "monthly", None)] }),
    )
    .await
    .assert(200);
    app.send(request_with(
        Method::POST,
        &format!("{url}/checkout"),
        &token,
        None,
        &[("If-Match", &etag)],
    ))
    .await
    .assert_problem(412, "precondition_failed");
    let orders = app
        .get(&format!("/v1/customers/{adatum}/orders"), &token)
        .await;
    assert!(orders.items().is_empty());
}

#[actix_rt::test]
async fn checkout_of_an_expired_cart_answers_409_and_it_can_still_be_deleted() {
    use diesel::prelude::*;
    use partner_center::schema::carts;
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let cart = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let id = cart.str("id");
    let url = format!("{}/{id}", self::carts(&adatum));
    app.with_conn(move |conn| {
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
        diesel::update(carts::table.find(id))
            .set(carts::expires_at.eq(past))
            .execute(conn)
            .expect("expire the cart");
    })
    .await;
    assert_eq!(app.get(&url, &token).await.body["status"], "expired");
    let checkout = app
        .post(&format!("{url}/checkout"), &token, json!({}))
        .await;
    checkout.assert_problem(409, "cart_expired");
    let put = app
        .put(
            &url,
            &token,
            json!({ "lineItems": [line(M365_BUSINESS_BASIC, 3, "monthly", None)] }),
        )
        .await;
    put.assert_problem(409, "cart_expired");
    assert_eq!(
        put.body["detail"], checkout.body["detail"],
        "one rule, one message"
    );
    app.delete(&url, &token).await.assert(204);
}

#[actix_rt::test]
async fn reseller_calling_checkout_gets_403_saying_orders_are_placed_by_the_provider() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let cart = app
        .cart(
            &provider,
            &tailspin,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let url = format!("{}/{}", carts(&tailspin), cart.str("id"));
    let reseller = app.token(PARTNERED_GA).await;
    let res = app
        .post(&format!("{url}/checkout"), &reseller, json!({}))
        .await;
    res.assert_problem(403, "indirect_provider_required");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("placed by the indirect provider"),
        "{}",
        res.text
    );
    let body = json!({ "lineItems": [line(M365_BUSINESS_BASIC, 2, "monthly", None)] });
    app.post(&carts(&tailspin), &reseller, body.clone())
        .await
        .assert_problem(403, "indirect_provider_required");
    app.post(&format!("/v1/customers/{tailspin}/orders"), &reseller, body)
        .await
        .assert_problem(403, "indirect_provider_required");
    app.get(&format!("/v1/customers/{tailspin}/orders"), &reseller)
        .await
        .assert_problem(403, "indirect_provider_required");
    assert_eq!(app.get(&url, &provider).await.body["status"], "active");
    let orders = app
        .get(&format!("/v1/customers/{tailspin}/orders"), &provider)
        .await;
    assert!(orders.items().is_empty());
}

#[actix_rt::test]
async fn another_provider_cannot_reach_the_cart() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let cart = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
        )
        .await;
    let url = format!("{}/{}", carts(&adatum), cart.str("id"));
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    app.get(&url, &other).await.assert_problem(404, "not_found");
    app.post(&format!("{url}/checkout"), &other, json!({}))
        .await
        .assert_problem(404, "not_found");
    app.post(
        &carts(&adatum),
        &other,
        json!({ "lineItems": [line(M365_BUSINESS_BASIC, 2, "monthly", None)] }),
    )
    .await
    .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn cart_order_and_checkout_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let adatum = app.customer_id("adatum.example").await;
    let ga = app.token(PROVIDER_GA).await;
    let lines = || json!({ "lineItems": [line(M365_BUSINESS_BASIC, 1, "monthly", None)] });
    for (user, allowed) in [
        (PROVIDER_GA, true),
        (PROVIDER_UMA, false),
        (PROVIDER_AA, true),
        (PROVIDER_SA, true),
        (PROVIDER_HA, false),
    ] {
        let token = app.token(user).await;
        let cart = app.post(&carts(&adatum), &token, lines()).await;
        let order = app
            .post(&format!("/v1/customers/{adatum}/orders"), &token, lines())
            .await;
        let list = app
            .get(&format!("/v1/customers/{adatum}/orders"), &token)
            .await;
        let own_cart = if allowed {
            cart.str("id")
        } else {
            app.cart(
                &ga,
                &adatum,
                vec![line(M365_BUSINESS_BASIC, 1, "monthly", None)],
            )
            .await
            .str("id")
        };
        let checkout = app
            .post(
                &format!("{}/{own_cart}/checkout", carts(&adatum)),
                &token,
                json!({}),
            )
            .await;
        for (what, res, ok) in [
            ("cart", &cart, 201),
            ("order", &order, 201),
            ("list", &list, 200),
            ("checkout", &checkout, 201),
        ] {
            if allowed {
                res.assert(ok);
            } else {
                res.assert_problem(403, "insufficient_role");
                assert!(
                    res.body["detail"].as_str().unwrap().contains("sales_agent"),
                    "{user} {what}: {}",
                    res.text
                );
            }
        }
    }
}

//! `GET /problems/{code}` and the OpenAPI document are generated from `ProblemCode`: every code
//! the server can answer has a page and is listed in the document, and any other code is 404.

use actix_web::http::Method;
use partner_center::error::ProblemCode;

use crate::harness::TestApp;

#[actix_rt::test]
async fn every_problem_code_has_a_page_and_is_listed_in_the_document() {
    let app = TestApp::new().await;
    for code in ProblemCode::ALL {
        for spelling in [code.as_str().replace('_', "-"), code.as_str().to_owned()] {
            let res = app
                .call(Method::GET, &format!("/problems/{spelling}"), None, None)
                .await;
            res.assert(200);
            assert_eq!(res.body["code"], code.as_str(), "{spelling}");
            assert_eq!(res.body["status"], code.status().as_u16(), "{spelling}");
            assert_eq!(res.body["title"], code.title(), "{spelling}");
            assert_eq!(res.body["description"], code.description(), "{spelling}");
        }
    }

    let doc = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body;
    let schemas = &doc["components"]["schemas"];
    for (schema, property) in [("Problem", "code"), ("ProblemType", "code")] {
        assert_eq!(
            schemas[schema]["properties"][property]["$ref"], "#/components/schemas/ProblemCode",
            "{schema}.{property} does not list the codes"
        );
    }
    let listed: Vec<&str> = schemas["ProblemCode"]["x-extensible-enum"]
        .as_array()
        .expect("ProblemCode is an extensible enum")
        .iter()
        .map(|v| v.as_str().expect("codes are strings"))
        .collect();
    let all: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        listed, all,
        "the document lists other codes than the server"
    );
    let described = schemas["ProblemCode"]["description"]
        .as_str()
        .expect("ProblemCode is described");
    for code in ProblemCode::ALL {
        let line = format!("- `{}` ({}): ", code.as_str(), code.status().as_u16());
        assert!(described.contains(&line), "{code} is not described");
    }
}

#[actix_rt::test]
async fn unknown_problem_code_answers_404() {
    let app = TestApp::new().await;
    for path in ["/problems/nope", "/problems/not-a-known-code"] {
        let res = app.call(Method::GET, path, None, None).await;
        res.assert_problem(404, "not_found");
        assert!(res.str("detail").contains("problem type"), "{}", res.text);
        assert_eq!(res.str("type"), "http://localhost:8080/problems/not-found");
    }
}

#[actix_rt::test]
async fn answered_problems_link_to_their_page() {
    let app = TestApp::new().await;
    let res = app.call(Method::GET, "/v1/no-such-thing", None, None).await;
    res.assert_problem(404, "route_not_found");
    let path = res.str("type").replace("http://localhost:8080", "");
    let page = app.call(Method::GET, &path, None, None).await;
    page.assert(200);
    assert_eq!(page.body["code"], "route_not_found");
    assert_eq!(
        page.str("description"),
        ProblemCode::RouteNotFound.description()
    );
}

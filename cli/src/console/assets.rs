//! The page and its files, embedded in the binary (the page works on a PC with no internet):
//! `page/` (the console's own HTML, script and style) and `vendor/` (uPlot 1.6.32 from the npm
//! registry, MIT, its licence beside it; served at /licenses/uplot).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::state::Shared;

const PAGE: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");
const UPLOT_JS: &str = include_str!("vendor/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("vendor/uPlot.min.css");
const UPLOT_LICENSE: &str = include_str!("vendor/uPlot.LICENSE");

fn file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The page, in the language of `?lang=` or the console's default. The token is in it (the
/// page sends it with each action); only someone who has it gets the page.
async fn page(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Html<String> {
    let asked = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let lang = s.lang_of(asked.as_deref());
    Html(
        PAGE.replace("{{LANG}}", lang.code())
            .replace("{{TOKEN}}", &s.token)
            .replace("{{READ_ONLY}}", if s.read_only { "1" } else { "0" }),
    )
}

/// The routes of the page and its files.
pub fn router(s: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route(
            "/app.js",
            get(|| async { file("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/app.css",
            get(|| async { file("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/uplot.js",
            get(|| async { file("text/javascript; charset=utf-8", UPLOT_JS) }),
        )
        .route(
            "/uplot.css",
            get(|| async { file("text/css; charset=utf-8", UPLOT_CSS) }),
        )
        .route(
            "/licenses/uplot",
            get(|| async { file("text/plain; charset=utf-8", UPLOT_LICENSE) }),
        )
        .with_state(s)
}

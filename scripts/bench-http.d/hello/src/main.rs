//! `bench-hello PORT`: answers `GET /health` with perdiem's own body, `{"status":"ok"}`, and
//! nothing else. actix-web's defaults (workers, keep-alive, backlog) are perdiem's too, so
//! what perdiem loses against it is its own request pipeline.

use actix_web::{web, App, HttpResponse, HttpServer};

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        Some(Ok(port)) => port,
        _ => {
            eprintln!("usage: bench-hello PORT");
            std::process::exit(2);
        }
    };
    HttpServer::new(|| App::new().route("/health", web::get().to(health)))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

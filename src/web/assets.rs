//! The web app's own CSS and script, compiled into the binary and served at
//! `/assets/<name>.<hash>.<ext>`: the name changes whenever the content does, so browsers may
//! keep each one for a year and still never run a stale copy.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

struct Asset {
    /// `app.css`
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
    },
];

/// Each asset's served name, `app.<first 12 hex of its SHA-256>.css`.
static VERSIONED: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            format!("{stem}.{hex}.{ext}")
        })
        .collect()
});

/// The URL of asset `name` (`app.css`), as pages link it.
pub fn url(name: &str) -> String {
    let at = ASSETS
        .iter()
        .position(|asset| asset.name == name)
        .unwrap_or_else(|| panic!("no asset named {name}"));
    format!("/assets/{}", VERSIONED[at])
}

/// `GET /assets/{file}`.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let file = req.match_info().get("file").unwrap_or_default();
    match VERSIONED.iter().position(|served| served == file) {
        Some(at) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, ASSETS[at].content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(ASSETS[at].body),
        None => HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("No such asset."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_carry_a_content_hash() {
        let css = url("app.css");
        assert!(css.starts_with("/assets/app."), "{css}");
        assert!(css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "/assets/app.".len() + 12 + ".css".len());
        assert_ne!(url("app.js"), css);
    }
}
